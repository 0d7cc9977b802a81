"""Reads of the supervision step (§五.3), scoped to the user's units.

``tracked`` is the heart: every pledged item in force of the signed letters in scope, with its
current progress (a team item's rolled up from the member items that break it down), the
adjustment in force, the open inspection findings and its risk level — in a fixed number of
queries whatever the number of villages and items. Dashboards, to-do, the digest and the API
read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiannuo.core.permissions import scope_q
from jiannuo.core.rules import Finding
from jiannuo.organisation.models import Unit
from jiannuo.pledges.models import Letter, PledgeItem
from jiannuo.signing import integrity
from jiannuo.signing.models import SignedLetter

from . import rules
from .models import LEVEL_LABELS, STATUS_LABELS, InspectionFinding, ItemState

VIEW = "supervision.view"


def current_day() -> date:
    """The day the ratings are computed for (a function, so tests can pin it)."""
    return timezone.localdate()


TAMPERED_TEXT = _(
    "Tampered: this letter no longer matches the version that was signed; its text is not shown."
)


@dataclass
class Row:
    """One pledged item in force, as supervision sees it."""

    signed: SignedLetter
    item: PledgeItem
    state: ItemState | None
    status: str
    percent: int
    rolled_up: bool
    text: str
    target: str
    deadline: date
    start: date
    open_findings: int
    overdue_rectifications: int
    level: str = rules.OK
    reasons: tuple[Finding, ...] = ()
    members: list = field(default_factory=list)
    #: The letter no longer matches what was signed (signing.integrity): ``text`` says so.
    tampered: bool = False

    @property
    def letter(self) -> Letter:
        return self.signed.letter

    @property
    def village(self) -> Unit:
        return self.signed.letter.village

    @property
    def key(self) -> tuple[int, str]:
        return (self.signed.letter_id, self.item.code)

    @property
    def item_id(self):
        return self.key

    @property
    def progress_percent(self) -> int:
        return self.percent

    @property
    def post(self):
        return self.item.responsible_post

    @property
    def cadre(self) -> str:
        p = self.item.responsible_post
        return f"{p.get_kind_display()} {p.person.name}" if p else ""

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def level_label(self):
        return LEVEL_LABELS.get(self.level, self.level)

    @property
    def explained(self) -> list[str]:
        return [f.explain() for f in self.reasons]

    @property
    def adjusted(self) -> bool:
        return bool(self.state and self.state.adjusted_at)


def in_force(qs=None):
    """Signed letters in force: signed, not superseded."""
    qs = qs if qs is not None else SignedLetter.objects.all()
    return qs.filter(signed_at__isnull=False, superseded_at__isnull=True)


def _deadline(item, signed) -> date:
    if item.deadline:
        return item.deadline
    letter = signed.letter
    return date(letter.year, 12, 31) if letter.year else letter.term.end


def tracked(
    user=None,
    *,
    year: int | None = None,
    village: Unit | None = None,
    letters=None,
    today: date | None = None,
    q: Q | None = None,
) -> list[Row]:
    """The items in force of the signed letters ``user`` may see (all when ``user`` is None).

    Seven queries (two check the signed text: signing.integrity; plus the user's grants, once per request).
    """
    today = today or current_day()
    qs = in_force()
    if user is not None:
        qs = qs.filter(scope_q(user, VIEW, field="letter__village"))
    if q is not None:
        qs = qs.filter(q)
    if year is not None:
        qs = qs.filter(letter__year=year)
    if village is not None:
        qs = qs.filter(letter__village=village)
    if letters is not None:
        qs = qs.filter(letter__in=letters)
    signed = list(
        qs.select_related(
            "letter__village__parent", "letter__post__person", "letter__term", "version"
        )
    )
    if not signed:
        return []
    by_version = {s.version_id: s for s in signed}
    items = list(
        PledgeItem.objects.filter(letter_version_id__in=by_version)
        .select_related("responsible_post__person")
        .order_by("letter_version_id", "position", "id")
    )
    letter_ids = [s.letter_id for s in signed]
    states = {
        (st.letter_id, st.item_code): st
        for st in ItemState.objects.filter(letter_id__in=letter_ids)
    }
    open_f: dict = {}
    overdue: dict = {}
    findings = InspectionFinding.objects.filter(
        state_row__letter_id__in=letter_ids, state__in=rules.RECT_UNRESOLVED
    ).values_list("state", "rectify_by", "state_row__letter_id", "state_row__item_code")
    for st_state, rectify_by, lid, code in findings:
        open_f[(lid, code)] = open_f.get((lid, code), 0) + 1
        if rules.rectification_overdue(st_state, rectify_by, today):
            overdue[(lid, code)] = overdue.get((lid, code), 0) + 1
    links = PledgeItem.breaks_down.through.objects.filter(
        from_pledgeitem_id__in=[i.pk for i in items]
    ).values_list(
        "from_pledgeitem_id", "to_pledgeitem__letter_version__letter_id", "to_pledgeitem__code"
    )
    signed_on = {s.pk: timezone.localdate(s.signed_at) for s in signed}
    checked = integrity.check(signed, items=items)
    rows: list[Row] = []
    by_item: dict = {}
    for item in items:
        s = by_version[item.letter_version_id]
        key = (s.letter_id, item.code)
        st = states.get(key)
        status = st.status if st else rules.NOT_STARTED
        percent = st.percent if st else 0
        text, target, deadline = item.text, item.target, _deadline(item, s)
        if st and st.adjusted_at:
            text = st.adjusted_text or text
            target = st.adjusted_target or target
            deadline = st.adjusted_deadline or deadline
        tampered = checked[s.pk].tampered
        if tampered:
            text, target = str(TAMPERED_TEXT), ""
        row = Row(
            signed=s,
            item=item,
            state=st,
            status=status,
            percent=percent,
            rolled_up=False,
            text=text,
            target=target,
            deadline=deadline,
            start=min(signed_on[s.pk], deadline),
            open_findings=open_f.get(key, 0),
            overdue_rectifications=overdue.get(key, 0),
            tampered=tampered,
        )
        rows.append(row)
        by_item[item.pk] = row
    by_key = {r.key: r for r in rows}
    for from_id, team_letter, team_code in links:
        team = by_key.get((team_letter, team_code))
        member = by_item.get(from_id)
        if team is not None and member is not None:
            team.members.append(member)
    for row in rows:
        if row.members and row.status != rules.FULFILLED:
            row.percent = rules.rollup_progress(m.percent for m in row.members)
            row.rolled_up = True
            if row.status == rules.NOT_STARTED and row.percent > 0:
                row.status = rules.IN_PROGRESS
        risk = rules.rate_item(
            progress_percent=row.percent,
            start=row.start,
            deadline=row.deadline,
            today=today,
            status=row.status,
            open_findings=row.open_findings,
            overdue_rectifications=row.overdue_rectifications,
        )
        row.level, row.reasons = risk.level, risk.reasons
    return rows


@dataclass
class Group:
    """Rows grouped by a village, a township or a cadre, with their roll-up."""

    key: object
    label: str
    rows: list
    rollup: rules.RollUp = None
    url: str = ""

    @property
    def level(self):
        return self.rollup.level

    @property
    def level_label(self):
        return LEVEL_LABELS.get(self.rollup.level, self.rollup.level)

    @property
    def counts(self):
        return self.rollup.counts

    @property
    def explained(self) -> str:
        return rules.explain_rollup(self.rollup).explain()


def group(rows, key, label) -> list[Group]:
    out: dict = {}
    for r in rows:
        k = key(r)
        if k not in out:
            out[k] = Group(k, label(r), [])
        out[k].rows.append(r)
    for g in out.values():
        g.rollup = rules.rate_many(r.level for r in g.rows)
    return list(out.values())


def by_village(rows) -> list[Group]:
    return group(rows, lambda r: r.village.pk, lambda r: r.village.name)


def by_township(rows) -> list[Group]:
    return group(rows, lambda r: r.village.parent_id, lambda r: r.village.parent.name)


def by_cadre(rows) -> list[Group]:
    """Per responsible post (posts, not people); items without one under the team."""
    return group(
        rows,
        lambda r: r.item.responsible_post_id or 0,
        lambda r: r.cadre or "—",
    )


def chart(groups) -> dict:
    """ECharts series: one stacked bar per level, one category per group."""
    return {
        "categories": [g.label for g in groups],
        "series": [
            {
                "key": level,
                "name": str(LEVEL_LABELS[level]),
                "data": [g.counts.get(level, 0) for g in groups],
            }
            for level in rules.LEVELS
        ],
    }


def get_village(user, village_id: int, perm=VIEW) -> Unit:
    v = (
        Unit.objects.filter(scope_q(user, perm, field=""), pk=village_id, kind=Unit.VILLAGE)
        .select_related("parent")
        .first()
    )
    if v is None:
        raise Http404
    return v


def get_row(user, letter_id: int, code: str, today=None) -> Row:
    """One item in force by (letter, code), 404 when outside the scope or not signed."""
    letter = Letter.objects.filter(scope_q(user, VIEW), pk=letter_id).first()
    if letter is None:
        raise Http404
    for row in tracked(user, letters=[letter], today=today):
        if row.item.code == code:
            return row
    raise Http404


def timeline(row: Row):
    if row.state is None:
        return []
    return list(row.state.reports.select_related("recorded_by").prefetch_related("evidence").all())


def evidence_of(row: Row):
    if row.state is None:
        return []
    return list(row.state.evidence.select_related("uploaded_by").all())
