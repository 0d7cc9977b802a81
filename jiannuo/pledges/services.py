"""Writes to pledge letters (§三.2–3, §五.2): drafting, the quality gate and the workflow.

Every function checks permission and state, runs in one transaction and writes audit rows.
Edits carry the letter ``version`` the person read: a stale version raises ``ConflictError``
and nothing is overwritten. Workflow steps go through ``rules.next_state`` and write a
``Transition`` row on the letter version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError, check_version
from jiannuo.core.models import Transition
from jiannuo.core.permissions import grants, has_perm, require
from jiannuo.core.roles import ROLE_LEVEL
from jiannuo.organisation.models import Post, Term, Unit

from . import importing, rules, selectors
from .models import (
    ACTION_LABELS,
    STATE_LABELS,
    BreachClause,
    Consultation,
    ConsultationComment,
    JointMeeting,
    JointMeetingDecision,
    Letter,
    LetterVersion,
    PledgeItem,
    QualityAcknowledgement,
)

MAX_TARGET_LENGTH = 200
IMPORT_MAX_BYTES = 1024 * 1024
IMPORT_MAX_ROWS = 200


def conflict_message() -> str:
    return _(
        "Someone else changed this letter; reload — your text is shown below so nothing is lost."
    )


# --- Guards ----------------------------------------------------------------------------------


def _require_edit(actor, letter: Letter) -> None:
    """Branch secretary and director edit every letter of the village; a member their own."""
    if has_perm(actor, "pledges.edit", letter.village):
        return
    if (
        letter.post_id is not None
        and has_perm(actor, "pledges.edit_own", letter.village)
        and letter.post.person.user_id == getattr(actor, "pk", None)
    ):
        return
    raise PermissionDenied(_("You are not allowed to do this here."))


def can_edit(actor, letter: Letter) -> bool:
    try:
        _require_edit(actor, letter)
    except PermissionDenied:
        return False
    return True


def _is_village_cadre(actor, village: Unit) -> bool:
    return any(
        ROLE_LEVEL.get(g.role) == "village" and g.unit_id == village.pk for g in grants(actor)
    )


def _require_township(actor, letter: Letter) -> None:
    """§三.3: only the township party committee approves; a village never approves its own."""
    require(actor, "pledges.approve", letter.village)
    if _is_village_cadre(actor, letter.village):
        raise PermissionDenied(_("A village cannot approve, return or redo its own letters."))


def can_decide(actor, letter: Letter) -> bool:
    try:
        _require_township(actor, letter)
    except PermissionDenied:
        return False
    return True


def _require_editable(letter: Letter) -> None:
    if letter.state not in rules.EDITABLE_STATES:
        raise ServiceError(
            _(
                "This letter is “%(state)s”: it can be changed only as a draft or after the "
                "township returned it."
            )
            % {"state": STATE_LABELS[letter.state]},
            code="not_editable",
        )


def _lock(letter: Letter, expected: int | None) -> Letter:
    """The letter, locked for this transaction; ConflictError when ``expected`` is stale."""
    row = (
        Letter.objects.select_for_update(of=("self",))
        .select_related("village", "term", "post__person")
        .get(pk=letter.pk)
    )
    check_version(row.version, expected, conflict_message())
    return row


def _bump(letter: Letter, *fields: str) -> None:
    letter.version += 1
    letter.save(update_fields=["version", "updated_at", *fields])


def _current(letter: Letter) -> LetterVersion:
    return LetterVersion.objects.select_for_update().get(
        letter=letter, number=letter.current_number
    )


def period_bounds(term: Term, year: int | None) -> tuple[date, date]:
    if year is None:
        return term.start, term.end
    return max(term.start, date(year, 1, 1)), min(term.end, date(year, 12, 31))


def _check_period(village: Unit, term: Term, year: int | None) -> None:
    if village.kind != Unit.VILLAGE:
        raise ServiceError(_("Letters belong to a village."), code="not_village")
    if term.district_id != village.district_id:
        raise ServiceError(_("The term belongs to another district."), code="term")
    if year is not None and year not in term.years:
        raise ServiceError(
            _("The year %(year)s is not within the term %(term)s.") % {"year": year, "term": term},
            code="year",
        )


# --- Preparing letters -----------------------------------------------------------------------


def team_posts(village: Unit, term: Term, year: int | None):
    """The team posts (Post.TEAM) that pledge in the period: held on its reference day."""
    start, end = period_bounds(term, year)
    ref_day = min(max(timezone.localdate(), start), end)
    return (
        Post.objects.filter(village=village, kind__in=Post.TEAM, start__lte=end)
        .filter(Q(end__isnull=True) | Q(end__gte=ref_day))
        .select_related("person")
        .order_by("start", "id")
    )


def letters_prepare(*, actor, village: Unit, term: Term, year: int | None) -> list[Letter]:
    """§三.3: create the draft letters of a village for a term or a year from its roster.

    One team letter; the branch secretary's own letter (under 一肩挑 it covers the secretary's
    other posts too); one member letter per other team post. Posts, not people. Letters that
    exist already are left alone, so preparing again only adds letters for new posts.
    """
    require(actor, "pledges.prepare", village)
    _check_period(village, term, year)
    wanted = selectors.letters_due(list(team_posts(village, term, year)))
    created: list[Letter] = []
    try:
        with transaction.atomic():
            existing = set(
                Letter.objects.filter(village=village, term=term, year=year).values_list(
                    "kind", "post_id"
                )
            )
            for kind, post in wanted:
                if (kind, post.pk if post else None) in existing:
                    continue
                letter = Letter.objects.create(
                    village=village, term=term, year=year, kind=kind, post=post
                )
                LetterVersion.objects.create(letter=letter, number=1, state=rules.DRAFT)
                created.append(letter)
                audit.record(
                    actor,
                    "letter.create",
                    letter,
                    changes={
                        "kind": kind,
                        "post": post.pk if post else None,
                        "term": term.pk,
                        "year": year,
                    },
                )
            if created:
                _refresh_period(village, term, year)
    except IntegrityError as exc:
        raise ServiceError(
            _("The letters were prepared by someone else meanwhile; reload."), code="conflict"
        ) from exc
    return created


# --- Item and clause content -----------------------------------------------------------------


def _clean_text(value, label, *, required=True, maximum=None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ServiceError(_("%(field)s is required.") % {"field": label}, code="required")
    if maximum is not None and len(text) > maximum:
        raise ServiceError(
            _("%(field)s is longer than %(maximum)s characters.")
            % {"field": label, "maximum": maximum},
            code="too_long",
        )
    return text


def _item_fields(letter: Letter, data: Mapping, cache: dict | None = None) -> dict:
    """Validated item fields and the ids of its links; raises ServiceError, saves nothing.

    ``cache`` keeps the allowed links between calls for several items of one letter.
    """
    cache = {} if cache is None else cache
    category = data.get("category")
    if category not in rules.CATEGORIES:
        raise ServiceError(_("Choose one of the four pledge categories."), code="category")
    text = _clean_text(data.get("text"), _("The pledge"))
    target = _clean_text(
        data.get("target"), _("The target"), required=False, maximum=MAX_TARGET_LENGTH
    )
    deadline = data.get("deadline") or None
    if deadline is not None and not isinstance(deadline, date):
        raise ServiceError(_("The deadline is not a date."), code="deadline")
    post_id = data.get("responsible_post_id") or None
    if post_id is not None:
        if not Post.objects.filter(pk=post_id, village=letter.village, kind__in=Post.TEAM).exists():
            raise ServiceError(
                _("The responsible post must be a team post of this village."), code="post"
            )
    hot_ids = sorted({int(x) for x in data.get("hot_issue_ids") or ()})
    task_ids = sorted({int(x) for x in data.get("task_ids") or ()})
    team_ids = sorted({int(x) for x in data.get("breaks_down_ids") or ()})
    if "options" not in cache:
        cache["options"] = selectors.answer_options(letter)
    options = cache["options"]
    if set(hot_ids) - {h.pk for h in options["hot_issues"]}:
        raise ServiceError(
            _("A hot issue chosen is not an accepted issue of this village."), code="answers"
        )
    if set(task_ids) - {t.pk for t in options["tasks"]}:
        raise ServiceError(
            _("A township task chosen is not assigned to this village."), code="answers"
        )
    if team_ids:
        if letter.kind == Letter.TEAM:
            raise ServiceError(
                _("Team items are what members break down; they break down nothing."),
                code="breaks_down",
            )
        if "team" not in cache:
            cache["team"] = {i.pk for i in selectors.team_items_for(letter)}
        if set(team_ids) - cache["team"]:
            raise ServiceError(
                _("An item broken down is not an item of this period's team letter."),
                code="breaks_down",
            )
    return {
        "category": category,
        "text": text,
        "target": target,
        "deadline": deadline,
        "responsible_post_id": post_id,
        "hot_ids": hot_ids,
        "task_ids": task_ids,
        "team_ids": team_ids,
    }


def _item_state(item: PledgeItem) -> dict:
    return {
        "category": item.category,
        "text": item.text,
        "target": item.target,
        "deadline": item.deadline,
        "responsible_post_id": item.responsible_post_id,
    }


def _set_links(item: PledgeItem, f: dict, *, new: bool = False) -> None:
    """Set the item's links; a new item has none, so only non-empty lists are written."""
    for manager, ids in (
        (item.answers_hot_issues, f["hot_ids"]),
        (item.answers_tasks, f["task_ids"]),
        (item.breaks_down, f["team_ids"]),
    ):
        if not new:
            manager.set(ids)
        elif ids:
            manager.add(*ids)


def item_add(*, actor, letter: Letter, version: int, **data) -> PledgeItem:
    """Add a pledge item to the letter's current (editable) version."""
    _require_edit(actor, letter)
    with transaction.atomic():
        letter = _lock(letter, version)
        _require_editable(letter)
        f = _item_fields(letter, data)
        current = _current(letter)
        position = current.items.count() + 1
        item = PledgeItem.objects.create(
            letter_version=current,
            code=f"{letter.item_prefix}{letter.next_item_no}",
            position=position,
            category=f["category"],
            text=f["text"],
            target=f["target"],
            deadline=f["deadline"],
            responsible_post_id=f["responsible_post_id"],
        )
        _set_links(item, f, new=True)
        letter.next_item_no += 1
        _bump(letter, "next_item_no")
        audit.record(
            actor,
            "pledge_item.add",
            item,
            unit=letter.village,
            changes={**_item_state(item), "code": item.code, "letter": letter.pk},
        )
        _refresh(letter)
    return item


def item_update(*, actor, item: PledgeItem, version: int, **data) -> PledgeItem:
    letter = item.letter_version.letter
    _require_edit(actor, letter)
    with transaction.atomic():
        letter = _lock(letter, version)
        _require_editable(letter)
        item = PledgeItem.objects.select_for_update().get(pk=item.pk)
        if item.letter_version.number != letter.current_number:
            raise ServiceError(_("This item belongs to an older version."), code="old_version")
        f = _item_fields(letter, data)
        before = _item_state(item)
        for field in ("category", "text", "target", "deadline", "responsible_post_id"):
            setattr(item, field, f[field])
        item.save()
        _set_links(item, f)
        _bump(letter)
        audit.record(
            actor,
            "pledge_item.update",
            item,
            unit=letter.village,
            changes={
                **audit.diff(before, _item_state(item)),
                "links": f["hot_ids"] + f["task_ids"],
            },
        )
        _refresh(letter)
    return item


def _content_remove(*, actor, row, version: int, action: str, state: dict, old_message):
    """Remove one item or clause of the current version: the shared guard of both."""
    letter = row.letter_version.letter
    _require_edit(actor, letter)
    with transaction.atomic():
        letter = _lock(letter, version)
        _require_editable(letter)
        row = type(row).objects.select_for_update().get(pk=row.pk)
        if row.letter_version.number != letter.current_number:
            raise ServiceError(old_message, code="old_version")
        audit.record(
            actor, action, row, unit=letter.village, changes={**state(row), "code": row.code}
        )
        row.delete()
        _bump(letter)
        _refresh(letter)


def item_remove(*, actor, item: PledgeItem, version: int) -> None:
    _content_remove(
        actor=actor,
        row=item,
        version=version,
        action="pledge_item.remove",
        state=_item_state,
        old_message=_("This item belongs to an older version."),
    )


def _clause_fields(data: Mapping) -> dict:
    category = data.get("category")
    if category not in rules.BREACH_CATEGORIES:
        raise ServiceError(_("Choose one of the three breach categories."), code="category")
    amount = data.get("amount")
    if amount in ("", None):
        amount = None
    else:
        try:
            amount = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            raise ServiceError(_("The amount is not a number."), code="amount") from None
        if amount < 0 or amount >= Decimal("1e10"):
            raise ServiceError(_("The amount is not plausible."), code="amount")
    share = data.get("share_percent")
    if share in ("", None):
        share = None
    else:
        try:
            share = Decimal(str(share))
        except (InvalidOperation, ValueError):
            raise ServiceError(_("The share of the loss is not a number."), code="share") from None
        if not share.is_finite() or not 0 < share <= 100 or share.as_tuple().exponent < -2:
            raise ServiceError(
                _("The share of the loss must be a percentage above 0 and at most 100."),
                code="share",
            )
        if category != "economic_loss":
            raise ServiceError(
                _("Only an economic-loss clause states a share of the loss."), code="share"
            )
        if amount is not None:
            raise ServiceError(
                _("State either a share of the loss or a fixed sum, not both."),
                code="share_and_amount",
            )
    return {
        "category": category,
        "trigger": _clean_text(data.get("trigger"), _("The trigger")),
        "measure": _clean_text(data.get("measure"), _("The measure")),
        "amount": amount,
        "share_percent": share,
    }


def _clause_state(clause: BreachClause) -> dict:
    return {
        "category": clause.category,
        "trigger": clause.trigger,
        "measure": clause.measure,
        "amount": clause.amount,
        "share_percent": clause.share_percent,
    }


def clause_add(*, actor, letter: Letter, version: int, **data) -> BreachClause:
    _require_edit(actor, letter)
    with transaction.atomic():
        letter = _lock(letter, version)
        _require_editable(letter)
        f = _clause_fields(data)
        current = _current(letter)
        clause = BreachClause.objects.create(
            letter_version=current,
            code=f"C{letter.next_clause_no}",
            position=current.clauses.count() + 1,
            **f,
        )
        letter.next_clause_no += 1
        _bump(letter, "next_clause_no")
        audit.record(
            actor,
            "breach_clause.add",
            clause,
            unit=letter.village,
            changes={**f, "code": clause.code, "letter": letter.pk},
        )
        _refresh(letter)
    return clause


def clause_update(*, actor, clause: BreachClause, version: int, **data) -> BreachClause:
    letter = clause.letter_version.letter
    _require_edit(actor, letter)
    with transaction.atomic():
        letter = _lock(letter, version)
        _require_editable(letter)
        clause = BreachClause.objects.select_for_update().get(pk=clause.pk)
        if clause.letter_version.number != letter.current_number:
            raise ServiceError(_("This clause belongs to an older version."), code="old_version")
        f = _clause_fields(data)
        before = _clause_state(clause)
        for k, v in f.items():
            setattr(clause, k, v)
        clause.save()
        _bump(letter)
        audit.record(
            actor,
            "breach_clause.update",
            clause,
            unit=letter.village,
            changes=audit.diff(before, _clause_state(clause)),
        )
        _refresh(letter)
    return clause


def clause_remove(*, actor, clause: BreachClause, version: int) -> None:
    _content_remove(
        actor=actor,
        row=clause,
        version=version,
        action="breach_clause.remove",
        state=_clause_state,
        old_message=_("This clause belongs to an older version."),
    )


def letter_content_add(
    *,
    actor,
    letter: Letter,
    version: int,
    items: Iterable[Mapping],
    clauses: Iterable[Mapping] = (),
) -> Letter:
    """Append several items and clauses in one step (all valid or nothing saved).

    Each item mapping takes the fields of ``item_add``; each clause those of ``clause_add``.
    """
    _require_edit(actor, letter)
    with transaction.atomic():
        letter = _lock(letter, version)
        _require_editable(letter)
        current = _current(letter)
        position = current.items.count()
        codes = []
        cache: dict = {}
        for data in items:
            f = _item_fields(letter, data, cache)
            position += 1
            item = PledgeItem.objects.create(
                letter_version=current,
                code=f"{letter.item_prefix}{letter.next_item_no}",
                position=position,
                category=f["category"],
                text=f["text"],
                target=f["target"],
                deadline=f["deadline"],
                responsible_post_id=f["responsible_post_id"],
            )
            _set_links(item, f, new=True)
            letter.next_item_no += 1
            codes.append(item.code)
        position = current.clauses.count()
        for data in clauses:
            f = _clause_fields(data)
            position += 1
            clause = BreachClause.objects.create(
                letter_version=current,
                code=f"C{letter.next_clause_no}",
                position=position,
                **f,
            )
            letter.next_clause_no += 1
            codes.append(clause.code)
        _bump(letter, "next_item_no", "next_clause_no")
        audit.record(
            actor, "letter.content_add", letter, changes={"version": current.number, "codes": codes}
        )
        _refresh(letter)
    return letter


def items_import(*, actor, letter: Letter, version: int, upload) -> int:
    """Append the items of an Excel sheet to the letter: all rows valid or nothing saved.

    Errors name the row and the column (``ServiceError.details``). Returns the items added.
    """
    from jiannuo.core.excel import read_rows

    _require_edit(actor, letter)
    _require_editable(letter)
    rows = read_rows(
        upload, importing.HEADERS, max_bytes=IMPORT_MAX_BYTES, max_rows=IMPORT_MAX_ROWS
    )
    posts = list(
        Post.objects.filter(village=letter.village, kind__in=Post.TEAM).select_related("person")
    )
    team_codes = {i.code: i.pk for i in selectors.team_items_for(letter)}
    clean, errors = importing.validate_rows(
        rows,
        posts=[importing.PostRef(p.pk, p.kind, p.person.name, p.start, p.end) for p in posts],
        team_codes=team_codes if letter.kind != Letter.TEAM else None,
        period=period_bounds(letter.term, letter.year),
    )
    if errors:
        raise ServiceError(
            _("%(count)s problem(s) in the file; nothing was imported.") % {"count": len(errors)},
            code="import_invalid",
            details=[e.as_dict() for e in errors],
        )
    with transaction.atomic():
        letter = _lock(letter, version)
        _require_editable(letter)
        current = _current(letter)
        position = current.items.count()
        for row in clean:
            position += 1
            item = PledgeItem.objects.create(
                letter_version=current,
                code=f"{letter.item_prefix}{letter.next_item_no}",
                position=position,
                category=row.category,
                text=row.text,
                target=row.target,
                deadline=row.deadline,
                responsible_post_id=row.post_id,
            )
            if row.team_codes:
                item.breaks_down.set([team_codes[c] for c in row.team_codes])
            letter.next_item_no += 1
        _bump(letter, "next_item_no")
        audit.record(
            actor,
            "pledge_item.import",
            letter,
            changes={"rows": len(clean), "version": current.number},
        )
        _refresh(letter)
    return len(clean)


# --- Quality gate (§五.2) ---------------------------------------------------------------------


def _fingerprint(finding) -> str:
    facts = json.dumps(dict(finding.facts), sort_keys=True, default=str, ensure_ascii=False)
    return f"{finding.rule}|{facts}"


def _refresh(letter: Letter) -> None:
    """Recompute the cached finding counts of this letter, and of its team letter."""
    _refresh_period(letter.village, letter.term, letter.year, only=letter)


def _refresh_period(village, term, year, only: Letter | None = None) -> None:
    """Recompute cached finding counts of the period's current versions (the to-do reads them).

    With ``only``, just that letter and the team letter (whose coverage depends on it).
    """
    content = selectors.period_content(village, term, year)
    for letter in content.letters:
        if only is not None and letter.pk != only.pk and letter.kind != Letter.TEAM:
            continue
        findings = selectors.findings_for(letter, content)
        blocking = sum(1 for f in findings if f.blocking)
        warnings = len(findings) - blocking
        current = letter.current
        if (current.blocking_count, current.warning_count) != (blocking, warnings):
            LetterVersion.objects.filter(pk=current.pk).update(
                blocking_count=blocking, warning_count=warnings
            )


def unacknowledged(letter: Letter, findings) -> list:
    """The warnings of ``findings`` that nobody acknowledged on the current version."""
    acked = set()
    for ack in QualityAcknowledgement.objects.filter(
        letter_version__letter=letter, letter_version__number=letter.current_number
    ):
        acked.update(w["key"] for w in ack.warnings)
    return [f for f in findings if not f.blocking and _fingerprint(f) not in acked]


def _gate(letter: Letter, findings=None) -> None:
    """§五.2 严把承诺内容关: blocking findings stop the step; warnings need acknowledging.

    ``findings`` may be given when the caller checked the whole period at once.
    """
    if findings is None:
        findings = selectors.letter_findings(letter)
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise ServiceError(
            _(
                "The quality check found %(count)s problem(s) that must be fixed first; see the "
                "quality check page."
            )
            % {"count": len(blocking)},
            code="quality_blocking",
            details=[
                {"rule": f.rule, "clause": f.clause, "message": selectors.explain(f)}
                for f in blocking
            ],
        )
    open_warnings = unacknowledged(letter, findings)
    if open_warnings:
        raise ServiceError(
            _(
                "%(count)s warning(s) of the quality check are not yet acknowledged; read and "
                "acknowledge them on the quality check page."
            )
            % {"count": len(open_warnings)},
            code="quality_unacknowledged",
            details=[
                {"rule": f.rule, "clause": f.clause, "message": selectors.explain(f)}
                for f in open_warnings
            ],
        )


def quality_acknowledge(*, actor, letter: Letter, version: int, note: str = ""):
    """Record that ``actor`` read the current warnings and keeps the text as it is (§五.2)."""
    _require_edit(actor, letter)
    with transaction.atomic():
        letter = _lock(letter, version)
        findings = selectors.letter_findings(letter)
        warnings = [f for f in findings if not f.blocking]
        if not warnings:
            raise ServiceError(_("There is no warning to acknowledge."), code="no_warnings")
        current = _current(letter)
        ack = QualityAcknowledgement.objects.create(
            letter_version=current,
            warnings=[
                {
                    "key": _fingerprint(f),
                    "rule": f.rule,
                    "clause": f.clause,
                    "message": selectors.explain(f),
                }
                for f in warnings
            ],
            by=actor,
            note=(note or "").strip(),
        )
        audit.record(
            actor,
            "letter.acknowledge_warnings",
            letter,
            changes={"version": current.number, "rules": [f.rule for f in warnings]},
        )
    return ack


# --- Workflow (§三.2–3) -----------------------------------------------------------------------

_STAMP = {
    rules.TABLED: "tabled_at",
    rules.JOINT_MEETING: "joint_meeting_at",
    rules.CONSULTED: "consulted_at",
    rules.SUBMITTED: "submitted_at",
    rules.APPROVED: "decided_at",
    rules.RETURNED: "decided_at",
    rules.REDO: "decided_at",
}


def _target(current: LetterVersion, action: str) -> str:
    """The next state by the rules' table, or a clear error for a step out of order."""
    try:
        return rules.next_state(current.state, action)
    except rules.TransitionError:
        allowed = [str(ACTION_LABELS[a]) for a in rules.allowed_actions(current.state)]
        raise ServiceError(
            _(
                "“%(action)s” is not possible now: the letter is “%(state)s”. Next step: "
                "%(allowed)s."
            )
            % {
                "action": ACTION_LABELS.get(action, action),
                "state": STATE_LABELS.get(current.state, current.state),
                "allowed": "、".join(allowed) or _("none"),
            },
            code="out_of_order",
        ) from None


def _snapshot(current: LetterVersion) -> None:
    snap = selectors.snapshot(current)
    current.snapshot = snap
    current.content_hash = selectors.content_hash(snap)


def _apply(actor, letter: Letter, current: LetterVersion, action: str, to_state: str, note=""):
    from_state = current.state
    now = timezone.now()
    current.state = to_state
    fields = ["state"]
    stamp = _STAMP.get(to_state)
    if stamp:
        setattr(current, stamp, now)
        fields.append(stamp)
    if to_state == rules.TABLED:
        _snapshot(current)
        fields += ["snapshot", "content_hash"]
    if to_state in (rules.APPROVED, rules.RETURNED, rules.REDO):
        current.decided_by = actor
        current.decision_note = note
        fields += ["decided_by", "decision_note"]
    current.save(update_fields=fields)
    letter.state = to_state
    letter_fields = ["state"]
    if to_state == rules.APPROVED:
        letter.approved_at = now
        letter_fields.append("approved_at")
    _bump(letter, *letter_fields)
    Transition.record(actor, current, "pledges.letterversion", from_state, action, to_state, note)
    audit.record(
        actor,
        f"letter.{action}",
        letter,
        changes={"version": current.number, "state": [from_state, to_state], "note": note},
    )


def _step(
    *, actor, letter: Letter, action: str, version=None, note="", gate=False, findings=None
) -> Letter:
    letter = _lock(letter, version)
    current = _current(letter)
    to_state = _target(current, action)
    if gate:
        _gate(letter, findings)
    _apply(actor, letter, current, action, to_state, note)
    return letter


def letter_submit_to_joint_meeting(*, actor, letter: Letter, version: int | None = None) -> Letter:
    """§三.2: lay a draft that passes the quality gate before the two-committee joint meeting."""
    _require_edit(actor, letter)
    with transaction.atomic():
        return _step(
            actor=actor, letter=letter, action="submit_to_joint_meeting", version=version, gate=True
        )


def _period_letter(letter_id, village, term, year) -> Letter:
    letter = (
        Letter.objects.select_related("village", "term", "post__person")
        .filter(pk=letter_id, village=village, term=term, year=year)
        .first()
    )
    if letter is None:
        raise ServiceError(
            _("Letter %(id)s is not a letter of this village and period.") % {"id": letter_id},
            code="letter",
        )
    return letter


def _active_on(day: date) -> Q:
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


def joint_meeting_record(
    *,
    actor,
    village: Unit,
    term: Term,
    year: int | None,
    date: date,
    attendance: Iterable[int],
    decisions: Mapping[int, tuple[str, str]],
    minutes: str = "",
) -> JointMeeting:
    """§三.2: the joint meeting, quorate with more than half of the two committees present,
    approves each tabled letter or sends it back to drafting.

    ``attendance`` are the ids of the attending team posts; ``decisions`` maps letter ids to
    (``approved`` | ``sent_back``, note).
    """
    require(actor, "pledges.workflow", village)
    _check_period(village, term, year)
    if date > timezone.localdate():
        raise ServiceError(_("The meeting date lies in the future."), code="date")
    if not decisions:
        raise ServiceError(_("The meeting decided no letter."), code="no_decisions")
    members = list(
        Post.objects.filter(village=village, kind__in=Post.TEAM).filter(_active_on(date))
    )
    by_id = {p.pk: p for p in members}
    attendance = {int(x) for x in attendance}
    unknown = attendance - set(by_id)
    if unknown:
        raise ServiceError(
            _("Only team members holding their post on the meeting day can attend."),
            code="attendance",
        )
    members_total = len({p.person_id for p in members})
    present = len({by_id[pk].person_id for pk in attendance})
    quorum = rules.joint_meeting_quorum(members_total, present)
    if quorum is not None:
        raise ServiceError(selectors.explain(quorum), code=quorum.rule)
    with transaction.atomic():
        meeting = JointMeeting.objects.create(
            village=village,
            term=term,
            year=year,
            date=date,
            members_total=members_total,
            present=present,
            minutes=(minutes or "").strip(),
            recorded_by=actor,
        )
        meeting.attendance.set(sorted(attendance))
        for letter_id, (decision, note) in sorted(decisions.items()):
            if decision not in (JointMeetingDecision.APPROVED, JointMeetingDecision.SENT_BACK):
                raise ServiceError(_("Decide each letter: approved or sent back."), code="decision")
            letter = _period_letter(letter_id, village, term, year)
            action = (
                "joint_meeting_approve"
                if decision == JointMeetingDecision.APPROVED
                else "joint_meeting_return"
            )
            letter = _lock(letter, None)
            current = _current(letter)
            to_state = _target(current, action)
            JointMeetingDecision.objects.create(
                meeting=meeting, letter_version=current, decision=decision, note=note or ""
            )
            _apply(actor, letter, current, action, to_state, note or "")
        audit.record(
            actor,
            "joint_meeting.record",
            meeting,
            changes={
                "date": date,
                "members_total": members_total,
                "present": present,
                "decisions": {str(k): v[0] for k, v in decisions.items()},
            },
        )
        _refresh_period(village, term, year)
    return meeting


def has_supervision_committee(village: Unit, day: date) -> bool:
    return (
        Post.objects.filter(
            village=village, kind__in=[Post.SUPERVISION_CHAIR, Post.SUPERVISION_MEMBER]
        )
        .filter(_active_on(day))
        .exists()
    )


def consultation_record(
    *,
    actor,
    village: Unit,
    term: Term,
    year: int | None,
    date: date,
    comments: Mapping[int, str],
    summary: str = "",
    body: str | None = None,
) -> Consultation:
    """§三.3: the supervision committee (or, without one, the villager representatives'
    meeting — the village is then flagged non-compliant) comments on the agreed drafts.

    ``comments`` maps the ids of letters approved by the joint meeting to the comment on each.
    """
    require(actor, "pledges.workflow", village)
    _check_period(village, term, year)
    if date > timezone.localdate():
        raise ServiceError(_("The meeting date lies in the future."), code="date")
    if not comments:
        raise ServiceError(_("No letter was put to the consultation."), code="no_letters")
    has_committee = has_supervision_committee(village, date)
    if body is None:
        body = Consultation.SUPERVISION if has_committee else Consultation.REPRESENTATIVES
    if body not in dict(Consultation.BODIES):
        raise ServiceError(_("Unknown body."), code="body")
    if body == Consultation.SUPERVISION and not has_committee:
        raise ServiceError(
            _(
                "This village has no supervision committee: consult the villager "
                "representatives' meeting."
            ),
            code="body",
        )
    with transaction.atomic():
        consultation = Consultation.objects.create(
            village=village,
            term=term,
            year=year,
            body=body,
            non_compliant=not has_committee,
            date=date,
            summary=(summary or "").strip(),
            recorded_by=actor,
        )
        for letter_id, comment in sorted(comments.items()):
            letter = _lock(_period_letter(letter_id, village, term, year), None)
            current = _current(letter)
            to_state = _target(current, "consult")
            ConsultationComment.objects.create(
                consultation=consultation, letter_version=current, comment=(comment or "").strip()
            )
            _apply(actor, letter, current, "consult", to_state, (comment or "").strip())
        audit.record(
            actor,
            "consultation.record",
            consultation,
            changes={
                "date": date,
                "body": body,
                "non_compliant": not has_committee,
                "letters": sorted(comments),
            },
        )
    return consultation


def letter_submit(*, actor, letter: Letter, version: int | None = None) -> Letter:
    """§三.3: submit a consulted letter to the township party committee for approval."""
    require(actor, "pledges.workflow", letter.village)
    with transaction.atomic():
        return _step(actor=actor, letter=letter, action="submit", version=version, gate=True)


def period_submit(*, actor, village: Unit, term: Term, year: int | None) -> list[Letter]:
    """Submit every consulted letter of the period at once (all or none)."""
    require(actor, "pledges.workflow", village)
    letters = list(
        Letter.objects.filter(village=village, term=term, year=year, state=rules.CONSULTED)
    )
    if not letters:
        raise ServiceError(_("No consulted letter is waiting to be submitted."), code="none")
    with transaction.atomic():
        # One quality check of the whole period instead of one per letter.
        content = selectors.period_content(village, term, year)
        answers = None
        done = []
        for letter in content.letters:
            if letter.state != rules.CONSULTED:
                continue
            if letter.kind == Letter.TEAM and answers is None:
                answers = selectors.required_answers(letter)
            findings = selectors.findings_for(letter, content, answers)
            done.append(
                _step(actor=actor, letter=letter, action="submit", gate=True, findings=findings)
            )
        return done


def letter_approve(*, actor, letter: Letter, note: str = "", version: int | None = None) -> Letter:
    """§三.3: the township party committee approves the letter; signing comes next."""
    _require_township(actor, letter)
    with transaction.atomic():
        return _step(
            actor=actor, letter=letter, action="approve", version=version, note=(note or "").strip()
        )


def letter_reopen(letter: Letter, current: LetterVersion) -> LetterVersion:
    """For the later steps (signing: a failed ceremony vote, a change after signing): a new
    working version copied from ``current``, returned to the village to redo, with the cached
    quality findings recomputed. The caller holds the letter's row lock and records its own
    transition and audit row, in its own transaction."""
    new = _open_version(letter, current, rules.RETURNED, copy=True)
    _refresh(letter)
    return new


def _open_version(letter: Letter, old: LetterVersion, state: str, copy: bool) -> LetterVersion:
    new = LetterVersion.objects.create(
        letter=letter, number=old.number + 1, state=state, started_from=old, copied=copy
    )
    if copy:
        items = list(
            old.items.prefetch_related("answers_hot_issues", "answers_tasks", "breaks_down")
        )
        for item in items:
            copy_item = PledgeItem.objects.create(
                letter_version=new,
                code=item.code,
                position=item.position,
                category=item.category,
                text=item.text,
                target=item.target,
                deadline=item.deadline,
                responsible_post_id=item.responsible_post_id,
            )
            copy_item.answers_hot_issues.set(item.answers_hot_issues.all())
            copy_item.answers_tasks.set(item.answers_tasks.all())
            copy_item.breaks_down.set(item.breaks_down.all())
        BreachClause.objects.bulk_create(
            [
                BreachClause(
                    letter_version=new,
                    code=c.code,
                    position=c.position,
                    category=c.category,
                    trigger=c.trigger,
                    measure=c.measure,
                    amount=c.amount,
                    share_percent=c.share_percent,
                )
                for c in old.clauses.all()
            ]
        )
    letter.current_number = new.number
    letter.state = state
    _bump(letter, "current_number", "state")
    return new


def _reasons(reasons: str) -> str:
    text = (reasons or "").strip()
    if not text:
        raise ServiceError(
            _("Give the reasons, so the village knows what to change."), code="reasons"
        )
    return text


def letter_return(*, actor, letter: Letter, reasons: str, version: int | None = None) -> Letter:
    """§五.2: the township returns the letter for adjustment with reasons.

    The submitted version is kept as it was; a new version with the same content opens,
    editable, and goes through the joint meeting again.
    """
    _require_township(actor, letter)
    reasons = _reasons(reasons)
    with transaction.atomic():
        letter = _step(actor=actor, letter=letter, action="return", version=version, note=reasons)
        old = LetterVersion.objects.get(letter=letter, number=letter.current_number)
        _open_version(letter, old, rules.RETURNED, copy=True)
        _refresh(letter)
    return letter


def letter_redo(
    *, actor, letter: Letter, reasons: str, copy: bool = False, version: int | None = None
) -> Letter:
    """§五.2 推倒重来: the township orders the letter redone.

    The rejected version is kept; a new draft version starts empty, or with the old content
    when the township so decides (``copy``).
    """
    _require_township(actor, letter)
    reasons = _reasons(reasons)
    with transaction.atomic():
        letter = _step(actor=actor, letter=letter, action="redo", version=version, note=reasons)
        old = LetterVersion.objects.get(letter=letter, number=letter.current_number)
        new = _open_version(letter, old, rules.NEW_VERSION_STATE, copy=bool(copy))
        audit.record(
            actor,
            "letter.open_version",
            letter,
            changes={"version": new.number, "copied": bool(copy)},
        )
        _refresh(letter)
    return letter


def decide(
    *,
    actor,
    letter: Letter,
    action: str,
    note: str = "",
    copy: bool = False,
    version: int | None = None,
) -> Letter:
    """The township's decision by name (for forms and the API)."""
    if action == "approve":
        return letter_approve(actor=actor, letter=letter, note=note, version=version)
    if action == "return":
        return letter_return(actor=actor, letter=letter, reasons=note, version=version)
    if action == "redo":
        return letter_redo(actor=actor, letter=letter, reasons=note, copy=copy, version=version)
    raise ServiceError(_("Unknown decision."), code="action")
