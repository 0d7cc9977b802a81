"""§二 and §四.2: an economic-loss breach clause states what the cadre pays as data when the
letter is drafted — a share of the loss or a fixed sum (issue #14) — through the services, the
drafting page and the API; the share is part of the letter's content (its snapshot)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from jiannuo.core.errors import ServiceError
from jiannuo.pledges import services
from jiannuo.pledges.models import BreachClause
from jiannuo.pledges.selectors import snapshot

from .conftest import reload

pytestmark = pytest.mark.django_db


def add(letter, actor, **kw):
    letter = reload(letter)
    values = {
        "category": "economic_loss",
        "trigger": "因失职造成集体经济损失",
        "measure": "按损失金额的10%承担赔偿",
    }
    values.update(kw)
    return services.clause_add(actor=actor, letter=letter, version=letter.version, **values)


def test_a_share_of_the_loss_is_stored_as_data(letters, cast):
    clause = add(letters.director, cast.director, share_percent="10")
    assert clause.share_percent == Decimal("10") and clause.amount is None
    assert snapshot(clause.letter_version)["clauses"][0]["share_percent"] == "10.00"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"share_percent": "0"}, "share"),
        ({"share_percent": "120"}, "share"),
        ({"share_percent": "十"}, "share"),
        ({"share_percent": "10", "amount": "500"}, "share_and_amount"),
        ({"share_percent": "10", "category": "unmet_goals"}, "share"),
    ],
)
def test_implausible_shares_are_refused(letters, cast, kw, code):
    with pytest.raises(ServiceError) as exc:
        add(letters.director, cast.director, **kw)
    assert exc.value.code == code
    assert not BreachClause.objects.exists()


def test_a_clause_without_a_share_keeps_the_old_snapshot_shape(letters, cast):
    """Letters signed before the share existed keep their content hash."""
    clause = add(letters.director, cast.director, amount="500", measure="赔偿500元")
    assert "share_percent" not in snapshot(clause.letter_version)["clauses"][0]


def test_api_and_page_take_the_share(letters, cast):
    c = Client()
    c.force_login(cast.director)
    letter = reload(letters.director)
    body = {
        "version": letter.version,
        "category": "economic_loss",
        "trigger": "因失职造成集体经济损失",
        "measure": "按损失金额的10%承担赔偿",
        "share_percent": "10",
    }
    r = c.post(
        f"/api/v1/pledges/letters/{letter.pk}/clauses", body, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    assert Decimal(r.json()["share_percent"]) == Decimal("10")
    r = c.post(
        f"/api/v1/pledges/letters/{letter.pk}/clauses",
        {**body, "version": reload(letter).version, "amount": "300"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "share_and_amount"
    page = c.get(f"/pledges/letters/{letter.pk}/")
    assert page.status_code == 200 and "data-share" in page.content.decode()
