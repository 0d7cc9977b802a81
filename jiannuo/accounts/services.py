"""Accounts: users, role assignments, API tokens, two-factor devices."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import require
from jiannuo.core.roles import ROLE_LABELS, ROLE_LEVEL
from jiannuo.organisation.models import Unit

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


def role_assign(*, actor, user: User, role: str, unit) -> RoleAssignment:
    require(actor, "accounts.manage", unit)
    if role not in ROLE_LABELS:
        raise ServiceError(_("Unknown role."), code="role")
    if ROLE_LEVEL[role] != unit.kind:
        raise ServiceError(
            _("This role is held at the level of a %(level)s.")
            % {"level": dict(Unit.KINDS)[ROLE_LEVEL[role]]},
            code="role_level",
        )
    with transaction.atomic():
        ra, created = RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
        if created:
            audit.record(actor, "role.assign", ra, changes={"user": user.pk, "role": role})
    return ra


def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    require(actor, "accounts.manage", assignment.unit)
    with transaction.atomic():
        audit.record(
            actor,
            "role.revoke",
            assignment,
            changes={"user": assignment.user_id, "role": assignment.role},
        )
        assignment.delete()


def token_create(*, actor, name: str) -> tuple[ApiToken, str]:
    """A new API token for the actor; the key is shown once and only its hash is kept."""
    if actor is None or not actor.is_authenticated:
        raise ServiceError(_("Log in first."), code="auth")
    key = "jn_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor, name=(name or "api")[:60], key_hash=ApiToken.hash_key(key), prefix=key[:8]
        )
        audit.record(actor, "token.create", token, changes={"name": token.name})
    return token, key


def token_revoke(*, actor, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise ServiceError(_("This is not your token."), code="forbidden")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "token.revoke", token)


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
