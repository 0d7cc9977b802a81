"""View, API and permission tests of the signing step (§三.4–5)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiannuo.core.permissions import has_perm
from jiannuo.signing import rules, selectors, services
from jiannuo.signing.models import Attendance, SignedLetter

from .conftest import current, pass_vote


@pytest.fixture(autouse=True)
def _english_pages(settings):
    """Pages are checked in their English source text (no Accept-Language → LANGUAGE_CODE)."""
    settings.LANGUAGE_CODE = "en"


def signed_member(letters, cast, ceremony):
    pass_vote(ceremony, letters.member, cast.branch)
    v = current(letters.member)
    services.sign(
        actor=cast.branch,
        version=v,
        role=rules.PARTY_MEMBER_REP,
        person=letters.party,
        content_hash=v.content_hash,
    )
    services.sign(actor=cast.voter, version=v, role=rules.VILLAGER_REP, content_hash=v.content_hash)
    services.sign(
        actor=cast.member,
        version=v,
        role=rules.MEMBER,
        content_hash=v.content_hash,
        consent_publication=True,
    )
    return SignedLetter.objects.get(version=v)


@pytest.mark.parametrize(
    "who, run, view, township_receipt",
    [
        ("district", False, True, False),
        ("secretary_a", False, True, True),
        ("deputy_a", False, True, True),
        ("staff_a", False, True, True),
        ("assessor_a", False, False, False),
        ("secretary_b", False, False, False),
        ("branch", True, True, False),
        ("director", False, True, False),
        ("member", False, True, False),
        ("supervisor", False, True, False),
        ("voter", False, True, False),
        ("branch_a2", False, False, False),
        ("outsider", False, False, False),
    ],
)
def test_permission_matrix(cast, tree, who, run, view, township_receipt):
    """§三.4: the branch secretary runs the ceremony; §三.5: the township keeps an original."""
    user = getattr(cast, who)
    assert has_perm(user, "signing.run", tree.a1) is run
    assert has_perm(user, "signing.view", tree.a1) is view
    assert has_perm(user, "signing.receipt_township", tree.a1) is township_receipt


def test_index_and_ceremony_pages(client, ceremony, cast, django_assert_max_num_queries):
    client.force_login(cast.branch)
    r = client.get(reverse("signing:index") + "?year=2026")
    assert r.status_code == 200 and "柳树村" in r.text
    with django_assert_max_num_queries(20):
        r = client.get(reverse("signing:ceremony", args=[ceremony.pk]))
    assert r.status_code == 200
    assert "<svg" in r.text and "周小红" in r.text and "孙大山" in r.text
    assert "@media print" in r.text


def test_ceremony_page_outside_scope_404(client, ceremony, cast):
    client.force_login(cast.branch_a2)
    assert client.get(reverse("signing:ceremony", args=[ceremony.pk])).status_code == 404


def test_paper_checkin_and_vote_via_page(client, ceremony, letters, cast):
    client.force_login(cast.branch)
    url = reverse("signing:ceremony_act", args=[ceremony.pk, "checkin"])
    client.post(url, {"person": cast.branch_person.pk})
    assert Attendance.objects.filter(ceremony=ceremony, person=cast.branch_person).exists()
    r = client.post(url, {"person": cast.branch_person.pk}, follow=True)
    assert "already checked in" in r.text
    url = reverse("signing:ceremony_act", args=[ceremony.pk, "vote"])
    r = client.post(url, {"letter": letters.member.pk, "for_": 9}, follow=True)
    assert 'class="error' in r.text or "error" in r.text
    assert not current(letters.member).ceremony_votes.exists()
    client.post(url, {"letter": letters.member.pk, "for_": 4})
    assert current(letters.member).ceremony_votes.get().passed


def test_public_qr_checkin_page(client, ceremony, cast):
    url = reverse("signing:checkin", args=[ceremony.checkin_code])
    assert client.get(url).status_code == 200
    p = cast.branch_person
    r = client.post(url, {"name": p.name, "phone": p.phone})
    assert 'id="done"' in r.text
    r = client.post(url, {"name": p.name, "phone": p.phone})
    assert "already checked in" in r.text
    assert client.get(reverse("signing:checkin", args=["nope"])).status_code == 404


def test_sign_page(client, ceremony, letters, cast):
    pass_vote(ceremony, letters.member, cast.branch)
    client.force_login(cast.member)
    url = reverse("signing:letter", args=[letters.member.pk])
    r = client.get(url)
    assert r.status_code == 200 and current(letters.member).content_hash in r.text
    client.post(
        url,
        {
            "role": rules.MEMBER,
            "content_hash": current(letters.member).content_hash,
            "consent": "1",
        },
    )
    assert SignedLetter.objects.get().signatures.get().consent_publication


def test_verify_page_public(client, ceremony, letters, cast):
    """§三.4–5: the public verification page says whether the stored content matches."""
    signed = signed_member(letters, cast, ceremony)
    url = selectors.verification_url(signed)
    assert url == f"/signing/v/{signed.verify_code}/"
    r = client.get(url)
    assert r.status_code == 200 and "Matches the signed version" in r.text and "张秀英" in r.text
    v = current(letters.member)
    type(v).objects.filter(pk=v.pk).update(snapshot={"items": [], "clauses": []})
    r = client.get(url)
    assert "Matches the signed version" not in r.text and "no longer matches" in r.text
    r = client.get(reverse("signing:verify", args=["unknown-code"]))
    assert r.status_code == 404 and "unknown" in r.text


def test_custody_page_and_receipt(client, ceremony, letters, cast):
    signed = signed_member(letters, cast, ceremony)
    client.force_login(cast.staff_a)
    r = client.get(reverse("signing:custody"))
    assert r.status_code == 200 and "第 1 份 / 共 3 份" in r.text and "30" in r.text
    copy = signed.copies.get(number=1)
    client.post(reverse("signing:receipt", args=[copy.pk]))
    copy.refresh_from_db()
    assert copy.receipt_by == cast.staff_a


def test_api_flow(ceremony, letters, cast):
    c = Client()
    c.force_login(cast.branch)
    r = c.get("/api/v1/signing/ceremonies")
    assert r.status_code == 200 and r.json()["items"][0]["id"] == ceremony.pk
    r = c.post(
        f"/api/v1/signing/ceremonies/{ceremony.pk}/attendances",
        {"person_id": cast.branch_person.pk},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = c.post(
        f"/api/v1/signing/ceremonies/{ceremony.pk}/attendances",
        {"person_id": cast.branch_person.pk},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "duplicate"
    r = c.post(
        f"/api/v1/signing/ceremonies/{ceremony.pk}/votes",
        {"letter_id": letters.member.pk, "for_": 5},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "signing.vote_exceeds_present"
    r = c.post(
        f"/api/v1/signing/ceremonies/{ceremony.pk}/votes",
        {"letter_id": letters.member.pk, "for_": 4},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["passed"] is True
    v = current(letters.member)
    m = Client()
    m.force_login(cast.director)
    r = m.post(
        f"/api/v1/signing/versions/{v.pk}/signatures",
        {"role": rules.MEMBER, "content_hash": v.content_hash},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "signing.wrong_person"
    o = Client()
    o.force_login(cast.branch_a2)
    assert o.get(f"/api/v1/signing/ceremonies/{ceremony.pk}").status_code == 404


def test_api_verify_public(ceremony, letters, cast):
    signed = signed_member(letters, cast, ceremony)
    c = Client()
    r = c.get(f"/api/v1/signing/verify/{signed.verify_code}")
    assert r.status_code == 200 and r.json()["matches"] is True
    assert c.get("/api/v1/signing/verify/nope").status_code == 404


def test_todo_for_branch_and_custodians(ceremony, letters, cast, django_assert_max_num_queries):
    """§三.4–5: the branch holds the scheduled ceremony; custodians confirm their receipts."""
    from jiannuo.signing.todo import signing_todo

    assert signing_todo(cast.branch) == []  # the ceremony is held already
    signed_member(letters, cast, ceremony)
    with django_assert_max_num_queries(6):
        items = signing_todo(cast.staff_a)
    assert [i.step for i in items] == ["signing"] and "1" in items[0].title
    assert len(signing_todo(cast.member)) == 1
    assert signing_todo(cast.outsider) == []
    assert signing_todo(cast.branch_a2) == []


def test_refused_roles_on_pages(client, ceremony, letters, cast):
    """Deny by default: other villages and townships see nothing; viewers cannot run it."""
    for who in ("assessor_a", "secretary_b", "outsider"):
        client.force_login(getattr(cast, who))
        assert client.get(reverse("signing:ceremony", args=[ceremony.pk])).status_code == 404
        assert client.get(reverse("signing:letter", args=[letters.member.pk])).status_code == 404
    client.force_login(cast.voter)
    assert client.get(reverse("signing:ceremony", args=[ceremony.pk])).status_code == 200
    r = client.post(reverse("signing:ceremony_act", args=[ceremony.pk, "close"]))
    assert r.status_code == 403
    ceremony.refresh_from_db()
    assert ceremony.state == "held"


def test_custody_and_verify_query_counts(
    client, ceremony, letters, cast, django_assert_max_num_queries
):
    signed = signed_member(letters, cast, ceremony)
    client.force_login(cast.branch)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("signing:custody")).status_code == 200
    client.logout()
    with django_assert_max_num_queries(6):
        assert client.get(selectors.verification_url(signed)).status_code == 200
