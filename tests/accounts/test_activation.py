"""Log-ins for the people on village rosters (issue #14): the township issues activation slips,
one person or a whole village at once; the person sets a password with the code; roles follow
the posts; when the last post ends the log-in is disabled, never deleted; resets are audited."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from jiannuo.accounts import activation
from jiannuo.accounts.models import Activation
from jiannuo.core.audit import AuditEntry
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import grants
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Person, Post
from tests.conftest import make_person

NEW_PASSWORD = "Liushu2027ok"


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def newcomers(tree, system):
    """柳树村 people with posts and no log-in yet, and one whose posts have ended."""
    director = make_person(system, tree.a1, "孙立新", Post.COMMITTEE_DEPUTY)
    member = make_person(system, tree.a1, "吴桂兰", Post.BRANCH_MEMBER, Post.PARTY_MEMBER)
    former = make_person(system, tree.a1, "郑老汉", Post.REPRESENTATIVE)
    org.post_end(actor=system, post=former.posts.get(), end=date(2022, 1, 1))
    return director, member, former


def _can_log_in(username, password):
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def _activate(username, code, password=NEW_PASSWORD, again=None):
    return activation.account_activate(
        username=username, code=code, password=password, password_again=again or password
    )


def test_township_issues_a_log_in_and_the_person_sets_a_password(cast, newcomers):
    director, _member, _former = newcomers
    issued = activation.activation_issue(actor=cast.staff_a, person=director)
    director.refresh_from_db()
    assert director.user == issued.user and not issued.user.has_usable_password()
    assert activation.login_state(director) == activation.PENDING
    stored = Activation.objects.get(user=issued.user)
    assert issued.code not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.expires_at > timezone.now() + timedelta(days=13)
    user = _activate(issued.user.username, issued.code.lower())  # typed in lower case
    assert user.check_password(NEW_PASSWORD)
    # Roles follow the posts: the deputy director is a team member of 柳树村.
    assert {g.role for g in grants(User.objects.get(pk=user.pk))} == {"team_member"}
    # The code works once.
    with pytest.raises(ServiceError):
        _activate(issued.user.username, issued.code)
    assert AuditEntry.objects.filter(action="account.activation_issue").count() == 1
    assert AuditEntry.objects.filter(action="account.activate").count() == 1


def test_password_rules_apply_with_chinese_messages(cast, newcomers):
    issued = activation.activation_issue(actor=cast.staff_a, person=newcomers[0])
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ServiceError) as exc:
        _activate(issued.user.username, issued.code, password="short1")
    assert "密码" in str(exc.value.message)
    with pytest.raises(ServiceError) as exc:
        _activate(issued.user.username, issued.code, again="Different2027")
    assert exc.value.code == "password_mismatch"
    # Nothing spent: the right request still works.
    _activate(issued.user.username, issued.code)


def test_wrong_codes_void_the_code_after_five_attempts(cast, newcomers):
    issued = activation.activation_issue(actor=cast.staff_a, person=newcomers[0])
    for _ in range(Activation.MAX_ATTEMPTS):
        with pytest.raises(ServiceError):
            _activate(issued.user.username, "AAAA-AAAA")
    stored = Activation.objects.get(user=issued.user)
    assert stored.attempts == Activation.MAX_ATTEMPTS and stored.voided_at is not None
    with pytest.raises(ServiceError):
        _activate(issued.user.username, issued.code)


def test_an_expired_code_is_refused(cast, newcomers):
    issued = activation.activation_issue(actor=cast.staff_a, person=newcomers[0])
    Activation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ServiceError):
        _activate(issued.user.username, issued.code)


def test_whole_village_in_one_action(cast, tree, newcomers):
    director, member, _former = newcomers
    issued = activation.activation_issue_village(actor=cast.secretary_a, village=tree.a1)
    names = {i.person.name for i in issued}
    # The cast already have log-ins; the former representative holds no post.
    assert names == {director.name, member.name}
    # Again: nobody new (the slips handed out stay valid).
    assert activation.activation_issue_village(actor=cast.secretary_a, village=tree.a1) == []


def test_only_the_township_and_district_issue_log_ins(cast, newcomers):
    director = newcomers[0]
    for who in (cast.branch, cast.director, cast.member, cast.secretary_b, cast.outsider):
        with pytest.raises(PermissionDenied):
            activation.activation_issue(actor=who, person=director)
    activation.activation_issue(actor=cast.district, person=director)


def test_no_log_in_without_a_post(cast, newcomers):
    with pytest.raises(ServiceError) as exc:
        activation.activation_issue(actor=cast.staff_a, person=newcomers[2])
    assert exc.value.code == "no_post"


def test_a_township_account_is_not_reset_from_the_roster(cast, tree, system):
    """A person whose account holds township roles (an official on the township's roster,
    even with a post in a village too): the district resets it, not the township."""
    person = Person.objects.get(user=cast.deputy_a)
    Person.objects.filter(pk=person.pk).update(village=tree.a1)
    person.refresh_from_db()
    Post.objects.create(
        person=person, village=tree.a1, kind=Post.PARTY_MEMBER, start=date(2021, 1, 1)
    )
    with pytest.raises(ServiceError) as exc:
        activation.activation_issue(actor=cast.staff_a, person=person)
    assert exc.value.code == "not_roster_account"
    assert User.objects.get(pk=cast.deputy_a.pk).check_password("pw-for-tests-1")


def test_reset_voids_the_old_password_and_is_audited(cast):
    issued = activation.activation_issue(actor=cast.staff_a, person=cast.member_person)
    assert issued.purpose == Activation.RESET
    assert not _can_log_in("member", "pw-for-tests-1")
    entry = AuditEntry.objects.get(action="account.activation_issue")
    assert entry.changes["purpose"] == "reset" and issued.code not in str(entry.changes)
    _activate("member", issued.code)
    assert _can_log_in("member", NEW_PASSWORD)


def test_last_post_ending_disables_the_log_in_and_keeps_the_name(cast, system):
    person = cast.director_person
    org.post_end(actor=cast.staff_a, post=person.posts.get(), end=timezone.localdate())
    user = User.objects.get(pk=cast.director.pk)
    assert user.is_active is True  # still holds the post today
    post = person.posts.get()
    org.post_end(actor=cast.staff_a, post=post, end=timezone.localdate() - timedelta(days=1))
    user.refresh_from_db()
    assert user.is_active is False and user.username == "director"
    assert Person.objects.get(pk=person.pk).user_id == user.pk
    assert AuditEntry.objects.filter(action="account.disable").count() == 1
    assert not _can_log_in("director", "pw-for-tests-1")
    # A new post brings the log-in back.
    org.post_assign(
        actor=cast.staff_a, person=person, kind=Post.COMMITTEE_MEMBER, start=date.today()
    )
    user.refresh_from_db()
    assert user.is_active is True


def test_a_post_ended_on_a_later_date_stops_the_log_in_from_that_date(cast):
    """The log-in form refuses a roster person whose posts all ended (login_sync ran earlier)."""
    Post.objects.filter(person=cast.member_person).update(end=date(2024, 1, 1))
    assert not _can_log_in("member", "pw-for-tests-1")
    assert _can_log_in("branch", "pw-for-tests-1")


# --- Pages ------------------------------------------------------------------------------------


def test_village_slips_pdf_one_page_per_person(cast, tree, newcomers, tmp_path):
    response = _client(cast.staff_a).post(f"/accounts/villages/{tree.a1.pk}/activations/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "slips.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) == 2
    assert "孙立新" in pages[0] or "孙立新" in pages[1]
    assert "/accounts/activate/" in text
    username = Person.objects.get(name="孙立新").user.username
    assert username in text


def test_activation_page_sets_the_password_and_logs_in(cast, newcomers):
    issued = activation.activation_issue(actor=cast.staff_a, person=newcomers[0])
    client = Client()
    response = client.post(
        "/accounts/activate/",
        {
            "username": issued.user.username,
            "code": issued.code,
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/todo/"
    assert client.get("/todo/").status_code == 200
    bad = Client().post(
        "/accounts/activate/",
        {
            "username": issued.user.username,
            "code": "XXXX-XXXX",
            "password": "a",
            "password_again": "a",
        },
    )
    assert bad.status_code == 400


def test_person_page_shows_post_buttons_and_log_in_state(cast, newcomers):
    director = newcomers[0]
    page = _client(cast.staff_a).get(f"/org/people/{director.pk}/").content.decode()
    assert 'id="assign-post"' in page and 'class="end-post"' in page
    assert 'data-state="none"' in page and "person_activation" not in page
    assert f"/accounts/people/{director.pk}/activation/" in page
    # The branch secretary manages posts but issues no log-ins.
    page = _client(cast.branch).get(f"/org/people/{director.pk}/").content.decode()
    assert 'id="assign-post"' in page and "/activation/" not in page
    # A team member sees neither.
    page = _client(cast.member).get(f"/org/people/{director.pk}/").content.decode()
    assert 'id="assign-post"' not in page and 'class="end-post"' not in page


def test_roster_rows_name_the_log_in_state(cast, tree, newcomers):
    page = _client(cast.staff_a).get(f"/org/units/{tree.a1.pk}/").content.decode()
    assert 'class="small login" data-state="active"' in page
    assert 'class="small login" data-state="none"' in page
    assert 'id="village-activations"' in page


# --- API --------------------------------------------------------------------------------------


def test_api_issues_and_activates(cast, tree, newcomers):
    client = _client(cast.staff_a)
    response = client.post(f"/api/v1/units/{tree.a1.pk}/activations")
    assert response.status_code == 201
    body = {x["name"]: x for x in response.json()}
    assert set(body) == {"孙立新", "吴桂兰"}
    people = client.get(f"/api/v1/units/{tree.a1.pk}/people").json()["items"]
    assert {p["name"]: p["login"] for p in people}["孙立新"] == "pending"
    one = body["孙立新"]
    response = Client().post(
        "/api/v1/accounts/activate",
        {
            "username": one["username"],
            "code": one["code"],
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json() == {"username": one["username"]}
    wrong = Client().post(
        "/api/v1/accounts/activate",
        {
            "username": one["username"],
            "code": one["code"],
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "activation"
    # Reset of one person through the API.
    person = Person.objects.get(name="孙立新")
    response = client.post(f"/api/v1/people/{person.pk}/activation")
    assert response.status_code == 201 and response.json()["purpose"] == "reset"
    # Refused: a branch secretary (403), another township (404).
    assert _client(cast.branch).post(f"/api/v1/people/{person.pk}/activation").status_code == 403
    assert (
        _client(cast.secretary_b).post(f"/api/v1/people/{person.pk}/activation").status_code == 404
    )


def test_api_post_assign_and_end_end_the_log_in(cast):
    client = _client(cast.staff_a)
    post = cast.voter_person.posts.get()
    response = client.post(
        f"/api/v1/posts/{post.pk}/end", {"end": "2025-01-01"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert User.objects.get(pk=cast.voter.pk).is_active is False
    response = client.post(
        "/api/v1/posts",
        {"person_id": cast.voter_person.pk, "kind": "party_member", "start": "2025-06-01"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert User.objects.get(pk=cast.voter.pk).is_active is True
