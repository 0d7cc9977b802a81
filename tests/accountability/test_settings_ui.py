"""The district administrator's policy settings page (#7.1): versioned by year, every change
recorded, errors shown next to their fields with what was typed kept, nothing saved on error."""

import pytest
from django.test import Client
from django.utils.translation import override

from jiannuo.core.models import AuditEntry
from jiannuo.organisation.models import PolicyVersion
from jiannuo.organisation.policy import Policy, policy_for

pytestmark = pytest.mark.django_db

URL = "/accountability/settings/"


def client(user):
    c = Client()
    c.force_login(user)
    return c


def form(**changes):
    """The form as the page fills it from the defaults, with ``changes``."""
    from jiannuo.accountability.settings_ui import initial

    data = {k: v for k, v in initial(Policy()).items() if v not in (False, None)}
    data.update(changes)
    data.setdefault("year_from", "2026")
    data.setdefault("note", "")
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_the_settings_in_force(cast, tree):
    body = client(cast.district).get(URL, {"year": 2026}).content.decode()
    assert 'name="accountability.yellow_card_below" value="60"' in body
    assert 'id="versions"' in body


@pytest.mark.parametrize("who", ["secretary_a", "branch", "outsider"])
def test_only_the_district_administrator(cast, who):
    assert client(getattr(cast, who)).get(URL).status_code == 403


def test_saving_appends_a_version_with_its_reason_and_changes(cast, tree):
    c = client(cast.district)
    r = c.post(URL, form(**{"accountability.yellow_card_below": "65", "note": "从严管理"}))
    assert r.status_code == 302
    v = PolicyVersion.objects.get()
    assert (v.year_from, v.note, v.data["accountability"]["yellow_card_below"]) == (
        2026,
        "从严管理",
        65,
    )
    assert policy_for(tree.a1, 2026).accountability.yellow_card_below == 65
    assert policy_for(tree.a1, 2025).accountability.yellow_card_below == 60
    assert AuditEntry.objects.filter(action="policy.set").count() == 1
    body = c.get(URL, {"year": 2026}).content.decode()
    assert "accountability.yellow_card_below" in body and "60 → 65" in body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"accountability.yellow_card_below": "120"}, "accountability.yellow_card_below"),
        ({"accountability.resignation_below": "70"}, "accountability.resignation_below"),
        ({"accountability.years_running": "1"}, "accountability.years_running"),
        ({"accountability.years_running": "two"}, "accountability.years_running"),
        ({"appeal_days": "0"}, "appeal_days"),
        ({"reply_days": "365"}, "reply_days"),
        ({"year_from": "abc"}, "year_from"),
    ],
)
def test_bad_settings_are_refused_next_to_their_field(cast, tree, changes, field):
    """#7 Bad input: thresholds out of range or in the wrong order, windows out of range."""
    with override("en"):
        r = client(cast.district).post(URL, form(**changes), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    body = r.content.decode()
    assert f'data-error-for="{field}"' in body
    typed = next(iter(changes.values()))
    assert f'value="{typed}"' in body
    assert PolicyVersion.objects.count() == 0
