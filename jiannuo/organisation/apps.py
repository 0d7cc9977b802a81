from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "jiannuo.organisation"
    label = "organisation"
    verbose_name = _("Organisation")

    def ready(self):
        from . import todo  # noqa: F401  (registers the to-do providers)
