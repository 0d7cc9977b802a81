"""The audit log and the workflow history: append-only, shared by every step."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditEntry(models.Model):
    """One write made through a service function.

    Rows are never updated or deleted by the application. Each row carries the hash of the
    row before it, so ``jiannuo audit verify`` finds a row edited or deleted behind the
    system's back. The actor is stored as id and label, not as a foreign key, so that nothing
    about a user can ever rewrite the log.
    """

    at = models.DateTimeField(_("time"))
    actor_id = models.BigIntegerField(_("actor id"), null=True)
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64)
    unit_id = models.BigIntegerField(_("unit id"), null=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    #: SHA-256 of the canonical state of a "fate record" (core.audit.register_fate) after
    #: this write; empty for other objects.
    state_hash = models.CharField(max_length=64, blank=True, default="")
    #: The seal: HMAC-SHA256 of ``hash`` with settings.AUDIT_KEY, a key not in the database.
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries are append-only")


class AuditHead(models.Model):
    """A single row holding the hash of the newest entry: the lock that orders the chain."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    #: HMAC of (last_id, last_hash) with settings.AUDIT_KEY: the head cannot be moved back.
    mac = models.CharField(max_length=64, blank=True, default="")

    def __str__(self):
        return f"head #{self.last_id}"


class Transition(models.Model):
    """One step of a workflow (letters, cases, rounds…): from, action, to, who, when, why."""

    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64)
    from_state = models.CharField(_("from"), max_length=40)
    action = models.CharField(_("action"), max_length=40)
    to_state = models.CharField(_("to"), max_length=40)
    actor = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("actor")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.object_type}:{self.object_id} {self.from_state}→{self.to_state}"

    @classmethod
    def record(cls, actor, obj, object_type, from_state, action, to_state, note=""):
        """The history row of one workflow step of ``obj`` (every app's services write it so);
        the system, or an anonymous actor, is recorded as no one."""
        return cls.objects.create(
            object_type=object_type,
            object_id=str(obj.pk),
            from_state=from_state,
            action=action,
            to_state=to_state,
            actor=actor if getattr(actor, "pk", None) else None,
            note=note or "",
        )
