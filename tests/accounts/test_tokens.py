"""API tokens expire (90 days by default) and are revoked when the account's roles change
(issue #12 part 3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiannuo.accounts import services
from jiannuo.accounts.models import ApiToken
from jiannuo.core import roles
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Person, Post

pytestmark = pytest.mark.django_db


def me(key):
    return Client().get("/api/v1/me", headers={"authorization": f"Bearer {key}"})


def test_a_token_expires_after_90_days_by_default(cast):
    token, key = services.token_create(actor=cast.secretary_a, name="报表")
    assert timedelta(days=89, hours=23) < token.expires_at - timezone.now() <= timedelta(days=90)
    assert me(key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert me(key).status_code == 401


def test_the_lifetime_is_a_setting(cast, settings):
    settings.JIANNUO_TOKEN_DAYS = 7
    token, _key = services.token_create(actor=cast.branch, name="x")
    assert token.expires_at - timezone.now() <= timedelta(days=7)


def test_the_security_page_shows_the_expiry(cast):
    token, _key = services.token_create(actor=cast.branch, name="报表")
    c = Client()
    c.force_login(cast.branch)
    body = c.get(reverse("accounts:security")).content.decode()
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d") in body
    assert "90" in body


def test_tokens_are_revoked_when_a_grant_changes(cast, tree):
    person = Person.objects.get(user=cast.deputy_a)
    _token, key = services.token_create(actor=cast.deputy_a, name="x")
    services.role_assign(actor=cast.district, role=roles.ASSESSOR, unit=tree.a, person=person)
    assert me(key).status_code == 401
    _token, key = services.token_create(actor=cast.deputy_a, name="y")
    grant = cast.deputy_a.roles.get(role=roles.ASSESSOR)
    services.role_revoke(actor=cast.district, assignment=grant)
    assert me(key).status_code == 401
    assert set(ApiToken.objects.values_list("revoked_reason", flat=True)) == {"roles_changed"}


def test_tokens_are_revoked_when_posts_change(cast, system):
    """Village roles follow posts: a new or ended post changes them."""
    _token, key = services.token_create(actor=cast.member, name="x")
    org.post_assign(
        actor=system, person=cast.member_person, kind=Post.PARTY_MEMBER, start=date(2024, 7, 1)
    )
    assert me(key).status_code == 401
    _token, key = services.token_create(actor=cast.member, name="y")
    post = cast.member_person.posts.get(kind=Post.PARTY_MEMBER)
    org.post_end(actor=system, post=post, end=date(2025, 1, 1))
    assert me(key).status_code == 401


def test_tokens_are_revoked_when_a_roster_import_changes_posts(cast, tree, system):
    from tests.helpers import roster_file, row

    _token, key = services.token_create(actor=cast.voter, name="x")
    person = cast.voter_person
    org.roster_import(
        actor=system,
        unit=tree.a,
        upload=roster_file(
            [row(name=person.name, phone=person.phone, post="党员", start="2024-07-01")]
        ),
    )
    assert me(key).status_code == 401
