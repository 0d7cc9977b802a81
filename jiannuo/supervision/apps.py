from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "jiannuo.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self):
        from jiannuo.bulletin.sections import Section, register
        from jiannuo.core import roles
        from jiannuo.core.roles import grant

        from . import bulletin, todo  # noqa: F401  (registers the to-do provider)

        township = (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY, roles.TOWNSHIP_STAFF)
        # See progress, evidence, inspections and risk within one's units (§五.3); the
        # supervision committee watches its village; voters read the public bulletin instead.
        for role in (
            roles.DISTRICT_ADMIN,
            *township,
            roles.ASSESSOR,
            roles.BRANCH_SECRETARY,
            roles.COMMITTEE_DIRECTOR,
            roles.TEAM_MEMBER,
            roles.SUPERVISOR,
        ):
            grant(role, "supervision.view")
        # Report progress — the service also checks the cadre holds the item's post.
        for role in (roles.BRANCH_SECRETARY, roles.COMMITTEE_DIRECTOR, roles.TEAM_MEMBER):
            grant(role, "supervision.record")
        # The village answers rectification requests; the branch asks for adjustments.
        for role in (roles.BRANCH_SECRETARY, roles.COMMITTEE_DIRECTOR):
            grant(role, "supervision.respond")
        grant(roles.BRANCH_SECRETARY, "supervision.adjust_request", "supervision.retract")
        # The township party committee inspects, signs off and decides adjustments (§五.3).
        for role in township:
            grant(role, "supervision.inspect", "supervision.retract", "supervision.dashboard")
        for role in (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY):
            grant(role, "supervision.decide")
        grant(roles.DISTRICT_ADMIN, "supervision.dashboard")

        register(
            Section(
                key="supervision",
                order=10,
                load=bulletin.load,
                template="supervision/_bulletin_section.html",
                item_template="supervision/_bulletin_item.html",
                stamp_sql=bulletin.stamp_sql,
            )
        )
