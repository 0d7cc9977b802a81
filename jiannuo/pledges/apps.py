from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    name = "jiannuo.pledges"
    label = "pledges"
    verbose_name = _("Pledges")

    def ready(self):
        from jiannuo.core import roles
        from jiannuo.core.roles import grant

        from . import todo  # noqa: F401  (registers the to-do provider)

        # Read drafts and approved letters: the township, the district, the village team and
        # the supervision committee (which comments on the drafts, §三.3).
        for role in (
            roles.DISTRICT_ADMIN,
            roles.TOWNSHIP_SECRETARY,
            roles.TOWNSHIP_DEPUTY,
            roles.TOWNSHIP_STAFF,
            roles.ASSESSOR,
            roles.BRANCH_SECRETARY,
            roles.COMMITTEE_DIRECTOR,
            roles.TEAM_MEMBER,
            roles.SUPERVISOR,
        ):
            grant(role, "pledges.view")
        # The branch convenes: prepare the letters, hold the joint meeting and the
        # consultation, submit to the township (§三.2–3).
        grant(roles.BRANCH_SECRETARY, "pledges.prepare", "pledges.workflow")
        # Edit every letter of the village: the secretary and the director (they sign the
        # team letter); every team member edits their own letter (posts, not people).
        for role in (roles.BRANCH_SECRETARY, roles.COMMITTEE_DIRECTOR):
            grant(role, "pledges.edit", "pledges.edit_own")
        grant(roles.TEAM_MEMBER, "pledges.edit_own")
        # Only the township party committee approves, returns or orders a redo (§三.3, §五.2).
        for role in (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY):
            grant(role, "pledges.approve")

        # Tell the opinions step which issues and tasks the letters answer.
        from jiannuo.opinions.selectors import ANSWERED_BY

        from .selectors import answered_refs

        if answered_refs not in ANSWERED_BY:
            ANSWERED_BY.append(answered_refs)
