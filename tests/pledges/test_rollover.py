"""A new year's annual letters started from last year's (issue #14): items and clauses copied
as drafts of the new year, to be edited and approved again — never carried as pledged."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from jiannuo.core.audit import AuditEntry
from jiannuo.core.errors import ServiceError
from jiannuo.pledges import rules
from jiannuo.pledges.models import Letter, PledgeItem
from jiannuo.pledges.rollover import letters_start_from_previous
from jiannuo.signing.models import SignedLetter
from tests.factories import signed_year


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def last_year(tree, cast, system):
    return signed_year(tree, cast, system, year=2025)


def test_items_are_copied_as_drafts_of_the_new_year(tree, cast, last_year):
    started = letters_start_from_previous(
        actor=cast.branch, village=tree.a1, term=tree.term, year=2026
    )
    assert len(started) == 4
    for letter in started:
        letter.refresh_from_db()
        assert letter.year == 2026 and letter.state == rules.DRAFT
        assert not SignedLetter.objects.filter(letter=letter).exists()
        version = letter.versions.get()
        items = list(version.items.order_by("position"))
        assert [i.text[:2] for i in items] and len(items) == 4
        assert all(i.deadline.year == 2026 for i in items)
        assert not any(i.breaks_down.exists() for i in items)
        assert version.clauses.count() == 3
    team = next(x for x in started if x.kind == Letter.TEAM)
    assert team.versions.get().items.first().text == "村两委班子承诺1"
    assert team.versions.get().items.first().deadline == date(2026, 3, 31)
    # Last year's signed letters are untouched.
    assert PledgeItem.objects.filter(letter_version__letter__year=2025).count() == 16
    assert AuditEntry.objects.filter(action="letter.start_from_previous").count() == 4
    # Again: nothing more is copied into letters that already have content.
    assert (
        letters_start_from_previous(actor=cast.branch, village=tree.a1, term=tree.term, year=2026)
        == []
    )


def test_only_the_branch_starts_letters_and_only_from_an_existing_year(tree, cast, last_year):
    for who in (cast.member, cast.voter, cast.branch_a2, cast.outsider):
        with pytest.raises(PermissionDenied):
            letters_start_from_previous(actor=who, village=tree.a1, term=tree.term, year=2026)
    with pytest.raises(ServiceError) as exc:
        letters_start_from_previous(actor=cast.branch, village=tree.a1, term=tree.term, year=2024)
    assert exc.value.code == "no_previous"


def test_start_from_previous_in_the_page_and_the_api(tree, cast, last_year):
    page = _client(cast.branch).get(f"/pledges/villages/{tree.a1.pk}/2026/").content.decode()
    assert 'id="start-from-previous"' in page
    response = _client(cast.branch).post(f"/pledges/villages/{tree.a1.pk}/2026/from-previous/")
    assert response.status_code == 302
    assert Letter.objects.filter(year=2026).count() == 4
    Letter.objects.filter(year=2026).delete()
    response = _client(cast.branch).post(
        f"/api/v1/pledges/villages/{tree.a1.pk}/letters/from-previous",
        {"year": 2026},
        content_type="application/json",
    )
    assert response.status_code == 201 and {x["state"] for x in response.json()} == {"draft"}
    refused = _client(cast.member).post(
        f"/api/v1/pledges/villages/{tree.a1.pk}/letters/from-previous",
        {"year": 2026},
        content_type="application/json",
    )
    assert refused.status_code == 403
