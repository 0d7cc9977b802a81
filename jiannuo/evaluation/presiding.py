"""Who presides over a village's democratic evaluation, enters its count and co-signs it.

Where the village has a supervision committee, the committee presides (role permission
``evaluation.preside``) and the count is entered and confirmed by two different people holding
``evaluation.tally`` (the committee or the township). A village without a supervision committee
(DOMAIN.md "No supervision body") still holds its round: the district policy names who stands
in — by default the township's staff present the round and enter the count, and a villagers'
representative of the village co-signs it (``Policy.presiding_without_supervision`` and
``Policy.count_cosigned_without_supervision``). The services and the views ask this module;
nothing else decides it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiannuo.core.permissions import has_perm
from jiannuo.organisation.bodies import has_supervision_committee
from jiannuo.organisation.models import Post
from jiannuo.organisation.policy import policy_for

from .rules import REPRESENTATIVE, SUPERVISION, TOWNSHIP

LABELS = {
    SUPERVISION: gettext_lazy("The village affairs supervision committee"),
    TOWNSHIP: gettext_lazy("Township staff"),
    REPRESENTATIVE: gettext_lazy("A villager representative"),
}


@dataclass(frozen=True)
class Arrangement:
    """Who presides and enters the count (``presides``) and who co-signs it (``cosigns``)."""

    supervision_committee: bool
    presides: str
    cosigns: str

    @property
    def presides_label(self):
        return LABELS[self.presides]

    @property
    def cosigns_label(self):
        if self.supervision_committee:
            return gettext_lazy("A second person of the supervision committee or the township")
        return LABELS[self.cosigns]


def arrangement(village, year: int, day=None) -> Arrangement:
    day = day or timezone.localdate()
    if has_supervision_committee(village, day):
        return Arrangement(True, SUPERVISION, SUPERVISION)
    policy = policy_for(village, year)
    return Arrangement(
        False, policy.presiding_without_supervision, policy.count_cosigned_without_supervision
    )


def _is_representative(user, village, day) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        Post.objects.filter(
            person__user=user, village=village, kind=Post.REPRESENTATIVE, start__lte=day
        )
        .exclude(end__lt=day)
        .exists()
    )


def _acts_as(user, who: str, village, day) -> bool:
    if who == SUPERVISION:
        return has_perm(user, "evaluation.preside", village)
    if who == TOWNSHIP:
        return has_perm(user, "evaluation.manage", village)
    if who == REPRESENTATIVE:
        return _is_representative(user, village, day)
    return False


def may_preside(user, village, year: int, arr: Arrangement | None = None) -> bool:
    """Whether ``user`` presents the round (check-in, open, close, void)."""
    arr = arr or arrangement(village, year)
    return _acts_as(user, arr.presides, village, timezone.localdate())


def may_enter_count(user, village, year: int, arr: Arrangement | None = None) -> bool:
    arr = arr or arrangement(village, year)
    if arr.supervision_committee:
        return has_perm(user, "evaluation.tally", village)
    return _acts_as(user, arr.presides, village, timezone.localdate())


def may_confirm_count(user, village, year: int, arr: Arrangement | None = None) -> bool:
    arr = arr or arrangement(village, year)
    if arr.supervision_committee:
        return has_perm(user, "evaluation.tally", village)
    return _acts_as(user, arr.cosigns, village, timezone.localdate())


def _refuse():
    raise PermissionDenied(_("You are not allowed to do this here."))


def require_preside(user, village, year: int) -> None:
    if not may_preside(user, village, year):
        _refuse()


def require_enter_count(user, village, year: int) -> None:
    if not may_enter_count(user, village, year):
        _refuse()


def require_confirm_count(user, village, year: int) -> None:
    if not may_confirm_count(user, village, year):
        _refuse()
