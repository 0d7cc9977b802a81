"""Dates as the district lives them (issue #14): every date shown or defaulted is the
Asia/Shanghai date, and a date input shows its value.

``<input type="date">`` shows only an ISO ``YYYY-MM-DD`` value; the Chinese locale's first
input format is ``2026/12/31``, which left the field blank — and saving the form erased the
date (an item's deadline lost on every edit).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from jiannuo.opinions import forms as opinion_forms
from jiannuo.organisation import forms as org_forms
from jiannuo.pledges import forms as pledge_forms

DAY = date(2026, 12, 31)


def _date_fields():
    for module in (pledge_forms, org_forms, opinion_forms):
        for name in dir(module):
            cls = getattr(module, name)
            if (
                isinstance(cls, type)
                and issubclass(cls, forms.Form)
                and cls.__module__ == module.__name__
            ):
                for field_name, field in cls.base_fields.items():
                    if isinstance(field, forms.DateField):
                        yield f"{module.__name__}.{name}.{field_name}", cls, field_name


@pytest.mark.parametrize(
    ("label", "cls", "field"), list(_date_fields()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_date_input_renders_an_iso_value(label, cls, field):
    with translation.override("zh-hans"):
        html = cls.base_fields[field].widget.render(field, DAY)
    assert 'type="date"' in html and 'value="2026-12-31"' in html, (label, html)
    # What the browser sends back parses to the same day.
    assert cls.base_fields[field].clean("2026-12-31") == DAY


def test_settings_use_the_district_time_zone():
    assert settings.USE_TZ and settings.TIME_ZONE == "Asia/Shanghai"


def test_a_signature_at_0339_on_the_8th_is_the_8th():
    """A signature at 03:39 Beijing time on the 8th is 19:39 UTC on the 7th: shown as the 8th."""
    at = datetime(2026, 3, 7, 19, 39, tzinfo=UTC)
    assert timezone.localdate(at) == date(2026, 3, 8)
    from django.template import Context, Template

    html = Template('{{ at|date:"Y-m-d" }}').render(Context({"at": at}))
    assert html == "2026-03-08"


@pytest.mark.django_db
def test_editing_an_item_keeps_its_deadline(client, cast, tree):
    """The item page shows the stored deadline in its date input, so saving keeps it."""
    from jiannuo.pledges import services
    from jiannuo.pledges.models import Letter
    from tests.pledges.conftest import YEAR, reload

    services.letters_prepare(actor=cast.branch, village=tree.a1, term=tree.term, year=YEAR)
    letter = Letter.objects.get(village=tree.a1, year=YEAR, kind=Letter.TEAM)
    letter = reload(letter)
    item = services.item_add(
        actor=cast.branch,
        letter=letter,
        version=letter.version,
        category="work_goal",
        text="年内硬化村内道路3公里",
        target="3公里",
        deadline=DAY,
    )
    client.force_login(cast.branch)
    page = client.get(reverse("pledges:item_edit", args=[letter.pk, item.pk])).content.decode()
    assert 'value="2026-12-31"' in page
