from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpinionsConfig(AppConfig):
    name = "jiannuo.opinions"
    label = "opinions"
    verbose_name = _("Opinions")

    def ready(self):
        from jiannuo.core import roles
        from jiannuo.core.roles import grant

        from . import todo  # noqa: F401  (registers the to-do provider)

        # Read the village's opinions (without the givers' personal data), hot issues, tasks.
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
            grant(role, "opinions.view")
        # The givers' names and phones: personal data, for those who follow opinions up.
        for role in (
            roles.TOWNSHIP_SECRETARY,
            roles.TOWNSHIP_DEPUTY,
            roles.TOWNSHIP_STAFF,
            roles.BRANCH_SECRETARY,
            roles.COMMITTEE_DIRECTOR,
        ):
            grant(role, "opinions.view_personal")
        # Enter cards from paper, record meetings and visits: the village team.
        for role in (roles.BRANCH_SECRETARY, roles.COMMITTEE_DIRECTOR, roles.TEAM_MEMBER):
            grant(role, "opinions.enter")
        # Group opinions into hot issues and decide them; answer township tasks (not adopt).
        for role in (roles.BRANCH_SECRETARY, roles.COMMITTEE_DIRECTOR):
            grant(role, "opinions.manage_issues", "opinions.answer_tasks")
        # Issue tasks to the township's villages (镇党委、政府下达工作任务).
        for role in (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY, roles.TOWNSHIP_STAFF):
            grant(role, "opinions.issue_tasks")
