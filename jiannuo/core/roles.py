"""Roles and what they may do: plain data, read by ``jiannuo.core.permissions``.

A role is held over a unit (district, township or village) and applies to that unit and
everything below it. Deny by default: a permission not listed here is refused.
"""

from django.utils.translation import gettext_lazy as _

DISTRICT_ADMIN = "district_admin"
TOWNSHIP_SECRETARY = "township_secretary"
TOWNSHIP_DEPUTY = "township_deputy_secretary"
TOWNSHIP_STAFF = "township_staff"
ASSESSOR = "assessor"
BRANCH_SECRETARY = "branch_secretary"
COMMITTEE_DIRECTOR = "committee_director"
TEAM_MEMBER = "team_member"
SUPERVISOR = "supervisor"
VOTER = "voter"

ROLE_CHOICES = [
    (DISTRICT_ADMIN, _("District administrator (organisation department)")),
    (TOWNSHIP_SECRETARY, _("Township party committee secretary")),
    (TOWNSHIP_DEPUTY, _("Township party committee deputy secretary")),
    (TOWNSHIP_STAFF, _("Township staff")),
    (ASSESSOR, _("Assessment group member")),
    (BRANCH_SECRETARY, _("Branch secretary")),
    (COMMITTEE_DIRECTOR, _("Village committee director")),
    (TEAM_MEMBER, _("Team member")),
    (SUPERVISOR, _("Supervision committee member")),
    (VOTER, _("Party member / villager representative")),
]
ROLE_LABELS = dict(ROLE_CHOICES)

# The unit kind each role is held at.
ROLE_LEVEL = {
    DISTRICT_ADMIN: "district",
    TOWNSHIP_SECRETARY: "township",
    TOWNSHIP_DEPUTY: "township",
    TOWNSHIP_STAFF: "township",
    ASSESSOR: "township",
    BRANCH_SECRETARY: "village",
    COMMITTEE_DIRECTOR: "village",
    TEAM_MEMBER: "village",
    SUPERVISOR: "village",
    VOTER: "village",
}

# Decision roles (§四: measures are decided by the township party committee; the assessment
# group assesses; the district runs the system). Only the level above grants them (the district
# for township roles, a superuser for district roles), always to a person on a roster, and a
# grant without a person confers nothing (``jiannuo.core.permissions.grants``).
DECISION_ROLES = {DISTRICT_ADMIN, TOWNSHIP_SECRETARY, TOWNSHIP_DEPUTY, ASSESSOR}

# Roles whose accounts may (and should) use two-factor log-in; decision roles must when
# ``settings.JIANNUO_TWO_FACTOR_REQUIRED`` is on.
TWO_FACTOR_ROLES = DECISION_ROLES | {TOWNSHIP_STAFF}

_TOWNSHIP_COMMON = {
    "org.view",
    "org.view_personal",
    "org.manage",
    "audit.view",
    "reports.view",
}

PERMISSIONS: dict[str, set[str]] = {
    DISTRICT_ADMIN: {
        "org.view",
        "org.view_personal",
        "org.manage",
        "org.manage_units",
        "accounts.manage",
        "accounts.grant_decision",
        "settings.manage",
        "audit.view",
        "reports.view",
    },
    TOWNSHIP_SECRETARY: _TOWNSHIP_COMMON | {"accounts.manage"},
    TOWNSHIP_DEPUTY: _TOWNSHIP_COMMON | {"accounts.manage"},
    TOWNSHIP_STAFF: set(_TOWNSHIP_COMMON),
    ASSESSOR: {"org.view"},
    BRANCH_SECRETARY: {"org.view", "org.view_personal", "org.manage"},
    COMMITTEE_DIRECTOR: {"org.view", "org.view_personal"},
    TEAM_MEMBER: {"org.view"},
    SUPERVISOR: {"org.view"},
    VOTER: {"org.view"},
}

# Village roles implied by the posts a person holds (DOMAIN.md: posts, not people).
POST_ROLES = {
    "branch_secretary": BRANCH_SECRETARY,
    "committee_director": COMMITTEE_DIRECTOR,
    "branch_deputy_secretary": TEAM_MEMBER,
    "branch_committee_member": TEAM_MEMBER,
    "committee_deputy_director": TEAM_MEMBER,
    "committee_member": TEAM_MEMBER,
    "supervision_chair": SUPERVISOR,
    "supervision_member": SUPERVISOR,
    "villager_representative": VOTER,
    "party_member": VOTER,
}


def grant(role: str, *perms: str) -> None:
    """Later steps add their permissions to roles here, next to their own code."""
    PERMISSIONS[role].update(perms)
