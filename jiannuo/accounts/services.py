"""Accounts: users, role assignments, API tokens, two-factor devices."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import has_perm, require, same_person
from jiannuo.core.roles import DECISION_ROLES, ROLE_LABELS, ROLE_LEVEL
from jiannuo.organisation.models import Person, Unit
from jiannuo.organisation.roster import PHONE_RE

from .models import ApiToken, RoleAssignment


def user_create(
    *,
    actor,
    username: str,
    password: str,
    full_name: str = "",
    unit=None,
    person=None,
    password_hash: str | None = None,
) -> User:
    """Create an account. ``unit`` is where the actor must hold accounts.manage.

    ``password_hash`` (an already validated and hashed password) lets bulk loaders avoid
    hashing the same password again for each account.
    """
    require(actor, "accounts.manage", unit if unit is not None else person.village)
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise ServiceError(_("A user name is required."), code="username")
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), code="password") from exc
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ServiceError(
                _("The user name %(name)s is taken.") % {"name": username}, code="username"
            )
        user = User(username=username, first_name=full_name[:150])
        if password_hash:
            user.password = password_hash
        else:
            user.set_password(password)
        user.save()
        if person is not None:
            person.user = user
            person.save(update_fields=["user"])
        audit.record(
            actor,
            "user.create",
            user,
            unit=unit or (person and person.village),
            changes={
                "username": username,
                "full_name": full_name,
                "person": person.pk if person else None,
            },
        )
    return user


def _require_grantor(actor, role: str, unit) -> None:
    """Decision roles are granted only by the level above: the district (``accounts.
    grant_decision``) for township roles, a superuser for district roles. Other roles by
    whoever manages accounts at the unit."""
    if role not in DECISION_ROLES:
        require(actor, "accounts.manage", unit)
        return
    if unit.kind == Unit.DISTRICT:
        if not (actor is not None and actor.is_superuser):
            raise PermissionDenied(_("Only a superuser grants district roles."))
        return
    if not has_perm(actor, "accounts.grant_decision", unit):
        raise PermissionDenied(
            _(
                "Only the district grants township decision roles (secretary, deputy, assessment group)."
            )
        )


def _check_role(role: str, unit) -> None:
    if role not in ROLE_LABELS:
        raise ServiceError(_("Unknown role."), code="role")
    if ROLE_LEVEL[role] != unit.kind:
        raise ServiceError(
            _("This role is held at the level of a %(level)s.")
            % {"level": dict(Unit.KINDS)[ROLE_LEVEL[role]]},
            code="role_level",
        )


def role_assign(
    *, actor, role: str, unit, user: User | None = None, person: Person | None = None
) -> RoleAssignment:
    """Grant ``role`` over ``unit``. A decision role goes to a person on a roster of the same
    district, through that person's account, and never to the grantor themself."""
    _check_role(role, unit)
    _require_grantor(actor, role, unit)
    if person is not None:
        if user is not None and user.pk != person.user_id:
            raise ServiceError(_("This account is not that person's account."), code="person")
        user = person.user
        if user is None:
            raise ServiceError(
                _("%(name)s has no account yet.") % {"name": person.name}, code="no_account"
            )
        if person.village.district_id != unit.district_id:
            raise ServiceError(_("This person is on another district's roster."), code="person")
    if role in DECISION_ROLES:
        if person is None:
            person = Person.objects.filter(user=user).select_related("village").first()
        if person is None:
            raise ServiceError(
                _("A decision role is granted to a person on a roster, not to a bare account."),
                code="no_person",
            )
        if same_person(actor, user):
            raise ServiceError(_("Nobody grants a decision role to themself."), code="self_grant")
    if user is None:
        raise ServiceError(_("Choose the account."), code="user")
    with transaction.atomic():
        ra = RoleAssignment.objects.filter(
            user=user, role=role, unit=unit, revoked_at__isnull=True
        ).first()
        if ra is not None:
            return ra
        ra = RoleAssignment.objects.create(
            user=user,
            role=role,
            unit=unit,
            person=person,
            granted_by=actor,
            granted_at=timezone.now(),
        )
        audit.record(
            actor,
            "role.assign",
            ra,
            changes={"user": user.pk, "role": role, "person": person.pk if person else None},
        )
        tokens_revoke_all(actor=actor, user=user, reason="roles_changed")
    return ra


def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    """End a grant. The row stays (revoked, by whom, when) on the district's list."""
    _require_grantor(actor, assignment.role, assignment.unit)
    with transaction.atomic():
        row = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if row.revoked_at is not None:
            return
        row.revoked_at, row.revoked_by = timezone.now(), actor
        row.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            actor,
            "role.revoke",
            row,
            changes={"user": row.user_id, "role": row.role, "person": row.person_id},
        )
        tokens_revoke_all(actor=actor, user=row.user, reason="roles_changed")
    assignment.revoked_at, assignment.revoked_by = row.revoked_at, actor


def official_create(
    *,
    actor,
    unit,
    role: str,
    name: str,
    phone: str,
    username: str,
    password: str,
    full_name: str = "",
    password_hash: str | None = None,
) -> RoleAssignment:
    """A township or district official: a person on the unit's roster of officials, their
    account and their role, in one step. Decision roles only by the level above."""
    _check_role(role, unit)
    _require_grantor(actor, role, unit)
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name or len(name) > 40:
        raise ServiceError(_("A name of 1 to 40 characters is required."), code="name")
    if not PHONE_RE.match(phone):
        raise ServiceError(_("“%(value)s” is not a phone number.") % {"value": phone}, code="phone")
    with transaction.atomic():
        person = Person.objects.filter(village=unit, name=name, phone=phone).first()
        if person is not None and person.user_id is not None:
            raise ServiceError(
                _("%(name)s already has the account %(user)s: grant the role to it.")
                % {"name": name, "user": person.user.username},
                code="has_account",
            )
        if person is None:
            person = Person.objects.create(village=unit, name=name, phone=phone)
            audit.record(actor, "person.create", person, changes={"name": name, "phone": phone})
        user = user_create(
            actor=actor,
            username=username,
            password=password,
            full_name=full_name or name,
            unit=unit,
            person=person,
            password_hash=password_hash,
        )
        person.user = user
        return role_assign(actor=actor, role=role, unit=unit, person=person)


def token_days() -> int:
    return int(getattr(settings, "JIANNUO_TOKEN_DAYS", 90))


def token_create(*, actor, name: str) -> tuple[ApiToken, str]:
    """A new API token for the actor; the key is shown once and only its hash is kept. It
    expires after ``settings.JIANNUO_TOKEN_DAYS`` (90) days."""
    if actor is None or not actor.is_authenticated:
        raise ServiceError(_("Log in first."), code="auth")
    key = "jn_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=(name or "api")[:60],
            key_hash=ApiToken.hash_key(key),
            prefix=key[:8],
            expires_at=timezone.now() + timedelta(days=token_days()),
        )
        audit.record(
            actor,
            "token.create",
            token,
            changes={"name": token.name, "expires_at": token.expires_at.isoformat()},
        )
    return token, key


def token_revoke(*, actor, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise ServiceError(_("This is not your token."), code="forbidden")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.revoked_reason = "owner"
        token.save(update_fields=["revoked_at", "revoked_reason"])
        audit.record(actor, "token.revoke", token)


def tokens_revoke_all(*, actor, user, reason: str) -> int:
    """Revoke every live token of ``user`` (their roles changed: a token must not carry powers
    its owner no longer has, nor new ones they were not given when it was made)."""
    if user is None:
        return 0
    with transaction.atomic():
        live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
        now = timezone.now()
        for token in live:
            token.revoked_at, token.revoked_reason = now, reason
            token.save(update_fields=["revoked_at", "revoked_reason"])
            audit.record(actor, "token.revoke", token, changes={"reason": reason})
    if hasattr(user, "_jiannuo_grants"):
        del user._jiannuo_grants
    return len(live)


def totp_start(*, actor) -> TOTPDevice:
    """An unconfirmed TOTP device; confirmed once the user types a valid code."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=actor, name="totp", confirmed=False)
    return device


def totp_confirm(*, actor, device: TOTPDevice, token: str) -> None:
    if device.user_id != actor.pk:
        raise ServiceError(_("This is not your device."), code="forbidden")
    if not device.verify_token(token):
        raise ServiceError(_("The code is wrong or expired; try the current one."), code="otp")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(actor, "totp.enable", actor)
