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
