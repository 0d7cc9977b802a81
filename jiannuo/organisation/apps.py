from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "jiannuo.organisation"
    label = "organisation"
    verbose_name = _("Organisation")

    def ready(self):
        from jiannuo.core import roles

        from . import todo  # noqa: F401  (registers the to-do providers)

        # After the election the township (or the district) carries a village's roster into
        # the new term (organisation.terms); the branch secretary does not confirm their own.
        for role in (
            roles.DISTRICT_ADMIN,
            roles.TOWNSHIP_SECRETARY,
            roles.TOWNSHIP_DEPUTY,
            roles.TOWNSHIP_STAFF,
        ):
            roles.grant(role, "org.carry_over")
