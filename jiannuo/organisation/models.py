"""District → townships/subdistricts → villages; terms; people and the posts they hold."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """An organisational unit. One tree: district → township (镇/街道) → village.

    ``path`` is the materialised path of ids ("/1/4/17/"), so "this unit and everything below
    it" is one ``startswith`` and permission scopes need no recursion.
    """

    DISTRICT, TOWNSHIP, VILLAGE = "district", "township", "village"
    KINDS = [(DISTRICT, _("District")), (TOWNSHIP, _("Township")), (VILLAGE, _("Village"))]
    TOWN, SUBDISTRICT = "town", "subdistrict"
    TOWNSHIP_TYPES = [(TOWN, _("Town (镇)")), (SUBDISTRICT, _("Subdistrict (街道)"))]

    kind = models.CharField(_("kind"), max_length=10, choices=KINDS)
    name = models.CharField(_("name"), max_length=60)
    code = models.CharField(_("code"), max_length=20, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    township_type = models.CharField(
        _("township type"), max_length=12, choices=TOWNSHIP_TYPES, blank=True
    )
    #: A village's party organisation as recorded (党支部, 党总支 or 党委); the township's is
    #: its type's (镇党委, 街道党工委). Printed on every official document (organisation/organs).
    BRANCH, GENERAL_BRANCH, PARTY_COMMITTEE = "branch", "general_branch", "committee"
    PARTY_ORGS = [
        (BRANCH, _("Party branch (党支部)")),
        (GENERAL_BRANCH, _("General party branch (党总支)")),
        (PARTY_COMMITTEE, _("Party committee (党委)")),
    ]
    party_org = models.CharField(
        _("party organisation"), max_length=16, choices=PARTY_ORGS, blank=True
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_in_parent"),
            models.CheckConstraint(
                condition=Q(kind="district", parent__isnull=True)
                | Q(kind__in=["township", "village"], parent__isnull=False),
                name="unit_only_district_is_root",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def audit_unit(self):
        return self

    def contains(self, other: "Unit") -> bool:
        return other.path.startswith(self.path)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(x) for x in self.path.strip("/").split("/") if x]

    @property
    def district_id(self) -> int:
        return self.ancestor_ids[0]

    @property
    def township_id(self) -> int | None:
        ids = self.ancestor_ids
        return ids[1] if len(ids) > 1 else None


class Term(models.Model):
    """A term of office (任期) of the two committees: 5 years since 2018."""

    district = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="terms")
    name = models.CharField(_("name"), max_length=40)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    class Meta:
        ordering = ["-start"]
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="term_end_after_start"),
            models.UniqueConstraint(fields=["district", "start"], name="term_unique_start"),
        ]

    def __str__(self):
        return self.name

    @property
    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))


class Person(models.Model):
    """Somebody on a village's rosters. Identity key within a village: name and phone."""

    MALE, FEMALE = "M", "F"
    GENDERS = [(MALE, _("Male")), (FEMALE, _("Female"))]

    village = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="people", verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=40)
    gender = models.CharField(_("gender"), max_length=1, choices=GENDERS, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    user = models.OneToOneField(
        "auth.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("account"),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["village", "name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(fields=["village", "name", "phone"], name="person_identity"),
        ]

    def __str__(self):
        return self.name

    @property
    def audit_unit(self):
        return self.village

    @property
    def login_state(self) -> str:
        """none / pending / active / disabled (``accounts.activation.login_state``)."""
        from jiannuo.accounts.activation import login_state

        return login_state(self)


class Post(models.Model):
    """A post (岗位) held by a person for a time. Pledges, counts and measures are per post."""

    BRANCH_SECRETARY = "branch_secretary"
    BRANCH_DEPUTY = "branch_deputy_secretary"
    BRANCH_MEMBER = "branch_committee_member"
    COMMITTEE_DIRECTOR = "committee_director"
    COMMITTEE_DEPUTY = "committee_deputy_director"
    COMMITTEE_MEMBER = "committee_member"
    SUPERVISION_CHAIR = "supervision_chair"
    SUPERVISION_MEMBER = "supervision_member"
    REPRESENTATIVE = "villager_representative"
    PARTY_MEMBER = "party_member"
    KINDS = [
        (BRANCH_SECRETARY, _("Branch secretary")),
        (BRANCH_DEPUTY, _("Branch deputy secretary")),
        (BRANCH_MEMBER, _("Branch committee member")),
        (COMMITTEE_DIRECTOR, _("Committee director")),
        (COMMITTEE_DEPUTY, _("Committee deputy director")),
        (COMMITTEE_MEMBER, _("Committee member")),
        (SUPERVISION_CHAIR, _("Supervision committee chair")),
        (SUPERVISION_MEMBER, _("Supervision committee member")),
        (REPRESENTATIVE, _("Villager representative")),
        (PARTY_MEMBER, _("Party member")),
    ]
    # Posts that only one person may hold at a time in a village.
    SINGLE_HOLDER = {BRANCH_SECRETARY, COMMITTEE_DIRECTOR, SUPERVISION_CHAIR}
    # The village team (两委班子): these posts pledge and are evaluated.
    TEAM = {
        BRANCH_SECRETARY,
        BRANCH_DEPUTY,
        BRANCH_MEMBER,
        COMMITTEE_DIRECTOR,
        COMMITTEE_DEPUTY,
        COMMITTEE_MEMBER,
    }

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="posts", verbose_name=_("person")
    )
    village = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="posts", verbose_name=_("village")
    )
    kind = models.CharField(_("post"), max_length=30, choices=KINDS)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        ordering = ["village", "kind", "start"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="post_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["person", "kind", "start"], name="post_unique_person_kind_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.person.name}"

    @property
    def audit_unit(self):
        return self.village

    def active_on(self, day) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)


class PolicyVersion(models.Model):
    """One version of a district's policy settings (DOMAIN.md defaults), in force from
    ``year_from`` until a later version takes over. Append-only: an edit adds a row, so every
    change is kept; the version in force for a year is the latest row with ``year_from`` not
    after it. ``data`` is ``jiannuo.organisation.policy.Policy.to_json()``."""

    district = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="policy_versions")
    year_from = models.PositiveIntegerField(_("in force from year"))
    data = models.JSONField(_("settings"))
    note = models.CharField(_("reason for the change"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["district", "-year_from", "-id"]
        verbose_name = _("policy settings version")
        verbose_name_plural = _("policy settings versions")
        indexes = [models.Index(fields=["district", "year_from"])]

    def __str__(self):
        return f"{self.district} {self.year_from}"

    @property
    def audit_unit(self):
        return self.district


class RosterCarryOver(models.Model):
    """A village's roster carried into a new term after the election (换届): which posts went
    on, which ended at the term's start and which began (``organisation.terms``)."""

    village = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="carry_overs", verbose_name=_("village")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="carry_overs", verbose_name=_("term")
    )
    kept = models.PositiveSmallIntegerField(_("posts kept"), default=0)
    ended = models.PositiveSmallIntegerField(_("posts ended"), default=0)
    started = models.PositiveSmallIntegerField(_("posts started"), default=0)
    by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("roster carried into a term")
        verbose_name_plural = _("rosters carried into a term")
        constraints = [
            models.UniqueConstraint(fields=["village", "term"], name="carry_over_once_per_term"),
        ]

    def __str__(self):
        return f"{self.village} → {self.term}"

    @property
    def audit_unit(self):
        return self.village
