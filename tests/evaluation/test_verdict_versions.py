"""Verdicts never silently overwrite each other (issue #12.4: 10 of 10 races lost one), and an
item outside the user's scope is a 404 before any other check (scope before state).

An update names the version it read on every write path — API, page and Excel import; a stale
or missing version answers 409 with both versions and changes nothing."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiannuo.core.excel import workbook
from jiannuo.core.models import AuditEntry
from jiannuo.evaluation import excel, services
from jiannuo.evaluation.models import Verdict
from jiannuo.pledges.models import Letter
from jiannuo.signing.models import SignedLetter
from tests.factories import make_signed_letter

from .conftest import YEAR

pytestmark = pytest.mark.django_db


def api_verdict(client, **data):
    return client.post(
        "/api/v1/evaluation/verdicts", json.dumps(data), content_type="application/json"
    )


def logged_in(user):
    c = Client()
    c.force_login(user)
    return c


def test_api_update_without_the_version_read_is_a_conflict(cast, letters, group):
    item = letters.team.items[0]
    first, second = logged_in(cast.assessor_a), logged_in(cast.assessor_a)
    r = api_verdict(first, item_id=item.pk, verdict="fulfilled")
    assert r.status_code == 201 and r.json()["version"] == 1
    # The second assessor read "no verdict" and sends none: refused, not overwritten.
    r = api_verdict(second, item_id=item.pk, verdict="not_fulfilled", reason="dereliction")
    assert r.status_code == 409
    assert r.json()["details"] == [{"current_version": 1, "your_version": 0}]
    assert Verdict.objects.get(item=item).verdict == "fulfilled"
    # Naming the version read works once; the other one, still at version 1, conflicts.
    r = api_verdict(first, item_id=item.pk, verdict="partly", reason="objective", version=1)
    assert r.status_code == 201 and r.json()["version"] == 2
    r = api_verdict(second, item_id=item.pk, verdict="fulfilled", version=1)
    assert r.status_code == 409
    assert r.json()["details"] == [{"current_version": 2, "your_version": 1}]
    v = Verdict.objects.get(item=item)
    assert (v.verdict, v.version) == ("partly", 2)
    assert AuditEntry.objects.filter(action="verdict.record").count() == 2


def page_version(client, village, item) -> str | None:
    html = client.get(reverse("evaluation:village_year", args=[village.pk, YEAR])).text
    form = re.search(
        rf'<input type="hidden" name="item" value="{item.pk}">(.*?)</form>', html, re.S
    ).group(1)
    m = re.search(r'name="version" value="(\d+)"', form)
    return m.group(1) if m else None


def test_the_page_sends_the_version_it_read_and_a_stale_one_is_a_409(tree, cast, letters, group):
    item = letters.team.items[0]
    url = reverse("evaluation:village_year_act", args=[tree.a1.pk, YEAR, "verdict"])
    a, b = logged_in(cast.assessor_a), logged_in(cast.assessor_a)
    assert page_version(a, tree.a1, item) is None and page_version(b, tree.a1, item) is None
    r = a.post(url, {"item": item.pk, "verdict": "fulfilled"})
    assert r.status_code == 302
    # b still shows the page without a verdict: its post must not overwrite a's.
    r = b.post(url, {"item": item.pk, "verdict": "partly", "reason": "other"})
    assert r.status_code == 409 and 'id="form-error"' in r.text
    read = page_version(b, tree.a1, item)
    assert read == "1"
    r = b.post(url, {"item": item.pk, "verdict": "partly", "reason": "other", "version": read})
    assert r.status_code == 302
    r = a.post(url, {"item": item.pk, "verdict": "fulfilled", "version": "1"})
    assert r.status_code == 409
    assert (Verdict.objects.get(item=item).verdict, Verdict.objects.get(item=item).version) == (
        "partly",
        2,
    )


def test_importing_an_old_sheet_over_a_changed_verdict_is_a_conflict(tree, cast, letters, group):
    item = letters.team.items[0]
    sheet = excel.verdicts_export(tree.a1, YEAR)  # read before anyone assessed
    services.verdict_record(actor=cast.assessor_a, item=item, verdict="fulfilled")
    ws = load_workbook(io.BytesIO(sheet)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    filled = [[*r[:5], "未完成", "失职", "", r[8]] for r in rows[1:]]
    upload = io.BytesIO(workbook("s", rows[0], filled))
    upload.size = len(upload.getvalue())
    audit = AuditEntry.objects.count()
    with pytest.raises(services.ConflictError) as exc:
        excel.verdicts_import(actor=cast.assessor_a, village=tree.a1, year=YEAR, upload=upload)
    assert exc.value.status == 409
    assert exc.value.details[0]["current_version"] == 1
    assert exc.value.details[0]["your_version"] == 0
    assert Verdict.objects.get(item=item).verdict == "fulfilled"
    assert Verdict.objects.count() == 1 and AuditEntry.objects.count() == audit


@pytest.mark.parametrize("who", ["secretary_b", "branch_a2", "outsider"])
def test_a_foreign_item_is_not_found_whatever_its_state(tree, cast, letters, group, who):
    """Scope before state: today a foreign item not in force answered `400 not_in_force`."""
    SignedLetter.objects.filter(pk=letters.member.pk).update(superseded_at=timezone.now())
    not_in_force = letters.member.items[0]
    in_force = letters.team.items[0]
    client = logged_in(getattr(cast, who))
    for item in (not_in_force, in_force):
        r = api_verdict(client, item_id=item.pk, verdict="fulfilled")
        assert r.status_code == 404, (who, item)
        url = reverse("evaluation:village_year_act", args=[tree.a1.pk, YEAR, "verdict"])
        assert client.post(url, {"item": item.pk, "verdict": "fulfilled"}).status_code == 404
    # Inside the scope, the state is what refuses.
    r = api_verdict(logged_in(cast.assessor_a), item_id=not_in_force.pk, verdict="fulfilled")
    assert r.status_code == 400 and r.json()["code"] == "not_in_force"
    assert not Verdict.objects.exists()


def test_a_page_cannot_reach_another_villages_item(tree, cast, letters, group):
    """The village in the URL is in scope, the item is not of it: 404."""
    other = make_signed_letter(tree.b1, tree.term, Letter.TEAM, year=YEAR, items=1).items[0]
    url = reverse("evaluation:village_year_act", args=[tree.a1.pk, YEAR, "verdict"])
    r = logged_in(cast.assessor_a).post(url, {"item": other.pk, "verdict": "fulfilled"})
    assert r.status_code == 404
