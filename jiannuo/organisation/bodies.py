"""The village bodies and which posts make up each roster (DOMAIN.md, "Who takes part")."""

from django.utils.translation import gettext_lazy as _

from .models import Post

BRANCH_COMMITTEE = "branch_committee"
VILLAGE_COMMITTEE = "village_committee"
SUPERVISION_COMMITTEE = "supervision_committee"
REPRESENTATIVES = "representatives_meeting"
PARTY_MEMBERS = "party_members"

BODIES = {
    BRANCH_COMMITTEE: (
        _("Party branch committee"),
        {Post.BRANCH_SECRETARY, Post.BRANCH_DEPUTY, Post.BRANCH_MEMBER},
    ),
    VILLAGE_COMMITTEE: (
        _("Village committee"),
        {Post.COMMITTEE_DIRECTOR, Post.COMMITTEE_DEPUTY, Post.COMMITTEE_MEMBER},
    ),
    SUPERVISION_COMMITTEE: (
        _("Village affairs supervision committee"),
        {Post.SUPERVISION_CHAIR, Post.SUPERVISION_MEMBER},
    ),
    REPRESENTATIVES: (_("Villager representatives' meeting"), {Post.REPRESENTATIVE}),
    PARTY_MEMBERS: (_("Party members"), {Post.PARTY_MEMBER}),
}


def body_of(post_kind: str) -> str:
    for key, (_label, kinds) in BODIES.items():
        if post_kind in kinds:
            return key
    raise KeyError(post_kind)


def has_supervision_committee(village, day) -> bool:
    """Whether ``village`` has a village affairs supervision committee on ``day`` (anyone
    holding one of its posts then). 组织法 requires one; a village without it is non-compliant
    and its democratic evaluation is presided as the district policy says."""
    from django.db.models import Q

    kinds = BODIES[SUPERVISION_COMMITTEE][1]
    return (
        Post.objects.filter(village=village, kind__in=kinds, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .exists()
    )
