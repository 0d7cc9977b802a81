"""To-do items of the signing step (§三.4–5): ceremonies to hold, letters awaiting the user's
signature, and originals to receipt.

Fixed number of queries: one for ceremonies, one for the cadre's signatures, one for the
township deputy's, one for copies awaiting the user's receipt.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core.permissions import scope_paths, scope_q
from jiannuo.core.todo import TodoItem, provider
from jiannuo.organisation.models import Post
from jiannuo.pledges.models import LetterVersion

from . import rules
from .models import Ceremony, Custody, LetterVote


def _awaiting_signature():
    """Current approved versions that passed the vote and are not fully signed yet."""
    return (
        LetterVersion.objects.filter(
            state="approved",
            letter__state="approved",
            number=F("letter__current_number"),
        )
        .filter(Exists(LetterVote.objects.filter(letter_version=OuterRef("pk"), passed=True)))
        .exclude(signed__signed_at__isnull=False)
        .select_related("letter__village")
    )


def _signature_items(versions) -> list[TodoItem]:
    return [
        TodoItem(
            step="signing",
            title=_("Sign the letter “%(title)s” of %(village)s")
            % {"title": v.letter.title, "village": v.letter.village.name},
            url=reverse("signing:letter", args=[v.letter_id]),
            detail=f"v{v.number}",
            urgent=True,
        )
        for v in versions
    ]


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
                    detail=f"{timezone.localtime(c.scheduled_at):%Y-%m-%d %H:%M} {c.place}",
                    urgent=False,
                )
            )
    # §三.4: the cadre signs their own letter; the branch secretary and the committee director
    # sign the team letter for Party B.
    today = timezone.localdate()
    holds = Post.objects.filter(
        village=OuterRef("letter__village"),
        kind__in=[Post.BRANCH_SECRETARY, Post.COMMITTEE_DIRECTOR],
        person__user=user,
        start__lte=today,
    ).filter(Q(end__isnull=True) | Q(end__gte=today))
    mine = (
        _awaiting_signature()
        .alias(has_post=Exists(holds))
        .filter(Q(letter__post__person__user=user) | Q(letter__kind="team", has_post=True))
        .exclude(signed__signatures__person__user=user)
    )
    out += _signature_items(mine)
    # The township deputy party secretary signs every team letter for Party A.
    if scope_paths(user, "signing.sign_party_a"):
        out += _signature_items(
            _awaiting_signature()
            .filter(scope_q(user, "signing.sign_party_a", field="letter__village"))
            .filter(letter__kind="team")
            .exclude(signed__signatures__role=rules.TOWNSHIP_DEPUTY_SECRETARY)
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
