"""Soliciting opinions (§三.1): villagers' opinions, meetings, visits, township tasks, hot issues.

§三.1 广泛征求意见: the village team hears the villagers through opinion cards (征求意见卡),
consultation meetings (民主恳谈会) and household visits (入户走访), distils the hot and
difficult issues (热点难点问题), and studies the tasks the township party committee sets.
The accepted hot issues and the township tasks are what the pledge letters must answer.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Longest opinion text, in characters (enforced by the services).
MAX_OPINION_LENGTH = 500


class TownshipTask(models.Model):
    """A work task the township party committee and government set for villages (§三.1–2)."""

    township = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="township_tasks",
        verbose_name=_("township"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    target = models.TextField(_("measurable target"))
    deadline = models.DateField(_("deadline"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        ordering = ["township", "-year", "deadline", "id"]
        verbose_name = _("township task")
        verbose_name_plural = _("township tasks")
        indexes = [models.Index(fields=["township", "year"])]

    def __str__(self):
        return self.title

    @property
    def audit_unit(self):
        return self.township


class TaskAssignment(models.Model):
    """A township task given to one village; answered by a pledge item or not adopted."""

    task = models.ForeignKey(
        TownshipTask, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("task")
    )
    village = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="task_assignments",
        verbose_name=_("village"),
    )
    not_adopted_reason = models.TextField(_("reason for not adopting"), blank=True)
    not_adopted_at = models.DateTimeField(_("not adopted at"), null=True, blank=True)
    not_adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("not adopted by"),
    )

    class Meta:
        ordering = ["task", "village"]
        verbose_name = _("task assignment")
        verbose_name_plural = _("task assignments")
        constraints = [
            models.UniqueConstraint(fields=["task", "village"], name="task_assignment_unique")
        ]

    def __str__(self):
        return f"{self.task} → {self.village}"

    @property
    def audit_unit(self):
        return self.village

    @property
    def adopted(self) -> bool:
        return not self.not_adopted_reason

    @property
    def ref(self) -> str:
        return f"task:{self.pk}"


class ConsultationMeeting(models.Model):
    """A consultation meeting (民主恳谈会) and the opinions raised at it (§三.1)."""

    village = models.ForeignKey(
        "organisation.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    term = models.ForeignKey(
        "organisation.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    date = models.DateField(_("date"))
    attendee_count = models.PositiveIntegerField(_("number of attendees"))
    attendees = models.TextField(_("attendees"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("consultation meeting")
        verbose_name_plural = _("consultation meetings")

    def __str__(self):
        return f"{self.village} {self.date}"

    @property
    def audit_unit(self):
        return self.village


class HouseholdVisit(models.Model):
    """A household visit (入户走访) and the opinions heard there (§三.1)."""

    village = models.ForeignKey(
        "organisation.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    term = models.ForeignKey(
        "organisation.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    household = models.CharField(_("household"), max_length=100)
    visitor = models.CharField(_("visited by"), max_length=100)
    date = models.DateField(_("date"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")

    def __str__(self):
        return f"{self.household} {self.date}"

    @property
    def audit_unit(self):
        return self.village


class HotIssue(models.Model):
    """A hot or difficult issue (热点难点问题) distilled from the opinions (§三.1).

    proposed → accepted | declined; proposed or accepted → merged (into another issue).
    An accepted issue with a ``not_adopted_reason`` is one the joint meeting decided not to
    take up; the reason is public. ``version`` guards rename, merge and split.
    """

    PROPOSED, ACCEPTED, DECLINED, MERGED = "proposed", "accepted", "declined", "merged"
    STATUSES = [
        (PROPOSED, _("Proposed")),
        (ACCEPTED, _("Accepted")),
        (DECLINED, _("Declined")),
        (MERGED, _("Merged")),
    ]

    village = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="hot_issues",
        verbose_name=_("village"),
    )
    term = models.ForeignKey(
        "organisation.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=100)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=PROPOSED)
    not_adopted_reason = models.TextField(_("reason for not adopting"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    not_adopted_at = models.DateTimeField(_("not adopted at"), null=True, blank=True)

    class Meta:
        ordering = ["village", "status", "-id"]
        verbose_name = _("hot issue")
        verbose_name_plural = _("hot issues")
        indexes = [models.Index(fields=["village", "term", "year", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(not_adopted_reason="") | Q(status="accepted"),
                name="hot_issue_not_adopted_only_if_accepted",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def audit_unit(self):
        return self.village

    @property
    def adopted(self) -> bool:
        return self.status == self.ACCEPTED and not self.not_adopted_reason

    @property
    def ref(self) -> str:
        return f"hot_issue:{self.pk}"


class Opinion(models.Model):
    """One villager's opinion (§三.1). The giver's name and phone are personal data."""

    CARD, MEETING, VISIT, ONLINE = "card", "meeting", "visit", "online"
    SOURCES = [
        (CARD, _("Opinion card")),
        (MEETING, _("Consultation meeting")),
        (VISIT, _("Household visit")),
        (ONLINE, _("Online")),
    ]

    village = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="opinions",
        verbose_name=_("village"),
    )
    term = models.ForeignKey(
        "organisation.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    text = models.TextField(_("opinion"))
    source = models.CharField(_("source"), max_length=10, choices=SOURCES)
    giver_name = models.CharField(_("name"), max_length=40, blank=True)
    giver_phone = models.CharField(_("phone"), max_length=20, blank=True)
    hot_issue = models.ForeignKey(
        HotIssue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("hot issue"),
    )
    meeting = models.ForeignKey(
        ConsultationMeeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("meeting"),
    )
    visit = models.ForeignKey(
        HouseholdVisit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("visit"),
    )
    # Keyed hash of the submitter's address (public page only): rate limiting, never the address.
    client_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        indexes = [models.Index(fields=["village", "term", "year", "hot_issue"])]

    def __str__(self):
        return self.text[:30]

    @property
    def audit_unit(self):
        return self.village
