from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinConfig(AppConfig):
    name = "jiannuo.bulletin"
    label = "bulletin"
    verbose_name = _("Bulletin board")

    def ready(self):
        from jiannuo.core import roles
        from jiannuo.core.roles import grant

        from . import todo  # noqa: F401  (registers the to-do provider)

        # §三.4: the branch posts the pledges on the village board and records it.
        grant(roles.BRANCH_SECRETARY, "bulletin.record_posting")
        # §三.5: the township prints the originals of its villages' letters.
        for role in (
            roles.DISTRICT_ADMIN,
            roles.TOWNSHIP_SECRETARY,
            roles.TOWNSHIP_DEPUTY,
            roles.TOWNSHIP_STAFF,
        ):
            grant(role, "bulletin.batch_pdf")
