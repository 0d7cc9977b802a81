"""Role assignments (who may do what, where) and API tokens."""

import hashlib

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiannuo.core.roles import ROLE_CHOICES


class RoleAssignment(models.Model):
    """A role held by a user over an organisational unit and everything below it.

    Village roles of cadres also follow from the posts of the user's person (see
    ``jiannuo.core.permissions``); explicit rows are for township and district people and for
    anyone whose role is not implied by a post.
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
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="role_unique"),
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
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


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
        return f"{self.user} {self.purpose} {self.issued_at:%Y-%m-%d}"

    @property
    def audit_unit(self):
        return self.person.village
