"""Who may do what, where. Deny by default.

A user's grants are (role, unit path) pairs: explicit ``RoleAssignment`` rows plus the village
roles implied by the active posts of the user's person. A permission holds for a unit when a
grant's role lists it and the grant's unit contains the unit.

A decision role (``roles.DECISION_ROLES``) counts only when its row names a person on a roster
whose account is this user: an account somebody made up, with no person behind it, decides
nothing. "Two approvers" and "not your own case" compare persons (``same_person``), not accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .roles import DECISION_ROLES, PERMISSIONS, POST_ROLES


@dataclass(frozen=True)
class Grant:
    role: str
    unit_id: int
    path: str


def grants(user) -> tuple[Grant, ...]:
    """All active grants of ``user``, computed once per user object (i.e. per request)."""
    if user is None or not user.is_authenticated:
        return ()
    cached = getattr(user, "_jiannuo_grants", None)
    if cached is not None:
        return cached
    from jiannuo.accounts.models import RoleAssignment
    from jiannuo.organisation.models import Post

    today = timezone.localdate()
    out = []
    rows = (
        RoleAssignment.objects.filter(user=user, revoked_at__isnull=True)
        .filter(Q(start__isnull=True) | Q(start__lte=today))
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .values_list("role", "unit_id", "unit__path", "person__user_id")
    )
    out += [
        Grant(r, u, p)
        for r, u, p, person_user in rows
        if r not in DECISION_ROLES or person_user == user.pk
    ]
    posts = (
        Post.objects.filter(person__user=user, start__lte=today)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .values_list("kind", "village_id", "village__path")
    )
    out += [Grant(POST_ROLES[k], v, p) for k, v, p in posts if k in POST_ROLES]
    result = tuple(dict.fromkeys(out))
    user._jiannuo_grants = result
    return result


def roles_at(user, unit) -> set[str]:
    return {g.role for g in grants(user) if unit.path.startswith(g.path)}


def has_perm(user, perm: str, unit) -> bool:
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    return any(perm in PERMISSIONS[g.role] and unit.path.startswith(g.path) for g in grants(user))


def require(user, perm: str, unit) -> None:
    """Raise PermissionDenied unless ``user`` holds ``perm`` over ``unit``."""
    if not has_perm(user, perm, unit):
        raise PermissionDenied(_("You are not allowed to do this here."))


def scope_paths(user, perm: str) -> list[str]:
    """The unit paths under which ``user`` holds ``perm`` (["/"] for a superuser)."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return ["/"]
    return sorted({g.path for g in grants(user) if perm in PERMISSIONS[g.role]})


def scope_q(user, perm: str, field: str = "village") -> Q:
    """A filter for objects whose ``field`` (a Unit) lies under the user's scope for ``perm``.

    With no scope it matches nothing: deny by default.
    """
    prefix = f"{field}__path__startswith" if field else "path__startswith"
    q = Q(pk__in=[])
    for path in scope_paths(user, perm):
        q |= Q(**{prefix: path})
    return q


def person_ids(user) -> set[int]:
    """The roster persons behind an account: the person linked to it and every person a role
    was ever granted to through it (so an account later relinked still counts as that person)."""
    if user is None or not getattr(user, "pk", None):
        return set()
    from jiannuo.accounts.models import RoleAssignment
    from jiannuo.organisation.models import Person

    ids = set(Person.objects.filter(user_id=user.pk).values_list("pk", flat=True))
    ids |= set(
        RoleAssignment.objects.filter(user_id=user.pk, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    return ids


def same_person(a, b) -> bool:
    """Whether two accounts are the same human being as far as the rosters know: the same
    account, or accounts sharing a roster person. Compare this, never ``a.pk == b.pk``, when
    a rule needs two different people (second approval, not your own decision)."""
    if a is None or b is None:
        return False
    a_pk = getattr(a, "pk", a)
    b_pk = getattr(b, "pk", b)
    if a_pk == b_pk:
        return True
    from django.contrib.auth.models import User

    a_user = a if hasattr(a, "pk") else User(pk=a_pk)
    b_user = b if hasattr(b, "pk") else User(pk=b_pk)
    return bool(person_ids(a_user) & person_ids(b_user))
