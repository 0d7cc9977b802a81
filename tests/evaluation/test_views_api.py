"""Pages and API of the year-end step: scopes (404 outside, 403 forbidden), the public vote
page and API, results only after closing, the bulletin section and the to-do entries."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from jiannuo.core.todo import items_for
from jiannuo.evaluation import services
from jiannuo.evaluation.models import Ballot, BallotCode

from .conftest import YEAR, assess, checkin_all, is_spent, issue_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(tree, cast, letters, voters):
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    issue_codes(checkin_all(rnd, cast.supervisor), cast.supervisor)
    services.round_open(actor=cast.supervisor, round=rnd)
    return rnd


def api(client, method, url, data=None):
    if method == "get":
        return client.get("/api/v1" + url)
    return getattr(client, method)(
        "/api/v1" + url, data=json.dumps(data or {}), content_type="application/json"
    )


def test_pages_render_for_the_roles_and_404_outside(client, cast, tree, phone, group):
    client.force_login(cast.supervisor)
    assert client.get(reverse("evaluation:index") + f"?year={YEAR}").status_code == 200
    assert client.get(reverse("evaluation:round", args=[phone.pk])).status_code == 200
    # Slips are issued by a POST before the round opens: once open, none can be printed.
    r = client.post(reverse("evaluation:slips", args=[phone.pk]))
    assert r.status_code == 302 and BallotCode.objects.filter(round=phone).count() == 10
    client.force_login(cast.assessor_a)
    r = client.get(reverse("evaluation:village_year", args=[tree.a1.pk, YEAR]))
    assert r.status_code == 200 and b"verdict-form" in r.content
    client.force_login(cast.branch_a2)
    assert client.get(reverse("evaluation:round", args=[phone.pk])).status_code == 404
    assert (
        client.get(reverse("evaluation:village_year", args=[tree.a1.pk, YEAR])).status_code == 404
    )
    client.force_login(cast.branch)  # sees the round, may not print the codes
    assert client.post(reverse("evaluation:slips", args=[phone.pk])).status_code == 403


def test_public_vote_page_casts_one_sheet(client, phone):
    code = phone.codes[0]
    url = reverse("evaluation:vote", args=[code])
    r = client.get(url)
    assert r.status_code == 200 and b'id="ballot"' in r.content
    data = {f"t{t.pk}": "satisfied" for t in phone.targets.all()}
    assert client.post(url, data).status_code == 200
    r = client.post(url, data)
    assert r.status_code == 400 and b'id="ballot"' not in r.content
    assert Ballot.objects.count() == 1
    assert client.get(reverse("evaluation:vote", args=["nope"])).status_code == 404


def test_api_ballot_is_public_and_refuses_foreign_and_reused_codes(client, phone):
    code = phone.codes[0]
    choices = {str(t.pk): "abstain" for t in phone.targets.all()}
    r = api(
        client, "post", f"/evaluation/rounds/{phone.pk}/ballots", {"code": code, "choices": choices}
    )
    assert r.status_code == 201
    r = api(
        client, "post", f"/evaluation/rounds/{phone.pk}/ballots", {"code": code, "choices": choices}
    )
    assert r.status_code == 400
    other = phone.codes[1]
    assert is_spent(code) and not is_spent(other)
    r = api(
        client,
        "post",
        f"/evaluation/rounds/{phone.pk + 1}/ballots",
        {"code": other, "choices": choices},
    )
    assert r.status_code == 400
    assert Ballot.objects.count() == 1


@pytest.fixture
def draft(tree, cast, letters, voters):
    """A phone round, everyone present, no slips printed yet."""
    rnd = services.round_create(actor=cast.supervisor, village=tree.a1, year=YEAR, method="phone")
    return checkin_all(rnd, cast.supervisor)


def test_slips_page_issues_the_codes_once_without_names(client, cast, draft):
    client.force_login(cast.supervisor)
    page = client.get(reverse("evaluation:round", args=[draft.pk])).content.decode()
    assert 'id="slips-needed">10<' in page  # N = voters present
    url = reverse("evaluation:slips", args=[draft.pk])
    assert client.get(url).status_code == 405  # a link cannot issue codes
    r = client.post(url, {"version": draft.version})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    html = r.content.decode()
    codes = [c.split('"')[0] for c in html.split('data-code="')[1:]]
    assert len(set(codes)) == 10
    assert sorted(services.code_digest(c) for c in codes) == sorted(
        BallotCode.objects.filter(round=draft).values_list("digest", flat=True)
    )
    for v in draft.voters.select_related("person"):
        assert v.person.name not in html
    # The same form sent again (a reload) is refused and keeps the printed slips valid.
    r = client.post(url, {"version": draft.version})
    assert r.status_code == 302
    assert sorted(services.code_digest(c) for c in codes) == sorted(
        BallotCode.objects.filter(round=draft).values_list("digest", flat=True)
    )
    page = client.get(reverse("evaluation:round", args=[draft.pk])).content.decode()
    assert 'id="slips-printed"' in page and 'id="issued">10<' in page


@pytest.mark.parametrize(("user", "status"), [("branch", 403), ("branch_a2", 404), ("voter", 404)])
def test_slips_are_printed_only_by_the_presiding_officer(client, cast, draft, user, status):
    client.force_login(getattr(cast, user))
    assert client.post(reverse("evaluation:slips", args=[draft.pk])).status_code == status
    r = api(client, "post", f"/evaluation/rounds/{draft.pk}/slips")
    assert r.status_code in (403, 404)
    assert not BallotCode.objects.exists()


def test_api_issues_the_slips(client, cast, draft):
    client.force_login(cast.supervisor)
    r = api(client, "post", f"/evaluation/rounds/{draft.pk}/slips")
    assert r.status_code == 201 and len(set(r.json())) == 10
    r = api(client, "post", f"/evaluation/rounds/{draft.pk}/steps/open")
    assert r.status_code == 200 and r.json()["state"] == "open"
    r = api(client, "post", f"/evaluation/rounds/{draft.pk}/slips")
    assert r.status_code == 400 and r.json()["code"] == "not_draft"


def test_api_round_counts_only_after_closing(client, cast, phone):
    client.force_login(cast.supervisor)
    r = api(client, "get", f"/evaluation/rounds/{phone.pk}")
    assert r.status_code == 200 and r.json()["tallies"] is None
    r = api(client, "post", f"/evaluation/rounds/{phone.pk}/steps/close")
    assert r.status_code == 200 and len(r.json()["tallies"]) == 4
    client.force_login(cast.branch)  # sees the round, does not preside
    r = api(client, "post", f"/evaluation/rounds/{phone.pk}/steps/void")
    assert r.status_code == 403
    client.force_login(cast.voter)  # voters do not see rounds
    assert api(client, "get", f"/evaluation/rounds/{phone.pk}").status_code == 404


def test_api_verdicts_and_results(client, cast, tree, letters, group):
    client.force_login(cast.assessor_a)
    item = letters.team.items[0]
    r = api(client, "post", "/evaluation/verdicts", {"item_id": item.pk, "verdict": "fulfilled"})
    assert r.status_code == 201
    client.force_login(cast.staff_a)  # township staff outside the group
    r = api(
        client,
        "post",
        "/evaluation/verdicts",
        {"item_id": item.pk, "verdict": "partly", "reason": "other"},
    )
    assert r.status_code == 403
    r = api(client, "get", f"/evaluation/results/{tree.a1.pk}/{YEAR}")
    assert r.status_code == 200 and not r.json()["confirmed"] and r.json()["problems"]
    r = api(client, "post", f"/evaluation/results/{tree.a1.pk}/{YEAR}/confirm")
    assert r.status_code == 400


def test_bulletin_shows_confirmed_rates_and_grades(client, tree, completed):
    r = client.get(f"/bulletin/{tree.a1.code}/")
    assert r.status_code == 200
    assert b'id="evaluation-results"' in r.content and b"40.00%" in r.content


def test_bulletin_hides_unconfirmed_years(client, tree, cast, letters, group, voters):
    assess(letters, cast.assessor_a)
    r = client.get(f"/bulletin/{tree.a1.code}/")
    assert b'id="evaluation-results"' not in r.content


def test_todo_entries_for_group_presiding_officer_and_township(cast, tree, phone, group):
    assert any(i.step == "evaluation" for i in items_for(cast.assessor_a))
    assert any("evaluation/rounds" in i.url for i in items_for(cast.supervisor))
    services.round_close(actor=cast.supervisor, round=phone)
    assert any(i.step == "evaluation" for i in items_for(cast.secretary_a))
    assert not any(i.step == "evaluation" for i in items_for(cast.outsider))


def test_bulletin_section_loads_in_a_fixed_number_of_queries(
    tree, cast, completed, letters, django_assert_num_queries
):
    from jiannuo.evaluation import bulletin
    from jiannuo.organisation.policy import set_policy

    set_policy(
        actor=cast.district, district=tree.district, year_from=2020,
        data={"published": ["satisfaction_rates", "grades", "verdicts"]},
    )  # fmt: skip
    few = letters.team.items[:1]
    many = [i for s in (letters.team, letters.member, letters.director) for i in s.items]
    with django_assert_num_queries(4):
        small = bulletin.load(tree.a1, few)
    with django_assert_num_queries(4):
        big = bulletin.load(tree.a1, many)
    assert len(big["verdicts"]) == len(many) and len(small["verdicts"]) == 1
    assert big["rates"] and big["grades"]
    set_policy(actor=cast.district, district=tree.district, year_from=2021,
               data={"published": ["criticism"]})  # fmt: skip
    hidden = bulletin.load(tree.a1, many)
    assert not hidden["show"] and not hidden["verdicts"]


def test_api_losses_by_the_group_with_their_posts_and_nothing_from_others(
    client, cast, tree, letters, group
):
    """§四.2: a loss names its amount, cause and responsible posts; only the assessment group
    records it, and a post of another village is refused, not silently dropped."""
    from decimal import Decimal

    from jiannuo.evaluation.models import Loss

    body = {
        "village_id": tree.a1.pk,
        "year": YEAR,
        "amount": "12000.50",
        "cause": "dereliction",
        "description": "工程款未经审核拨付",
        "breach_clause": "2",
        "post_ids": [letters.posts.director.pk],
    }
    client.force_login(cast.assessor_a)
    r = api(client, "post", "/evaluation/losses", body)
    assert r.status_code == 201
    loss = Loss.objects.get(pk=r.json()["id"])
    assert loss.amount == Decimal("12000.50") and loss.recorded_by == cast.assessor_a
    assert list(loss.posts.all()) == [letters.posts.director]
    other_village_post = letters.posts.director.__class__.objects.exclude(village=tree.a1).first()
    for bad, code in [
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"cause": "weather"}, "cause"),
        ({"description": "  "}, "description"),
        ({"post_ids": []}, "posts"),
        ({"post_ids": [letters.posts.director.pk, other_village_post.pk]}, "post"),
    ]:
        r = api(client, "post", "/evaluation/losses", {**body, **bad})
        assert (r.status_code, r.json()["code"]) == (400, code), bad
    client.force_login(cast.staff_a)  # township staff outside the group
    assert api(client, "post", "/evaluation/losses", body).status_code == 403
    client.force_login(cast.branch_a2)  # another village's branch
    assert api(client, "post", "/evaluation/losses", body).status_code == 404
    client.logout()
    assert api(client, "post", "/evaluation/losses", body).status_code == 401
    assert Loss.objects.count() == 1


def test_api_breaches_integrity_and_discipline(client, cast, tree, letters, group):
    """§四.4: an integrity breach (a post or the team) and a discipline violation (always a
    post, referred to the competent body)."""
    from jiannuo.evaluation.models import Breach

    client.force_login(cast.assessor_a)
    base = {"village_id": tree.a1.pk, "year": YEAR}
    r = api(
        client,
        "post",
        "/evaluation/breaches",
        {**base, "kind": "integrity", "description": "违规接受宴请"},
    )
    assert r.status_code == 201 and Breach.objects.get(pk=r.json()["id"]).post is None
    r = api(
        client,
        "post",
        "/evaluation/breaches",
        {
            **base,
            "kind": "discipline",
            "description": "违反财经纪律",
            "post_id": letters.posts.member.pk,
            "referred_to": "镇纪委",
        },
    )
    assert r.status_code == 201
    b = Breach.objects.get(pk=r.json()["id"])
    assert (b.post, b.referred_to) == (letters.posts.member, "镇纪委")
    r = api(
        client, "post", "/evaluation/breaches", {**base, "kind": "discipline", "description": "x"}
    )
    assert (r.status_code, r.json()["code"]) == (400, "post")
    r = api(client, "post", "/evaluation/breaches", {**base, "kind": "gossip", "description": "x"})
    assert (r.status_code, r.json()["code"]) == (400, "kind")
    client.force_login(cast.staff_a)
    r = api(
        client, "post", "/evaluation/breaches", {**base, "kind": "integrity", "description": "x"}
    )
    assert r.status_code == 403
    assert Breach.objects.count() == 2
