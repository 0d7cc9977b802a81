from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "jiannuo.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        from jiannuo.core import roles
        from jiannuo.core.roles import grant

        from . import bulletin, fates, todo  # noqa: F401  (registers the to-do provider and section)

        fates.register()  # the records deciding fates, checked by `jiannuo audit verify`

        township = (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY, roles.TOWNSHIP_STAFF)
        for role in (
            roles.DISTRICT_ADMIN,
            *township,
            roles.ASSESSOR,
            roles.BRANCH_SECRETARY,
            roles.COMMITTEE_DIRECTOR,
            roles.TEAM_MEMBER,
            roles.SUPERVISOR,
        ):
            grant(role, "evaluation.view")
        # The township forms the assessment group and confirms the year's results (§三.6).
        for role in township:
            grant(role, "evaluation.manage", "evaluation.tally")
        # Verdicts, losses and breaches: members of the year's assessment group only
        # (checked against the group in the service).
        for role in (*township, roles.ASSESSOR):
            grant(role, "evaluation.assess")
        # The supervision committee presides over the democratic evaluation and its count.
        grant(roles.SUPERVISOR, "evaluation.preside", "evaluation.tally")
