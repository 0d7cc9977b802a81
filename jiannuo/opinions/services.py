"""Writes of the opinions step (§三.1): opinions, meetings, visits, township tasks, hot issues.

Every function checks permission and state, runs in one transaction and writes audit rows.
Bad input raises ``ServiceError`` before anything is saved.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiannuo.core import audit
from jiannuo.core.errors import ConflictError, ServiceError
from jiannuo.core.models import Transition
from jiannuo.core.permissions import require
from jiannuo.organisation.models import Term, Unit
from jiannuo.organisation.roster import PHONE_RE

from .grouping import group_opinions
from .models import (
    MAX_OPINION_LENGTH,
    ConsultationMeeting,
    HotIssue,
    HouseholdVisit,
    Opinion,
    TaskAssignment,
    TownshipTask,
)

#: Public submissions allowed per client (address) and village per hour, and per village per
#: hour from everyone together (a flood from many addresses).
PUBLIC_PER_CLIENT_PER_HOUR = getattr(settings, "OPINIONS_PUBLIC_PER_HOUR", 5)
PUBLIC_PER_VILLAGE_PER_HOUR = getattr(settings, "OPINIONS_PUBLIC_VILLAGE_PER_HOUR", 300)
MAX_LABEL_LENGTH = 100
MAX_REASON_LENGTH = 1000
MAX_ENTRIES = 200


class RateLimited(ServiceError):
    """Too many public submissions: nothing was saved; try again later."""

    status = 429

    def __init__(self, message, *, code="rate_limited", details=None):
        super().__init__(message, code=code, details=details)


@dataclass(frozen=True)
class Entry:
    """One opinion as entered: text and, optionally, who gave it."""

    text: str
    giver_name: str = ""
    giver_phone: str = ""


# --- Checks -----------------------------------------------------------------------------------


def _check_term(village: Unit, term: Term, year: int | None) -> None:
    if village.kind != Unit.VILLAGE:
        raise ServiceError(_("Opinions are collected per village."), code="not_village")
    if term.district_id != village.district_id:
        raise ServiceError(_("This term belongs to another district."), code="term")
    if year is not None and year not in term.years:
        raise ServiceError(
            _("%(year)s is not a year of the term %(term)s.") % {"year": year, "term": term.name},
            code="year",
        )


def _clean_text(text, *, row: int | None = None) -> str:
    text = (text or "").strip()
    where = {"row": row} if row is not None else {}
    if not text:
        raise ServiceError(
            _("The opinion is empty."),
            code="text_empty",
            details=[{**where, "column": "text", "message": _("The opinion is empty.")}],
        )
    if len(text) > MAX_OPINION_LENGTH:
        message = _("An opinion may have at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_OPINION_LENGTH,
            "n": len(text),
        }
        raise ServiceError(
            message,
            code="text_too_long",
            details=[{**where, "column": "text", "message": message}],
        )
    return text


def _clean_giver(name, phone, *, row: int | None = None) -> tuple[str, str]:
    name, phone = (name or "").strip(), (phone or "").strip()
    where = {"row": row} if row is not None else {}
    if len(name) > 40:
        message = _("A name may have at most 40 characters.")
        raise ServiceError(
            message, code="name", details=[{**where, "column": "name", "message": message}]
        )
    if phone and not PHONE_RE.match(phone):
        message = _("“%(value)s” is not a phone number.") % {"value": phone}
        raise ServiceError(
            message, code="phone", details=[{**where, "column": "phone", "message": message}]
        )
    return name, phone


def _clean_entries(entries: Iterable[Entry | Mapping | str]) -> list[Entry]:
    """Validate every entry; blank rows are skipped; any bad row → nothing saved."""
    clean, errors = [], []
    for row, raw in enumerate(entries, start=1):
        if isinstance(raw, str):
            raw = Entry(text=raw)
        elif isinstance(raw, Mapping):
            raw = Entry(
                text=raw.get("text", ""),
                giver_name=raw.get("giver_name", ""),
                giver_phone=raw.get("giver_phone", ""),
            )
        if not (raw.text or "").strip() and not (raw.giver_name or raw.giver_phone or "").strip():
            continue
        try:
            text = _clean_text(raw.text, row=row)
            name, phone = _clean_giver(raw.giver_name, raw.giver_phone, row=row)
        except ServiceError as exc:
            errors += exc.details
            continue
        clean.append(Entry(text, name, phone))
    if errors:
        raise ServiceError(
            _("%(count)s problem(s); nothing was saved.") % {"count": len(errors)},
            code="entries_invalid",
            details=errors,
        )
    if len(clean) > MAX_ENTRIES:
        raise ServiceError(
            _("At most %(max)s opinions at once.") % {"max": MAX_ENTRIES}, code="too_many"
        )
    return clean


def _create_opinions(
    actor, village, term, year, entries: Sequence[Entry], source, **links
) -> list[Opinion]:
    now = timezone.now()
    opinions = [
        Opinion(
            village=village,
            term=term,
            year=year,
            text=e.text,
            source=source,
            giver_name=e.giver_name,
            giver_phone=e.giver_phone,
            created_at=now,
            entered_by=actor if actor is not None and actor.is_authenticated else None,
            **links,
        )
        for e in entries
    ]
    Opinion.objects.bulk_create(opinions)
    if any(o.pk is None for o in opinions):  # backends without RETURNING (none we support)
        raise RuntimeError("bulk_create did not set primary keys")
    return opinions


# --- Opinions ---------------------------------------------------------------------------------


def opinions_enter(
    *,
    actor,
    village: Unit,
    term: Term,
    year: int | None,
    entries: Iterable[Entry | Mapping | str],
    source: str = Opinion.CARD,
) -> list[Opinion]:
    """Enter opinions from paper cards (征求意见卡), several at once (§三.1).

    All rows valid or nothing saved; the error's ``details`` name each bad row.
    """
    require(actor, "opinions.enter", village)
    _check_term(village, term, year)
    if source != Opinion.CARD:
        raise ServiceError(
            _("Enter meeting and visit opinions with their meeting or visit."), code="source"
        )
    clean = _clean_entries(entries)
    if not clean:
        raise ServiceError(_("Enter at least one opinion."), code="text_empty")
    with transaction.atomic():
        opinions = _create_opinions(actor, village, term, year, clean, source)
        audit.record(
            actor,
            "opinion.enter",
            village,
            changes={
                "source": source,
                "opinions": [o.pk for o in opinions],
                "term": term.pk,
                "year": year,
            },
        )
    return opinions


def opinion_create(
    *,
    actor,
    village: Unit,
    term: Term,
    year: int | None,
    text: str,
    giver_name: str = "",
    giver_phone: str = "",
) -> Opinion:
    """One opinion from a card."""
    return opinions_enter(
        actor=actor,
        village=village,
        term=term,
        year=year,
        entries=[Entry(text or "", giver_name or "", giver_phone or "")],
    )[0]


def client_hash(village: Unit, client: str) -> str:
    """A keyed hash of the client's address for this village: the address is not stored."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{village.pk}|{client}".encode(), hashlib.sha256).hexdigest()


def opinion_submit_public(
    *,
    village: Unit,
    term: Term | None,
    year: int | None,
    text: str,
    giver_name: str = "",
    giver_phone: str = "",
    client: str = "",
    honeypot: str = "",
) -> Opinion | None:
    """A villager's opinion from the public page, without logging in (§三.1).

    Rate limited per client address and village (``PUBLIC_PER_CLIENT_PER_HOUR``) and per
    village. A filled honeypot field (bots fill every field) is accepted silently and not saved:
    returns None.
    """
    if term is None:
        raise ServiceError(_("No term is open for this village."), code="no_term")
    _check_term(village, term, year)
    text = _clean_text(text)
    name, phone = _clean_giver(giver_name, giver_phone)
    if honeypot:
        return None
    digest = client_hash(village, client)
    with transaction.atomic():
        # One village's public submissions queue on its row, so the counts below hold.
        Unit.objects.select_for_update().filter(pk=village.pk).first()
        since = timezone.now() - timedelta(hours=1)
        recent = Opinion.objects.filter(
            village=village, source=Opinion.ONLINE, created_at__gte=since
        )
        if recent.filter(client_hash=digest).count() >= PUBLIC_PER_CLIENT_PER_HOUR:
            raise RateLimited(
                _(
                    "You have sent %(n)s opinions in the last hour, the most we accept. "
                    "Thank you — please try again later."
                )
                % {"n": PUBLIC_PER_CLIENT_PER_HOUR}
            )
        if recent.count() >= PUBLIC_PER_VILLAGE_PER_HOUR:
            raise RateLimited(
                _("Too many opinions arrived for this village in the last hour; try later.")
            )
        opinion = Opinion.objects.create(
            village=village,
            term=term,
            year=year,
            text=text,
            source=Opinion.ONLINE,
            giver_name=name,
            giver_phone=phone,
            client_hash=digest,
        )
        audit.record(
            AnonymousUser(),
            "opinion.submit",
            opinion,
            changes={"source": Opinion.ONLINE, "term": term.pk, "year": year},
        )
    return opinion


# --- Meetings and visits ----------------------------------------------------------------------


def _check_date(day: date, term: Term, year: int | None) -> None:
    if day is None:
        raise ServiceError(_("A date is required."), code="date")
    if day > timezone.localdate():
        raise ServiceError(_("The date is in the future."), code="date")
    if not term.start <= day <= term.end:
        raise ServiceError(_("The date is outside the term."), code="date")
    if year is not None and day.year not in (year, year - 1):
        # Opinions for a year are gathered in that year or at the end of the year before.
        raise ServiceError(
            _("The date does not fit the year %(year)s.") % {"year": year}, code="date"
        )


def meeting_record(
    *,
    actor,
    village: Unit,
    term: Term,
    year: int | None,
    date: date,
    attendee_count: int,
    attendees: str = "",
    minutes: str = "",
    opinions: Iterable[Entry | Mapping | str] = (),
) -> ConsultationMeeting:
    """A consultation meeting (民主恳谈会) with the opinions raised at it (§三.1)."""
    require(actor, "opinions.enter", village)
    _check_term(village, term, year)
    _check_date(date, term, year)
    if attendee_count is None or attendee_count < 1:
        raise ServiceError(_("At least one attendee is required."), code="attendee_count")
    if len(minutes or "") > 20000 or len(attendees or "") > 5000:
        raise ServiceError(_("The minutes or the attendee list is too long."), code="too_long")
    clean = _clean_entries(opinions)
    with transaction.atomic():
        meeting = ConsultationMeeting.objects.create(
            village=village,
            term=term,
            year=year,
            date=date,
            attendee_count=attendee_count,
            attendees=(attendees or "").strip(),
            minutes=(minutes or "").strip(),
            created_by=actor,
        )
        _create_opinions(actor, village, term, year, clean, Opinion.MEETING, meeting=meeting)
        audit.record(
            actor,
            "meeting.record",
            meeting,
            changes={
                "date": date,
                "attendee_count": attendee_count,
                "opinions": len(clean),
                "term": term.pk,
                "year": year,
            },
        )
    return meeting


def visit_record(
    *,
    actor,
    village: Unit,
    term: Term,
    year: int | None,
    household: str,
    visitor: str,
    date: date,
    notes: str = "",
    opinions: Iterable[Entry | Mapping | str] = (),
) -> HouseholdVisit:
    """A household visit (入户走访) with the opinions heard there (§三.1)."""
    require(actor, "opinions.enter", village)
    _check_term(village, term, year)
    _check_date(date, term, year)
    household, visitor = (household or "").strip(), (visitor or "").strip()
    if not household or len(household) > 100:
        raise ServiceError(_("Name the household (at most 100 characters)."), code="household")
    if not visitor or len(visitor) > 100:
        raise ServiceError(_("Name who visited (at most 100 characters)."), code="visitor")
    if len(notes or "") > 5000:
        raise ServiceError(_("The notes are too long."), code="too_long")
    clean = _clean_entries(opinions)
    with transaction.atomic():
        visit = HouseholdVisit.objects.create(
            village=village,
            term=term,
            year=year,
            household=household,
            visitor=visitor,
            date=date,
            notes=(notes or "").strip(),
            created_by=actor,
        )
        _create_opinions(actor, village, term, year, clean, Opinion.VISIT, visit=visit)
        audit.record(
            actor,
            "visit.record",
            visit,
            changes={"date": date, "household": household, "opinions": len(clean), "year": year},
        )
    return visit


# --- Township tasks ---------------------------------------------------------------------------


def task_issue(
    *,
    actor,
    township: Unit,
    year: int,
    title: str,
    target: str,
    deadline: date,
    villages: Sequence[Unit],
) -> TownshipTask:
    """The township party committee and government set a task for some of its villages (§三.1–2).

    Every village must belong to the township; the target must be stated.
    """
    require(actor, "opinions.issue_tasks", township)
    if township.kind != Unit.TOWNSHIP:
        raise ServiceError(_("Tasks are issued by a township."), code="not_township")
    title, target = (title or "").strip(), (target or "").strip()
    if not title or len(title) > 200:
        raise ServiceError(_("A title of 1 to 200 characters is required."), code="title")
    if not target:
        raise ServiceError(_("State the measurable target of the task."), code="target")
    if len(target) > 2000:
        raise ServiceError(_("The target is too long."), code="target")
    if not Term.objects.filter(
        district_id=township.district_id, start__year__lte=year, end__year__gte=year
    ).exists():
        raise ServiceError(_("%(year)s is in no term.") % {"year": year}, code="year")
    if deadline is None or deadline.year < year:
        raise ServiceError(
            _("The deadline must fall in or after the task's year."), code="deadline"
        )
    villages = list(dict.fromkeys(villages))
    if not villages:
        raise ServiceError(_("Choose at least one village."), code="villages")
    outside = [v.name for v in villages if v.kind != Unit.VILLAGE or v.parent_id != township.pk]
    if outside:
        raise ServiceError(
            _("Not villages of %(township)s: %(names)s.")
            % {"township": township.name, "names": "、".join(outside)},
            code="village_outside",
        )
    with transaction.atomic():
        task = TownshipTask.objects.create(
            township=township,
            year=year,
            title=title,
            target=target,
            deadline=deadline,
            issued_by=actor,
        )
        TaskAssignment.objects.bulk_create([TaskAssignment(task=task, village=v) for v in villages])
        audit.record(
            actor,
            "task.issue",
            task,
            changes={
                "year": year,
                "title": title,
                "target": target,
                "deadline": deadline,
                "villages": [v.pk for v in villages],
            },
        )
    return task


def _clean_reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Give the reason for not adopting it; it is published."), code="reason"
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(
            _("The reason may have at most %(max)s characters.") % {"max": MAX_REASON_LENGTH},
            code="reason",
        )
    return reason


def task_not_adopt(*, actor, assignment: TaskAssignment, reason: str) -> TaskAssignment:
    """The village explicitly does not adopt a township task; the reason is public (§三.1)."""
    require(actor, "opinions.answer_tasks", assignment.village)
    reason = _clean_reason(reason)
    with transaction.atomic():
        a = TaskAssignment.objects.select_for_update().get(pk=assignment.pk)
        if a.not_adopted_reason:
            raise ServiceError(_("This task is already marked as not adopted."), code="state")
        a.not_adopted_reason = reason
        a.not_adopted_at = timezone.now()
        a.not_adopted_by = actor
        a.save(update_fields=["not_adopted_reason", "not_adopted_at", "not_adopted_by"])
        audit.record(actor, "task.not_adopt", a, changes={"reason": reason})
    return a


def task_adopt(*, actor, assignment: TaskAssignment) -> TaskAssignment:
    """Withdraw a "not adopted" decision: the task is to be answered again."""
    require(actor, "opinions.answer_tasks", assignment.village)
    with transaction.atomic():
        a = TaskAssignment.objects.select_for_update().get(pk=assignment.pk)
        if not a.not_adopted_reason:
            raise ServiceError(_("This task is not marked as not adopted."), code="state")
        old = a.not_adopted_reason
        a.not_adopted_reason, a.not_adopted_at, a.not_adopted_by = "", None, None
        a.save(update_fields=["not_adopted_reason", "not_adopted_at", "not_adopted_by"])
        audit.record(actor, "task.adopt", a, changes={"reason": [old, ""]})
    return a


# --- Hot issues -------------------------------------------------------------------------------

#: The hot issue workflow: (state, action) → state. Merge and split shape proposed issues.
TRANSITIONS: dict[tuple[str, str], str] = {
    (HotIssue.PROPOSED, "accept"): HotIssue.ACCEPTED,
    (HotIssue.PROPOSED, "decline"): HotIssue.DECLINED,
    (HotIssue.PROPOSED, "merge"): HotIssue.MERGED,
    (HotIssue.DECLINED, "reopen"): HotIssue.PROPOSED,
    (HotIssue.ACCEPTED, "reopen"): HotIssue.PROPOSED,
}

ACTION_LABELS = {
    "accept": gettext_lazy("accepted"),
    "decline": gettext_lazy("declined"),
    "merge": gettext_lazy("merged"),
    "reopen": gettext_lazy("reopened"),
    "split": gettext_lazy("split"),
    "rename": gettext_lazy("renamed"),
}


def _refuse(issue: HotIssue, action: str):
    raise ServiceError(
        _("“%(label)s” is %(status)s: it cannot be %(action)s.")
        % {
            "label": issue.label,
            "status": issue.get_status_display().lower(),
            "action": ACTION_LABELS.get(action, action),
        },
        code="state",
    )


def _next_state(issue: HotIssue, action: str) -> str:
    to = TRANSITIONS.get((issue.status, action))
    if to is None:
        _refuse(issue, action)
    return to


def _transition(actor, issue: HotIssue, frm: str, action: str, to: str, note: str = "") -> None:
    Transition.record(actor, issue, "opinions.hotissue", frm, action, to, note)


def _locked(issue: HotIssue, version: int | None) -> HotIssue:
    """The issue re-read under a row lock; ConflictError if ``version`` is stale."""
    fresh = HotIssue.objects.select_for_update().get(pk=issue.pk)
    if version is not None and fresh.version != version:
        raise ConflictError(
            _(
                "“%(label)s” was changed by someone else meanwhile (now version %(now)s, you "
                "read %(read)s). Nothing was saved: reload the page and try again."
            )
            % {"label": fresh.label, "now": fresh.version, "read": version}
        )
    return fresh


def _bump(issue: HotIssue, version: int | None, **fields) -> None:
    """Write ``fields`` and increment the version, only if nobody changed it since ``version``."""
    expected = issue.version if version is None else version
    n = HotIssue.objects.filter(pk=issue.pk, version=expected).update(
        version=F("version") + 1, **fields
    )
    if n != 1:
        raise ConflictError(
            _("“%(label)s” was changed by someone else meanwhile. Reload and try again.")
            % {"label": issue.label}
        )
    issue.version = expected + 1
    for key, value in fields.items():
        setattr(issue, key, value)


def _clean_label(label) -> str:
    label = (label or "").strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise ServiceError(
            _("A label of 1 to %(max)s characters is required.") % {"max": MAX_LABEL_LENGTH},
            code="label",
        )
    return label


def summarise(count: int, typical: Sequence[str]) -> str:
    """The summary of an issue: how many opinions, and the most typical of them.

    Stored with the issue and shown on the bulletin board, so written in Chinese like the
    opinions themselves (content, not interface).
    """
    quotes = "；".join(f"「{t[:80]}」" for t in typical)
    return f"共{count}条意见。典型意见：{quotes}" if quotes else f"共{count}条意见。"


def _refresh_summary(issue: HotIssue) -> str:
    """Recompute the summary from the issue's current opinions (after a merge or split)."""
    pairs = list(issue.opinions.order_by("id").values_list("pk", "text"))
    if not pairs:
        return summarise(0, [])
    texts = dict(pairs)
    group = group_opinions(pairs, max_groups=1)[0]
    return summarise(len(pairs), [texts[k] for k in group.typical])


def issues_group(*, actor, village: Unit, term: Term, year: int | None) -> list[HotIssue]:
    """ "Group the opinions": distil proposed hot issues from the unassigned opinions (§三.1).

    Only opinions not yet in an issue are grouped; existing issues (proposed, accepted,
    declined) and their opinions stay as they are.
    """
    require(actor, "opinions.manage_issues", village)
    _check_term(village, term, year)
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=village.pk).first()  # one grouping at a time
        from .selectors import unassigned_opinions

        pairs = list(
            unassigned_opinions(village, term, year).order_by("id").values_list("pk", "text")
        )
        if not pairs:
            raise ServiceError(_("There are no ungrouped opinions."), code="nothing_to_group")
        texts = dict(pairs)
        groups = group_opinions(pairs)
        now = timezone.now()
        created = []
        for g in groups:
            issue = HotIssue.objects.create(
                village=village,
                term=term,
                year=year,
                label=g.label[:MAX_LABEL_LENGTH],
                summary=summarise(g.size, [texts[k] for k in g.typical]),
                created_at=now,
            )
            Opinion.objects.filter(pk__in=g.keys, hot_issue__isnull=True).update(hot_issue=issue)
            created.append(issue)
        audit.record(
            actor,
            "hot_issue.group",
            village,
            changes={
                "term": term.pk,
                "year": year,
                "opinions": len(pairs),
                "issues": [[i.pk, i.label] for i in created],
            },
        )
    return created


def issue_rename(
    *, actor, issue: HotIssue, label: str, summary: str | None = None, version: int
) -> HotIssue:
    """Rename a proposed or accepted issue (and optionally rewrite its summary)."""
    require(actor, "opinions.manage_issues", issue.village)
    label = _clean_label(label)
    if summary is not None and len(summary) > 5000:
        raise ServiceError(_("The summary is too long."), code="summary")
    with transaction.atomic():
        fresh = _locked(issue, version)
        if fresh.status not in (HotIssue.PROPOSED, HotIssue.ACCEPTED):
            _refuse(fresh, "rename")
        fields = {"label": label}
        if summary is not None:
            fields["summary"] = summary.strip()
        changes = audit.diff({k: getattr(fresh, k) for k in fields}, fields)
        _bump(fresh, version, **fields)
        audit.record(actor, "hot_issue.rename", fresh, changes=changes)
    return fresh


def issue_merge(
    *,
    actor,
    target: HotIssue,
    others: Sequence[HotIssue],
    versions: Mapping[int, int],
    label: str = "",
) -> HotIssue:
    """Merge two or more proposed issues into ``target``; the others become merged.

    ``versions`` maps each issue's pk to the version the user read (optimistic locking).
    """
    require(actor, "opinions.manage_issues", target.village)
    others = [o for o in dict.fromkeys(others) if o.pk != target.pk]
    if not others:
        raise ServiceError(_("Choose at least one other issue to merge."), code="merge_empty")
    label = _clean_label(label) if (label or "").strip() else None
    with transaction.atomic():
        locked = [
            _locked(i, versions.get(i.pk)) for i in sorted([target, *others], key=lambda i: i.pk)
        ]
        by_pk = {i.pk: i for i in locked}
        fresh_target = by_pk[target.pk]
        for i in locked:
            if (i.village_id, i.term_id, i.year) != (
                fresh_target.village_id,
                fresh_target.term_id,
                fresh_target.year,
            ):
                raise ServiceError(
                    _("Only issues of the same village, term and year can be merged."),
                    code="merge_scope",
                )
            if i.status != HotIssue.PROPOSED:
                _refuse(i, "merge")
        moved = Opinion.objects.filter(hot_issue_id__in=[o.pk for o in others]).update(
            hot_issue=fresh_target
        )
        for o in others:
            fresh = by_pk[o.pk]
            to = _next_state(fresh, "merge")
            _bump(fresh, versions.get(o.pk), status=to, merged_into=fresh_target)
            _transition(actor, fresh, HotIssue.PROPOSED, "merge", to, note=f"→ {target.pk}")
        fields = {"summary": _refresh_summary(fresh_target)}
        if label:
            fields["label"] = label
        _bump(fresh_target, versions.get(target.pk), **fields)
        audit.record(
            actor,
            "hot_issue.merge",
            fresh_target,
            changes={"merged": [o.pk for o in others], "opinions_moved": moved, **fields},
        )
    return fresh_target


def issue_split(
    *, actor, issue: HotIssue, opinion_ids: Iterable[int], label: str, version: int
) -> HotIssue:
    """Move some of a proposed issue's opinions to a new proposed issue; returns the new one."""
    require(actor, "opinions.manage_issues", issue.village)
    label = _clean_label(label)
    ids = {int(i) for i in opinion_ids}
    if not ids:
        raise ServiceError(_("Choose the opinions to move to the new issue."), code="split_empty")
    with transaction.atomic():
        fresh = _locked(issue, version)
        if fresh.status != HotIssue.PROPOSED:
            _refuse(fresh, "split")
        own = set(fresh.opinions.values_list("pk", flat=True))
        foreign = ids - own
        if foreign:
            raise ServiceError(
                _("Some chosen opinions do not belong to this issue."),
                code="split_foreign",
                details=[{"opinion": i} for i in sorted(foreign)],
            )
        if ids == own:
            raise ServiceError(
                _("Leave at least one opinion in the issue (or rename it instead)."),
                code="split_all",
            )
        new = HotIssue.objects.create(
            village_id=fresh.village_id, term_id=fresh.term_id, year=fresh.year, label=label
        )
        Opinion.objects.filter(pk__in=ids).update(hot_issue=new)
        new.summary = _refresh_summary(new)
        new.save(update_fields=["summary"])
        _bump(fresh, version, summary=_refresh_summary(fresh))
        audit.record(
            actor,
            "hot_issue.split",
            fresh,
            changes={"new_issue": new.pk, "label": label, "opinions": sorted(ids)},
        )
    return new


def _decide(actor, issue: HotIssue, action: str, version: int | None, note: str = "") -> HotIssue:
    require(actor, "opinions.manage_issues", issue.village)
    with transaction.atomic():
        fresh = _locked(issue, version)
        frm = fresh.status
        to = _next_state(fresh, action)
        fields = {"status": to, "decided_at": timezone.now() if to != HotIssue.PROPOSED else None}
        if action == "reopen":
            fields["not_adopted_reason"] = ""
            fields["not_adopted_at"] = None
        _bump(fresh, version, **fields)
        _transition(actor, fresh, frm, action, to, note=note)
        audit.record(actor, f"hot_issue.{action}", fresh, changes={"status": [frm, to]})
    return fresh


def issue_accept(*, actor, issue: HotIssue, version: int | None = None) -> HotIssue:
    """Accept a proposed issue: the letters must answer it (§三.1–2)."""
    return _decide(actor, issue, "accept", version)


def issue_decline(
    *, actor, issue: HotIssue, version: int | None = None, note: str = ""
) -> HotIssue:
    """Decline a proposed issue (not a hot issue of the village); its opinions stay with it."""
    return _decide(actor, issue, "decline", version, note=(note or "").strip())


def issue_reopen(*, actor, issue: HotIssue, version: int | None = None) -> HotIssue:
    """Send a declined or accepted issue back to proposed."""
    return _decide(actor, issue, "reopen", version)


def issue_not_adopt(*, actor, issue: HotIssue, reason: str, version: int | None = None) -> HotIssue:
    """Mark an accepted issue as not adopted in the pledges, with a public reason (§三.1)."""
    require(actor, "opinions.manage_issues", issue.village)
    reason = _clean_reason(reason)
    with transaction.atomic():
        fresh = _locked(issue, version)
        if fresh.status != HotIssue.ACCEPTED or fresh.not_adopted_reason:
            raise ServiceError(
                _("Only an accepted issue not yet marked can be marked as not adopted."),
                code="state",
            )
        _bump(fresh, version, not_adopted_reason=reason, not_adopted_at=timezone.now())
        _transition(actor, fresh, fresh.status, "not_adopt", fresh.status, note=reason)
        audit.record(actor, "hot_issue.not_adopt", fresh, changes={"reason": reason})
    return fresh
