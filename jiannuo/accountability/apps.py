from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "jiannuo.accountability"
    label = "accountability"
    verbose_name = _("Accountability")

    def ready(self):
        from jiannuo.core import roles
        from jiannuo.core.roles import grant

        from . import bulletin, fates, todo  # noqa: F401  (register the to-do provider and section)

        fates.register()  # the records deciding fates, checked by `jiannuo audit verify`

        # See the cases and the honours list: the district sees all, a township its own.
        for role in (
            roles.DISTRICT_ADMIN,
            roles.TOWNSHIP_SECRETARY,
            roles.TOWNSHIP_DEPUTY,
            roles.TOWNSHIP_STAFF,
        ):
            grant(role, "accountability.view")
        # Preview the year's proposals and open cases; carry out decided measures.
        for role in (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY, roles.TOWNSHIP_STAFF):
            grant(role, "accountability.run", "accountability.carry_out")
        # §四: the township party committee decides — its secretary and deputy secretary, by
        # name; a resignation demand needs a second of them.
        for role in (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY):
            grant(role, "accountability.decide")
        # An appeal is decided by someone who took no part in the decision: the township's
        # other decision-maker or the district organisation department.
        for role in (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY, roles.DISTRICT_ADMIN):
            grant(role, "accountability.appeal_decide")
        # The team's Party B (branch secretary, committee director) answers for team cases.
        for role in (roles.BRANCH_SECRETARY, roles.COMMITTEE_DIRECTOR):
            grant(role, "accountability.team")
