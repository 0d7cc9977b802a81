from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jiannuo.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from jiannuo.core import roles

        # The township (and the district) issue log-ins and password resets to the people on
        # their villages' rosters (accounts.activation); village cadres do not.
        for role in (
            roles.DISTRICT_ADMIN,
            roles.TOWNSHIP_SECRETARY,
            roles.TOWNSHIP_DEPUTY,
            roles.TOWNSHIP_STAFF,
        ):
            roles.grant(role, "accounts.activate")
