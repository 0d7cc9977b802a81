"""The signing API added for custody, scans and changes after signing (#4.5–4.8), and the
to-do entries of those who must sign (§三.4)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jiannuo.core.errors import ServiceError
from jiannuo.signing import rules, services
from jiannuo.signing.models import SignedLetter
from jiannuo.signing.todo import signing_todo

from .conftest import current, pass_vote
from .test_services import sign_member_letter

pytestmark = pytest.mark.django_db


def _client(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_custody_register_api(ceremony, letters, cast):
    """§三.5: each custodian sees the register and may receipt only their own original."""
    signed = sign_member_letter(letters, cast, ceremony)
    rows = _client(cast.branch).get("/api/v1/signing/custody").json()["items"]
    assert [r["signed_letter_id"] for r in rows] == [signed.pk]
    row = rows[0]
    year = timezone.localtime(signed.signed_at).year
    assert row["keep_until"] == year + 30 and row["in_force"] and row["archived_at"] is None
    can = {c["custodian"]: c["can_receipt"] for c in row["copies"]}
    assert can == {"township": False, "branch": True, "cadre": False}
    can = {c["custodian"]: c["can_receipt"] for c in _client(cast.staff_a).get(
        "/api/v1/signing/custody").json()["items"][0]["copies"]}  # fmt: skip
    assert can == {"township": True, "branch": False, "cadre": False}
    for user in (cast.branch_a2, cast.secretary_b, cast.outsider):
        assert _client(user).get("/api/v1/signing/custody").json()["items"] == []
    assert _client().get("/api/v1/signing/custody").status_code == 401
    for user, custodian in (
        (cast.branch, "branch"),
        (cast.member, "cadre"),
        (cast.staff_a, "township"),
    ):
        copy = signed.copies.get(custodian=custodian)
        r = _client(user).post(f"/api/v1/signing/copies/{copy.pk}/receipt")
        assert r.status_code == 200 and r.json()["receipt_at"]
    assert _client(cast.branch).get("/api/v1/signing/custody").json()["items"][0]["archived_at"]


def test_scan_api_checks_type(ceremony, letters, cast):
    signed = sign_member_letter(letters, cast, ceremony)
    url = f"/api/v1/signing/signed/{signed.pk}/scan"
    bad = SimpleUploadedFile("scan.pdf", b"not a pdf at all", content_type="application/pdf")
    r = _client(cast.branch).post(url, {"file": bad})
    assert r.status_code == 400 and r.json()["code"] == "file_type"
    good = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    assert _client(cast.member).post(url, {"file": good}).status_code == 403
    good.seek(0)
    assert _client(cast.branch).post(url, {"file": good}).status_code == 200
    signed.refresh_from_db()
    assert signed.scan_type == "application/pdf"


def test_amend_api(ceremony, letters, cast):
    """#4.7: the API opens a new version of a signed letter, refused to those not entitled."""
    signed = sign_member_letter(letters, cast, ceremony)
    url = f"/api/v1/signing/letters/{letters.member.pk}/amend"
    r = _client(cast.member).post(url, {"reasons": "改"}, content_type="application/json")
    assert r.status_code == 403
    r = _client(cast.branch_a2).post(url, {"reasons": "改"}, content_type="application/json")
    assert r.status_code == 404
    r = _client(cast.branch).post(url, {"reasons": ""}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "reasons"
    r = _client(cast.branch).post(url, {"reasons": "道路改线"}, content_type="application/json")
    assert r.status_code == 201 and r.json() == {
        "letter_id": letters.member.pk,
        "version_number": 2,
        "state": "returned",
    }
    r = _client().get(f"/api/v1/signing/verify/{signed.verify_code}").json()
    assert r["in_force"] is True and r["superseded_by_code"] is None


def test_signature_todo_for_cadre_and_deputy(
    ceremony, letters, cast, django_assert_max_num_queries
):
    """§三.4: after the vote, each signatory still missing has the letter in their to-do."""
    pass_vote(ceremony, letters.member, cast.branch)
    pass_vote(ceremony, letters.team, cast.branch)

    def titles(user):
        return [i.url for i in signing_todo(user) if i.urgent]

    member_url = f"/signing/letters/{letters.member.pk}/"
    team_url = f"/signing/letters/{letters.team.pk}/"
    assert titles(cast.member) == [member_url]
    assert titles(cast.branch) == [team_url]  # secretary of the branch signs the team letter
    assert titles(cast.director) == [team_url]
    with django_assert_max_num_queries(8):
        assert titles(cast.deputy_a) == [team_url]
    for user in (cast.staff_a, cast.secretary_b, cast.outsider, cast.voter, cast.branch_a2):
        assert titles(user) == []
    v = current(letters.member)
    services.sign(actor=cast.member, version=v, role=rules.MEMBER, content_hash=v.content_hash)
    assert titles(cast.member) == []  # signed: gone from the list
    t = current(letters.team)
    services.sign(
        actor=cast.deputy_a, version=t, role=rules.TOWNSHIP_DEPUTY_SECRETARY,
        content_hash=t.content_hash,
    )  # fmt: skip
    assert titles(cast.deputy_a) == []
    assert SignedLetter.objects.filter(signed_at__isnull=False).count() == 0


def test_retention_is_the_districts_setting_for_the_year_of_signing(ceremony, letters, cast, tree):
    """§三.5 / DOMAIN.md: originals are kept 30 years by default; the district may set another
    number from a year on (10–100), and the register counts from the year of signing."""
    from jiannuo.organisation.policy import DEFAULT_POLICY, set_policy

    signed = sign_member_letter(letters, cast, ceremony)
    year = timezone.localtime(signed.signed_at).year
    data = DEFAULT_POLICY.to_json()
    with pytest.raises(ServiceError) as exc:
        set_policy(actor=cast.district, district=tree.district, year_from=year,
                   data={**data, "retention_years": 5})  # fmt: skip
    assert exc.value.details[0]["rule"] == "retention_out_of_range"
    set_policy(actor=cast.district, district=tree.district, year_from=year + 1,
               data={**data, "retention_years": 50})  # fmt: skip
    row = _client(cast.branch).get("/api/v1/signing/custody").json()["items"][0]
    assert row["keep_until"] == year + 30  # signed before the new setting applies
    set_policy(actor=cast.district, district=tree.district, year_from=year,
               data={**data, "retention_years": 50})  # fmt: skip
    row = _client(cast.branch).get("/api/v1/signing/custody").json()["items"][0]
    assert row["keep_until"] == year + 50
    page = _client(cast.branch).get("/signing/custody/").content.decode()
    assert f"{year + 50}" in page
