"""Role assignments (who may do what, where) and API tokens."""

import hashlib

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiannuo.core.roles import ROLE_CHOICES


class RoleAssignment(models.Model):
    """A role held by a user over an organisational unit and everything below it: a grant.

    Village roles of cadres also follow from the posts of the user's person (see
    ``jiannuo.core.permissions``); explicit rows are for township and district people and for
    anyone whose role is not implied by a post.

    A decision role (``roles.DECISION_ROLES``) is granted by the level above to a *person* on a
    roster and held through that person's account; the row keeps who granted it and when, and
    a revoked grant is kept (``revoked_at``) so the district's list shows every grant ever made.
    """

    user = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, related_name="roles", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=40, choices=ROLE_CHOICES)
    unit = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="role_assignments",
        verbose_name=_("unit"),
    )
    person = models.ForeignKey(
        "organisation.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_grants",
        verbose_name=_("person"),
    )
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    granted_by = models.ForeignKey(
        "auth.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "auth.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(revoked_at__isnull=True),
                name="role_unique_in_force",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__isnull=True) | Q(end__gte=F("start")),
                name="role_end_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.role} @ {self.unit}"

    @property
    def audit_unit(self):
        return self.unit


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def usable(cls, key: str):
        """The token for ``key`` if it is neither revoked nor expired, else None."""
        return (
            cls.objects.select_related("user")
            .filter(key_hash=cls.hash_key(key), revoked_at__isnull=True)
            .filter(expires_at__gt=timezone.now())
            .first()
        )


class Activation(models.Model):
    """A one-time activation code for the log-in of a person on a village roster.

    The township prints it on an activation slip; the person types user name and code once
    and sets a password. Only an HMAC of the code is kept, with an expiry; a wrong code counts
    against the code, which is void after ``MAX_ATTEMPTS`` failures. Issuing a new code (a
    password reset) voids the earlier ones.
    """

    ACTIVATE, RESET = "activate", "reset"
    PURPOSES = [(ACTIVATE, _("First log-in")), (RESET, _("Password reset"))]
    MAX_ATTEMPTS = 5

    user = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, related_name="activations", verbose_name=_("user")
    )
    person = models.ForeignKey(
        "organisation.Person", on_delete=models.PROTECT, related_name="activations"
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=PURPOSES)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(_("valid until"))
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        indexes = [models.Index(fields=["user", "used_at", "voided_at"])]

    def __str__(self):
        return f"{self.user} {self.purpose} {timezone.localdate(self.issued_at):%Y-%m-%d}"

    @property
    def audit_unit(self):
        return self.person.village
