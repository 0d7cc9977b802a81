"""Terms of office (换届, issue #14): the district opens a term; the township carries each
village's roster into it after the election, in one form or by workbook; people who left
get their posts ended the day before the term starts, and their log-ins follow."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client

from jiannuo.core.audit import AuditEntry
from jiannuo.core.errors import ServiceError
from jiannuo.organisation import terms
from jiannuo.organisation.models import Person, Post, RosterCarryOver, Term
from jiannuo.pledges import services as pledges
from tests.helpers import roster_file, row

EVE = date(2026, 12, 31)
START = date(2027, 1, 1)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def new_term(tree, cast):
    return terms.term_open(
        actor=cast.district, district=tree.district, name="2027—2031年届", start=START,
        end=date(2031, 12, 31),
    )  # fmt: skip


def test_district_opens_a_term_and_others_cannot(tree, cast):
    for who in (cast.secretary_a, cast.staff_a, cast.branch, cast.outsider):
        with pytest.raises(PermissionDenied):
            terms.term_open(
                actor=who, district=tree.district, name="x", start=START, end=date(2031, 12, 31)
            )
    term = terms.term_open(
        actor=cast.district, district=tree.district, name="2027—2031年届", start=START,
        end=date(2031, 12, 31),
    )  # fmt: skip
    assert term.years == [2027, 2028, 2029, 2030, 2031]
    with pytest.raises(ServiceError) as exc:  # overlaps the new one
        terms.term_open(
            actor=cast.district, district=tree.district, name="重叠", start=date(2031, 1, 1),
            end=date(2035, 12, 31),
        )  # fmt: skip
    assert exc.value.code == "overlap"


def test_district_opens_a_term_in_the_ui_and_the_api(tree, cast):
    page = _client(cast.district).get(f"/org/units/{tree.district.pk}/").content.decode()
    assert 'id="term-add"' in page
    response = _client(cast.district).post(
        f"/org/units/{tree.district.pk}/terms/add/",
        {"name": "2027—2031年届", "start": "2027-01-01", "end": "2031-12-31"},
    )
    assert response.status_code == 302 and Term.objects.filter(name="2027—2031年届").exists()
    assert (
        _client(cast.secretary_a).get(f"/org/units/{tree.district.pk}/terms/add/").status_code
        == 404
    )
    response = _client(cast.district).post(
        "/api/v1/terms",
        {
            "district_id": tree.district.pk,
            "name": "2032—2036年届",
            "start": "2032-01-01",
            "end": "2036-12-31",
        },
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["name"] == "2032—2036年届"
    names = [t["name"] for t in _client(cast.staff_a).get("/api/v1/terms").json()]
    assert names == ["2032—2036年届", "2027—2031年届", "2021—2026年届"]
    response = _client(cast.secretary_a).post(
        "/api/v1/terms",
        {"district_id": tree.district.pk, "name": "x", "start": "2040-01-01", "end": "2044-12-31"},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)


def test_carry_over_keeps_ends_and_starts_posts(tree, cast, new_term):
    member_post = cast.member_person.posts.get()
    director_post = cast.director_person.posts.get()
    done = terms.roster_carry_over(
        actor=cast.staff_a,
        village=tree.a1,
        term=new_term,
        leaving={director_post.pk},
        new=[
            terms.NewPost(kind=Post.COMMITTEE_DIRECTOR, person_id=cast.member_person.pk),
            terms.NewPost(kind=Post.COMMITTEE_MEMBER, name="林晓峰", phone="13811112222"),
        ],
    )
    assert (done.kept, done.ended, done.started) == (5, 1, 2)
    director_post.refresh_from_db()
    assert director_post.end == EVE
    member_post.refresh_from_db()
    assert member_post.end is None  # goes on (the member is now also the director)
    newcomer = Person.objects.get(name="林晓峰")
    assert newcomer.posts.get().start == START
    assert Post.objects.get(person=cast.member_person, kind=Post.COMMITTEE_DIRECTOR).start == START
    # The new term's team: the director's letter is the member's, the leaver has none.
    team = {p.person.name for p in pledges.team_posts(tree.a1, new_term, 2027)}
    assert team == {"李建国", "张秀英", "林晓峰"}
    assert AuditEntry.objects.filter(action="roster.carry_over").count() == 1
    with pytest.raises(ServiceError) as exc:
        terms.roster_carry_over(
            actor=cast.staff_a, village=tree.a1, term=new_term, leaving=set(), new=[]
        )
    assert exc.value.code == "carried"


def test_posts_entered_with_the_old_terms_end_go_on_in_a_new_row(tree, cast, new_term):
    Post.objects.filter(person=cast.member_person).update(end=EVE)
    terms.roster_carry_over(
        actor=cast.staff_a, village=tree.a1, term=new_term, leaving=set(), new=[]
    )
    kinds = list(cast.member_person.posts.order_by("start").values_list("start", "end"))
    assert kinds == [(date(2021, 1, 1), EVE), (START, None)]


def test_the_leavers_log_in_ends_with_their_last_post(tree, cast, new_term):
    """The director leaves: the log-in stays until the post's last day (the form refuses it
    afterwards), and is disabled once that day has passed."""
    director_post = cast.director_person.posts.get()
    terms.roster_carry_over(
        actor=cast.staff_a, village=tree.a1, term=new_term, leaving={director_post.pk}, new=[]
    )
    from jiannuo.organisation import services as org

    # Today is before the term's eve: the log-in goes on until then.
    assert User.objects.get(pk=cast.director.pk).is_active is True
    # Recorded as ended in the past, the log-in is off.
    org.post_end(actor=cast.staff_a, post=director_post, end=date(2025, 12, 31))
    assert User.objects.get(pk=cast.director.pk).is_active is False


def test_only_the_township_carries_the_roster_over(tree, cast, new_term):
    for who in (cast.branch, cast.director, cast.secretary_b, cast.outsider):
        with pytest.raises(PermissionDenied):
            terms.roster_carry_over(
                actor=who, village=tree.a1, term=new_term, leaving=set(), new=[]
            )
    assert not RosterCarryOver.objects.exists()


def test_a_second_director_is_refused_and_nothing_is_saved(tree, cast, new_term):
    with pytest.raises(ServiceError) as exc:
        terms.roster_carry_over(
            actor=cast.staff_a,
            village=tree.a1,
            term=new_term,
            leaving=set(),
            new=[terms.NewPost(kind=Post.COMMITTEE_DIRECTOR, person_id=cast.member_person.pk)],
        )
    assert exc.value.code == "post_held"
    assert not RosterCarryOver.objects.exists()
    assert not Post.objects.filter(start=START).exists()


def test_carry_over_by_workbook(tree, cast, new_term):
    """The new term's roster as a workbook: rows that match keep, others start, the rest end."""
    keep = [
        (p.person, p) for p in Post.objects.filter(village=tree.a1).select_related("person")
        if p.kind != Post.COMMITTEE_DIRECTOR
    ]  # fmt: skip
    rows = [
        row(village="柳树村", name=person.name, phone=person.phone,
            post=_label(post.kind), start=post.start.isoformat())
        for person, post in keep
    ]  # fmt: skip
    rows.append(
        row(
            village="柳树村",
            name="林晓峰",
            phone="13811112222",
            post="村委会主任",
            start="2027-01-01",
        )
    )
    done = terms.roster_carry_over_import(
        actor=cast.staff_a, village=tree.a1, term=new_term, upload=roster_file(rows)
    )
    assert (done.kept, done.ended, done.started) == (5, 1, 1)
    assert cast.director_person.posts.get().end == EVE
    assert Person.objects.get(name="林晓峰").posts.get().kind == Post.COMMITTEE_DIRECTOR


def _label(kind):
    from jiannuo.organisation.roster import POST_NAMES

    return POST_NAMES[kind]


def test_carry_over_form_and_api(tree, cast, new_term):
    page = _client(cast.staff_a).get(f"/org/units/{tree.a1.pk}/")
    assert 'id="carry-over-due"' in page.content.decode()
    url = f"/org/units/{tree.a1.pk}/terms/{new_term.pk}/carry-over/"
    assert _client(cast.branch).get(url).status_code == 404
    director_post = cast.director_person.posts.get()
    response = _client(cast.staff_a).post(
        url,
        {
            f"post-{director_post.pk}": "leave",
            "new-0-kind": Post.COMMITTEE_DIRECTOR,
            "new-0-name": "林晓峰",
            "new-0-phone": "13811112222",
        },
    )
    assert response.status_code == 302
    assert RosterCarryOver.objects.get().started == 1
    page = _client(cast.staff_a).get(f"/org/units/{tree.a1.pk}/").content.decode()
    assert 'id="carry-over-due"' not in page and 'class="muted small carried"' in page
    # The API on another village.
    api = _client(cast.staff_a)
    outgoing = api.get(f"/api/v1/units/{tree.a2.pk}/terms/{new_term.pk}/outgoing").json()
    assert [o["name"] for o in outgoing] == ["刘长青"]
    response = api.post(
        f"/api/v1/units/{tree.a2.pk}/terms/{new_term.pk}/carry-over",
        {
            "leaving": [outgoing[0]["id"]],
            "new": [{"kind": "branch_secretary", "name": "何新", "phone": "13822223333"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["ended"] == 1
    assert User.objects.get(pk=cast.branch_a2.pk).is_active is True  # until 2026-12-31
    refused = _client(cast.secretary_b).post(
        f"/api/v1/units/{tree.a2.pk}/terms/{new_term.pk}/carry-over",
        {"leaving": [], "new": []},
        content_type="application/json",
    )
    assert refused.status_code == 404
