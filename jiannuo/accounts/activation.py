"""Log-ins of the people on village rosters: activation slips, first log-in, password reset.

The township issues a log-in to a person who holds a post on a village roster (one person, or
everyone of a village without a log-in in one action) and prints an activation slip: name,
user name, a one-time activation code and where to go. The person types the user name and
the code once and sets a password. A forgotten password is reset the same way: a new slip
(the old password stops working at once). Only an HMAC of each code is stored, with an expiry.

Roles are not granted here: they follow the person's active posts (``core.permissions``).
When the person's last post ends, ``organisation.services`` disables the log-in (never
deletes it: the history keeps the name). Township and district roles (``RoleAssignment``)
are granted elsewhere and their accounts are never reset from a village roster.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import require
from jiannuo.organisation.models import Person, Post, Unit

from .models import Activation, RoleAssignment

#: No 0/O, 1/I/L: the code is read from paper and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

# Log-in states of a person (a roster row names one).
NONE, PENDING, ACTIVE, DISABLED = "none", "pending", "active", "disabled"


@dataclass(frozen=True)
class Issued:
    """One issued activation: what the slip prints. ``code`` exists only in this object."""

    person: Person
    user: User
    code: str
    expires_at: object
    purpose: str


def code_hash(user_id: int, code: str) -> str:
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"activation:{user_id}:{normalised}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def holds_post_from(person_id: int, day) -> bool:
    """Whether the person holds a post on ``day`` or later (a post not yet ended)."""
    return (
        Post.objects.filter(person_id=person_id)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .exists()
    )


def login_state(person: Person) -> str:
    """none / pending (issued, no password yet) / active / disabled."""
    user = person.user
    if user is None:
        return NONE
    if not user.is_active:
        return DISABLED
    if not user.has_usable_password():
        return PENDING
    return ACTIVE


def _username_for(person: Person) -> str:
    base = f"{person.village.code.lower()}-{person.pk}"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _check_issuable(person: Person, today) -> None:
    if not holds_post_from(person.pk, today):
        raise ServiceError(
            _("%(name)s holds no post on the roster; a log-in is only for people with a post.")
            % {"name": person.name},
            code="no_post",
        )
    user = person.user
    if user is not None and (
        user.is_superuser or user.is_staff or RoleAssignment.objects.filter(user=user).exists()
    ):
        # A township or district account: its password is not reset from a village roster.
        raise ServiceError(
            _(
                "%(name)s's account also holds township or district roles; the district "
                "resets its password."
            )
            % {"name": person.name},
            code="not_roster_account",
        )


def _issue(actor, person: Person, now) -> Issued:
    """Inside the caller's transaction: create or reuse the user, void old codes, new code."""
    user = person.user
    purpose = Activation.ACTIVATE
    if user is None:
        user = User(username=_username_for(person), first_name=person.name[:150])
        user.set_unusable_password()
        user.save()
        Person.objects.filter(pk=person.pk).update(user=user)
        person.user = user
        audit.record(
            actor,
            "user.create",
            user,
            unit=person.village,
            changes={"username": user.username, "person": person.pk, "source": "activation"},
        )
    else:
        if user.has_usable_password():
            purpose = Activation.RESET
        # The old password (or an earlier slip) stops working now.
        user.set_unusable_password()
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
    Activation.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=now
    )
    code = _new_code()
    expires = now + timedelta(days=settings.ACTIVATION_VALID_DAYS)
    activation = Activation.objects.create(
        user=user,
        person=person,
        purpose=purpose,
        code_hash=code_hash(user.pk, code),
        expires_at=expires,
        issued_by=actor,
    )
    audit.record(
        actor,
        "account.activation_issue",
        activation,
        changes={
            "person": person.pk,
            "username": user.username,
            "purpose": purpose,
            "expires_at": expires,
        },
    )
    return Issued(person=person, user=user, code=code, expires_at=expires, purpose=purpose)


def activation_issue(*, actor, person: Person) -> Issued:
    """A log-in (or a password reset) for one person with a post: a new one-time code."""
    require(actor, "accounts.activate", person.village)
    now = timezone.now()
    with transaction.atomic():
        person = (
            Person.objects.select_for_update(of=("self",))
            .select_related("village", "user")
            .get(pk=person.pk)
        )
        _check_issuable(person, timezone.localdate())
        return _issue(actor, person, now)


def activation_issue_village(*, actor, village: Unit) -> list[Issued]:
    """Log-ins for everyone of a village who holds a post and has no log-in yet (or whose
    slip expired unused), in one action. People with a working log-in are left alone."""
    require(actor, "accounts.activate", village)
    if village.kind != Unit.VILLAGE:
        raise ServiceError(_("Log-ins are issued for the people of one village."), code="scope")
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        ids = set(
            Post.objects.filter(village=village)
            .filter(Q(end__isnull=True) | Q(end__gte=today))
            .values_list("person_id", flat=True)
        )
        people = list(
            Person.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("village", "user")
            .order_by("name", "pk")
        )
        pending = set(
            Activation.objects.filter(
                person__in=people, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now
            ).values_list("person_id", flat=True)
        )
        issued = []
        for person in people:
            state = login_state(person)
            if state == ACTIVE or (state == PENDING and person.pk in pending):
                continue
            if state == DISABLED:
                continue  # disabled on purpose by the township; issue one by one
            _check_issuable(person, today)
            issued.append(_issue(actor, person, now))
        audit.record(
            actor, "account.activation_issue_village", village, changes={"issued": len(issued)}
        )
    return issued


def account_activate(*, username: str, code: str, password: str, password_again: str) -> User:
    """First log-in (or log-in after a reset): user name + activation code → set a password.

    A wrong code counts against the code (void after ``Activation.MAX_ATTEMPTS``); that count
    is committed even though the request is refused.
    """
    username = (username or "").strip()
    wrong = ServiceError(
        _("The user name or the activation code is wrong, used or expired."), code="activation"
    )
    if password != password_again:
        raise ServiceError(_("The two passwords differ."), code="password_mismatch")
    now = timezone.now()
    refused = False
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        activation = None
        if user is not None:
            activation = (
                Activation.objects.select_for_update()
                .filter(user=user, used_at__isnull=True, voided_at__isnull=True)
                .order_by("-issued_at", "-id")
                .first()
            )
        if activation is None or activation.expires_at <= now:
            raise wrong
        if not hmac.compare_digest(activation.code_hash, code_hash(user.pk, code or "")):
            activation.attempts += 1
            fields = ["attempts"]
            if activation.attempts >= Activation.MAX_ATTEMPTS:
                activation.voided_at = now
                fields.append("voided_at")
            activation.save(update_fields=fields)
            audit.record(
                None,
                "account.activation_failed",
                activation,
                changes={"username": username, "attempts": activation.attempts},
            )
            refused = True
        else:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ServiceError(" ".join(exc.messages), code="password") from exc
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            activation.used_at = now
            activation.save(update_fields=["used_at"])
            audit.record(
                user, "account.activate", activation, changes={"purpose": activation.purpose}
            )
    if refused:
        raise wrong
    return user
