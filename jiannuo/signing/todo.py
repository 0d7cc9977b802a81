"""To-do items of the signing step (§三.4–5): ceremonies to hold and originals to receipt.

Fixed number of queries: one for ceremonies, one for copies awaiting the user's receipt.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from jiannuo.core.permissions import scope_paths, scope_q
from jiannuo.core.todo import TodoItem, provider

from . import rules
from .models import Ceremony, Custody


@provider
def signing_todo(user):
    if user is None or not user.is_authenticated or user.is_superuser:
        return []
    out: list[TodoItem] = []
    if scope_paths(user, "signing.run"):
        for c in Ceremony.objects.filter(
            scope_q(user, "signing.run"), state=Ceremony.SCHEDULED
        ).select_related("village"):
            out.append(
                TodoItem(
                    step="signing",
                    title=_("Hold the signing ceremony of %(village)s") % {"village": c.village},
                    url=reverse("signing:ceremony", args=[c.pk]),
                    detail=f"{c.scheduled_at:%Y-%m-%d %H:%M} {c.place}",
                    urgent=False,
                )
            )
    q = Q(pk__in=[])
    if scope_paths(user, "signing.receipt_township"):
        q |= Q(custodian=rules.TOWNSHIP) & scope_q(
            user, "signing.receipt_township", field="signed_letter__letter__village"
        )
    if scope_paths(user, "signing.run"):
        q |= Q(custodian=rules.BRANCH) & scope_q(
            user, "signing.run", field="signed_letter__letter__village"
        )
    q |= Q(custodian=rules.CADRE, signed_letter__letter__post__person__user=user)
    n = Custody.objects.filter(q, receipt_at__isnull=True).count()
    if n:
        out.append(
            TodoItem(
                step="signing",
                title=_("Confirm receipt of %(n)s signed originals") % {"n": n},
                url=reverse("signing:custody"),
                detail="",
                urgent=False,
            )
        )
    return out
