from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "jiannuo.signing"
    label = "signing"
    verbose_name = _("Signing")

    def ready(self):
        from jiannuo.core import roles
        from jiannuo.core.roles import grant

        from . import fates, retention, todo  # noqa: F401  (registers the to-do provider)

        fates.register()  # the records deciding fates, checked by `jiannuo audit verify`
        # Kept records cannot be deleted before their time (issue #18).
        retention.connect()

        # See ceremonies, signed letters and the custody register (§三.4–5).
        for role in (
            roles.DISTRICT_ADMIN,
            roles.TOWNSHIP_SECRETARY,
            roles.TOWNSHIP_DEPUTY,
            roles.TOWNSHIP_STAFF,
            roles.BRANCH_SECRETARY,
            roles.COMMITTEE_DIRECTOR,
            roles.TEAM_MEMBER,
            roles.SUPERVISOR,
            roles.VOTER,
        ):
            grant(role, "signing.view")
        # The branch secretary runs the ceremony: schedule, check-in, notes, votes, paper
        # signatures of representatives, the scan, and the branch's copy receipt (§三.4–5).
        grant(roles.BRANCH_SECRETARY, "signing.run")
        # A signed letter is changed only by a new version through approval, vote and signing
        # again (#4.7): the branch or the township party committee starts the change.
        for role in (roles.BRANCH_SECRETARY, roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY):
            grant(role, "signing.amend")
        # The township deputy party secretary signs the team letters for Party A (§三.4);
        # ``signing.sign_party_a`` drives their to-do (the signing rule checks the role itself).
        grant(roles.TOWNSHIP_DEPUTY, "signing.sign_party_a")
        # The township party committee keeps one original of every letter (§三.5).
        for role in (roles.TOWNSHIP_SECRETARY, roles.TOWNSHIP_DEPUTY, roles.TOWNSHIP_STAFF):
            grant(role, "signing.receipt_township")
        # Township staff hand the kept records to the archives (档案移交, issue #18); the
        # district may make the same transfer for any township.
        for role in (
            roles.DISTRICT_ADMIN,
            roles.TOWNSHIP_SECRETARY,
            roles.TOWNSHIP_DEPUTY,
            roles.TOWNSHIP_STAFF,
        ):
            grant(role, "archive.export")
