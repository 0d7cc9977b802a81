"""Writes of the supervision step (§五.3): progress and evidence, inspections and
rectifications, adjustments for objective reasons, and the daily digest.

Every function checks permission, input and state before its transaction, writes inside one
``transaction.atomic()`` with row locks, and records an audit entry; workflow steps
(rectification, adjustment, item status) write ``Transition`` rows. Nothing is half-saved.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core import audit, uploads
from jiannuo.core.errors import ConflictError, ServiceError
from jiannuo.core.models import Transition
from jiannuo.core.permissions import has_perm, require
from jiannuo.core.uploads import EXTENSIONS, sniff
from jiannuo.organisation.models import Post, Unit
from jiannuo.pledges.models import Letter, PledgeItem
from jiannuo.signing import integrity
from jiannuo.signing.models import SignedLetter

from . import rules
from .models import Adjustment, Digest, Evidence, Inspection, InspectionFinding, ItemState, Progress

#: Evidence files: of these types (by magic bytes, not by name); size: ``uploads.max_bytes()``.
EXT = EXTENSIONS


def _refuse(findings) -> None:
    if findings:
        raise ServiceError(
            "; ".join(f.explain() for f in findings),
            code=findings[0].rule,
            details=[{"rule": f.rule, "message": f.explain()} for f in findings],
        )


# --- Items in force -----------------------------------------------------------------------------


def signed_in_force(letter: Letter) -> SignedLetter:
    """The signed version of ``letter`` in force; ServiceError when it is not signed."""
    signed = (
        SignedLetter.objects.filter(
            letter=letter, signed_at__isnull=False, superseded_at__isnull=True
        )
        .select_related("version")
        .first()
    )
    if signed is None:
        raise ServiceError(
            _("This letter is not signed yet: progress is followed only on signed letters."),
            code="not_signed",
        )
    return signed


def item_in_force(letter: Letter, code: str) -> PledgeItem:
    signed = signed_in_force(letter)
    integrity.require_intact(signed)  # progress is recorded only against the signed text
    item = (
        PledgeItem.objects.filter(letter_version_id=signed.version_id, code=str(code))
        .select_related("responsible_post__person")
        .first()
    )
    if item is None:
        raise ServiceError(
            _("The signed letter has no item %(code)s.") % {"code": code}, code="item"
        )
    return item


def _holds(actor, *, village: Unit, post_id=None, kind=None) -> bool:
    today = timezone.localdate()
    qs = Post.objects.filter(person__user=actor, village=village, start__lte=today).filter(
        Q(end__isnull=True) | Q(end__gte=today)
    )
    if post_id is not None:
        qs = qs.filter(pk=post_id)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.exists()


def may_record(actor, letter: Letter, item: PledgeItem) -> bool:
    """The holder of the item's responsible post; the branch secretary for the team's items."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_superuser:
        return True
    if not has_perm(actor, "supervision.record", letter.village):
        return False
    if item.responsible_post_id and _holds(
        actor, village=letter.village, post_id=item.responsible_post_id
    ):
        return True
    return letter.kind == Letter.TEAM and _holds(
        actor, village=letter.village, kind=Post.BRANCH_SECRETARY
    )


def _require_record(actor, letter: Letter, item: PledgeItem) -> None:
    require(actor, "supervision.record", letter.village)
    if not may_record(actor, letter, item):
        raise PermissionDenied(
            _("Only the holder of the item's responsible post may report its progress.")
        )


def _state_for(letter: Letter, code: str) -> ItemState:
    """The item's state row, created on first use, locked for update."""
    ItemState.objects.get_or_create(
        letter=letter, item_code=code, defaults={"village_id": letter.village_id}
    )
    return ItemState.objects.select_for_update().get(letter=letter, item_code=code)


# --- Evidence -----------------------------------------------------------------------------------


def check_upload(upload) -> tuple[str, int, str]:
    """(content type, size, sha256) of an upload; ServiceError for a wrong type or size."""
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > uploads.max_bytes():
        raise ServiceError(
            _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": uploads.max_mb()},
            code="too_large",
        )
    if size == 0:
        raise ServiceError(_("%(name)s is empty.") % {"name": name}, code="empty")
    upload.seek(0)
    head = upload.read(16)
    content_type = sniff(head)
    if content_type is None:
        raise ServiceError(
            _("%(name)s is not a JPEG or PNG photo or a PDF document.") % {"name": name},
            code="file_type",
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    return content_type, size, digest.hexdigest()


_saved_files = threading.local()


@contextmanager
def _files_atomic():
    """A transaction that also removes the files it stored when it rolls back: nothing is
    half-saved, not even on disk."""
    outer = getattr(_saved_files, "names", None)
    _saved_files.names = [] if outer is None else outer
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for name in _saved_files.names:
            default_storage.delete(name)
        raise
    finally:
        if outer is None:
            _saved_files.names = None


def _store(actor, state: ItemState, upload, checked, *, public, caption="", progress=None):
    content_type, size, sha = checked
    ev = Evidence(
        state=state,
        village_id=state.village_id,
        progress=progress,
        content_type=content_type,
        size=size,
        sha256=sha,
        name=(getattr(upload, "name", "") or "")[-200:],
        caption=(caption or "").strip()[:200],
        public=bool(public),
        uploaded_by=actor,
    )
    ev.file.save(f"{sha[:32]}.{EXT[content_type]}", upload, save=False)
    if getattr(_saved_files, "names", None) is not None:
        _saved_files.names.append(ev.file.name)
    ev.save()
    audit.record(
        actor,
        "evidence.add",
        ev,
        changes={"sha256": sha, "type": content_type, "size": size, "public": ev.public},
    )
    return ev


def evidence_add(
    *, actor, letter: Letter, item_code: str, upload, public=False, caption=""
) -> Evidence:
    """§五.3: attach a photo or document to an item (type by magic bytes, size, SHA-256)."""
    item = item_in_force(letter, item_code)
    _require_record(actor, letter, item)
    checked = check_upload(upload)
    with _files_atomic():
        state = _state_for(letter, item.code)
        ev = _store(actor, state, upload, checked, public=public, caption=caption)
        if ev.public:
            ItemState.objects.filter(pk=state.pk).update(public_version=F("public_version") + 1)
    return ev


def may_retract(actor, ev: Evidence) -> bool:
    village = ev.village
    return ev.uploaded_by_id == getattr(actor, "pk", None) or has_perm(
        actor, "supervision.retract", village
    )


def evidence_retract(*, actor, evidence: Evidence, reason: str) -> Evidence:
    """Published evidence is never deleted: it is retracted, with the reason on record."""
    require(actor, "supervision.view", evidence.village)
    if not may_retract(actor, evidence):
        raise PermissionDenied(_("You may not retract this evidence."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for retracting the evidence."), code="reason")
    with transaction.atomic():
        ev = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if ev.retracted_at is not None:
            raise ConflictError(_("This evidence is already retracted."), code="retracted")
        ev.retracted_at = timezone.now()
        ev.retracted_by = actor
        ev.retract_reason = reason
        ev.save(update_fields=["retracted_at", "retracted_by", "retract_reason"])
        if ev.public:
            ItemState.objects.filter(pk=ev.state_id).update(public_version=F("public_version") + 1)
        audit.record(actor, "evidence.retract", ev, changes={"reason": reason})
    return ev


def evidence_delete(*, actor, evidence: Evidence) -> None:
    """An uploader may delete their own evidence only while it was never public."""
    require(actor, "supervision.view", evidence.village)
    if evidence.uploaded_by_id != getattr(actor, "pk", None) and not actor.is_superuser:
        raise PermissionDenied(_("Only the uploader may delete unpublished evidence."))
    if evidence.public:
        raise ServiceError(
            _("Published evidence cannot be deleted; retract it with a reason instead."),
            code="published",
        )
    if Adjustment.objects.filter(evidence=evidence).exists():
        raise ServiceError(_("This evidence supports an adjustment request."), code="in_use")
    with transaction.atomic():
        audit.record(actor, "evidence.delete", evidence, changes={"sha256": evidence.sha256})
        name = evidence.file.name
        evidence.delete()
    transaction.on_commit(lambda: evidence.file.storage.delete(name))


# --- Progress -----------------------------------------------------------------------------------


def progress_record(
    *,
    actor,
    letter: Letter,
    item_code: str,
    status: str,
    percent: int | None = None,
    measured: str = "",
    note: str = "",
    public: bool = False,
    files=(),
    files_public: bool | None = None,
    version: int | None = None,
) -> Progress:
    """§五.3: the responsible cadre reports an item's status, percentage, measured value and
    notes, with photos or documents. ``public`` puts the report on the bulletin; the files
    follow it unless ``files_public`` says otherwise. ``version`` (the item state's) guards
    against overwriting a report made meanwhile."""
    item = item_in_force(letter, item_code)
    _require_record(actor, letter, item)
    percent, problems = rules.check_progress(status, percent)
    _refuse(problems)
    measured = (measured or "").strip()
    if len(measured) > 100:
        raise ServiceError(_("The measured value is too long."), code="measured")
    files = [f for f in files if f]
    checked = [check_upload(f) for f in files]
    files_public = public if files_public is None else files_public
    with _files_atomic():
        state = _state_for(letter, item.code)
        if version is not None and state.version != version:
            raise ConflictError(_("Someone reported on this item meanwhile: reload and try again."))
        before = state.status
        report = Progress.objects.create(
            state=state,
            item=item,
            status=status,
            percent=percent,
            measured=measured,
            note=(note or "").strip(),
            public=bool(public),
            recorded_by=actor,
        )
        now = timezone.now()
        state.status, state.percent, state.measured, state.updated_at = (
            status,
            percent,
            measured,
            now,
        )
        fields = ["status", "percent", "measured", "updated_at", "version"]
        if public:
            state.public_status = status
            state.public_percent = percent
            state.public_measured = measured
            state.public_note = report.note
            state.public_at = now
            fields += ["public_status", "public_percent", "public_measured", "public_note"]
            fields += ["public_at"]
        state.version += 1
        stored = [
            _store(actor, state, f, c, public=files_public, progress=report)
            for f, c in zip(files, checked, strict=True)
        ]
        if public or (files_public and stored):
            state.public_version += 1
            fields.append("public_version")
        state.save(update_fields=fields)
        if before != status:
            Transition.record(actor, state, "supervision.itemstate", before, "report", status)
        audit.record(
            actor,
            "progress.record",
            report,
            unit=letter.village,
            changes={
                "letter": letter.pk,
                "item": item.code,
                "status": [before, status],
                "percent": percent,
                "public": bool(public),
                "evidence": [e.sha256 for e in stored],
            },
        )
    return report


# --- Inspections and rectifications -------------------------------------------------------------


def inspection_record(
    *,
    actor,
    village: Unit,
    kind: str,
    day: date,
    inspectors: str,
    summary: str = "",
    findings=(),
) -> Inspection:
    """§五.3 督查: the township records an inspection of a village with its findings per item;
    a finding with ``rectify_by`` requests a rectification (整改) by that date.

    ``findings``: dicts with ``letter`` (Letter or id), ``item_code``, ``text``, ``rectify_by``.
    """
    require(actor, "supervision.inspect", village)
    if kind not in dict(Inspection.KINDS):
        raise ServiceError(_("Choose scheduled or unannounced."), code="kind")
    if not isinstance(day, date):
        raise ServiceError(_("Enter the date of the inspection."), code="date")
    if day > timezone.localdate():
        raise ServiceError(_("An inspection cannot be recorded before it happens."), code="date")
    inspectors = (inspectors or "").strip()
    if not inspectors:
        raise ServiceError(_("Name the inspectors."), code="inspectors")
    planned = []
    for n, f in enumerate(findings, start=1):
        letter = f.get("letter")
        if not isinstance(letter, Letter):
            letter = Letter.objects.filter(pk=letter, village=village).first()
        if letter is None or letter.village_id != village.pk:
            raise ServiceError(
                _("Finding %(n)s: choose a letter of this village.") % {"n": n}, code="letter"
            )
        item = item_in_force(letter, f.get("item_code", ""))
        text = (f.get("text") or "").strip()
        if not text:
            raise ServiceError(_("Finding %(n)s: describe the finding.") % {"n": n}, code="text")
        rectify_by = f.get("rectify_by") or None
        if rectify_by is not None and rectify_by < day:
            raise ServiceError(
                _("Finding %(n)s: the rectification deadline is before the inspection.") % {"n": n},
                code="rectify_by",
            )
        planned.append((letter, item, text, rectify_by))
    with transaction.atomic():
        insp = Inspection.objects.create(
            village=village,
            kind=kind,
            date=day,
            inspectors=inspectors,
            summary=(summary or "").strip(),
            created_by=actor,
        )
        for letter, item, text, rectify_by in planned:
            state = _state_for(letter, item.code)
            row = InspectionFinding.objects.create(
                inspection=insp,
                state_row=state,
                village=village,
                text=text,
                rectify_by=rectify_by,
                state=rules.RECT_OPEN if rectify_by else rules.RECT_NONE,
            )
            Transition.record(actor, row, "supervision.finding", "", "record", row.state)
        audit.record(
            actor,
            "inspection.record",
            insp,
            changes={"kind": kind, "date": day, "findings": len(planned)},
        )
    return insp


def _finding_step(actor, finding, action, expected_version, **updates):
    with transaction.atomic():
        row = InspectionFinding.objects.select_for_update().get(pk=finding.pk)
        if expected_version is not None and row.version != expected_version:
            raise ConflictError(_("The rectification changed meanwhile: reload and try again."))
        to = rules.rect_next(row.state, action)
        if to is None:
            raise ServiceError(
                _("This rectification cannot be %(action)s now (it is %(state)s).")
                % {"action": action, "state": row.state_label},
                code="state",
            )
        before = row.state
        for k, v in updates.items():
            setattr(row, k, v)
        row.state = to
        row.version += 1
        row.save()
        Transition.record(
            actor, row, "supervision.finding", before, action, to, updates.get("note", "")
        )
        audit.record(actor, f"rectification.{action}", row, changes={"state": [before, to]})
    return row


def rectification_respond(*, actor, finding: InspectionFinding, response: str, version=None):
    """The village answers a rectification request: what it did."""
    require(actor, "supervision.respond", finding.village)
    response = (response or "").strip()
    if not response:
        raise ServiceError(_("Say what the village did to rectify."), code="response")
    return _finding_step(
        actor,
        finding,
        "respond",
        version,
        response=response,
        responded_by=actor,
        responded_at=timezone.now(),
    )


def rectification_signoff(
    *, actor, finding: InspectionFinding, accept: bool, note: str = "", version=None
):
    """The township signs the rectification off, or sends it back with reasons."""
    require(actor, "supervision.inspect", finding.village)
    note = (note or "").strip()
    if not accept and not note:
        raise ServiceError(_("Say why the rectification is not accepted."), code="note")
    return _finding_step(
        actor,
        finding,
        "accept" if accept else "reject",
        version,
        signoff_note=note,
        signed_off_by=actor,
        signed_off_at=timezone.now(),
    )


# --- Adjustment for objective reasons -----------------------------------------------------------


def adjustment_request(
    *,
    actor,
    letter: Letter,
    item_code: str,
    reason: str,
    new_text: str = "",
    new_target: str = "",
    new_deadline: date | None = None,
    upload=None,
) -> Adjustment:
    """§五.3: the village asks to adjust an item for an objective reason, with evidence."""
    item = item_in_force(letter, item_code)
    require(actor, "supervision.adjust_request", letter.village)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the objective reason for the adjustment."), code="reason")
    new_text, new_target = (new_text or "").strip(), (new_target or "").strip()[:200]
    if not (new_text or new_target or new_deadline):
        raise ServiceError(
            _("Propose the adjusted pledge, target or deadline."), code="nothing_changed"
        )
    signed = signed_in_force(letter)
    if new_deadline is not None and new_deadline < timezone.localdate(signed.signed_at):
        raise ServiceError(_("The new deadline is before the letter was signed."), code="deadline")
    checked = check_upload(upload) if upload else None
    with _files_atomic():
        state = _state_for(letter, item.code)
        if Adjustment.objects.filter(state_row=state, state=rules.ADJ_REQUESTED).exists():
            raise ConflictError(
                _("An adjustment of this item is already awaiting the township."),
                code="pending",
            )
        ev = _store(actor, state, upload, checked, public=False) if checked else None
        adj = Adjustment.objects.create(
            state_row=state,
            village=letter.village,
            reason=reason,
            new_text=new_text,
            new_target=new_target,
            new_deadline=new_deadline,
            evidence=ev,
            requested_by=actor,
        )
        Transition.record(actor, adj, "supervision.adjustment", "", "request", adj.state)
        audit.record(
            actor,
            "adjustment.request",
            adj,
            changes={"item": item.code, "reason": reason, "deadline": new_deadline},
        )
    return adj


def adjustment_decide(*, actor, adjustment: Adjustment, approve: bool, note: str = ""):
    """The township party committee approves or rejects an adjustment request.

    Approved, the adjusted pledge, target and deadline are in force for the item (status
    "adjusted for objective reasons"), shown on the bulletin with the reason, and the letter's
    new version — opened for the change, or the one already open for editing — carries the
    adjusted item (see :func:`_version_with_adjustment`). All in one transaction: when any part
    is refused, nothing is saved, not even the decision.
    """
    require(actor, "supervision.decide", adjustment.village)
    note = (note or "").strip()
    if not approve and not note:
        raise ServiceError(_("Say why the adjustment is rejected."), code="note")
    with transaction.atomic():
        adj = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
        to = rules.adj_next(adj.state, "approve" if approve else "reject")
        if to is None:
            raise ConflictError(_("This request has already been decided."), code="decided")
        before = adj.state
        adj.state, adj.decided_by, adj.decided_at, adj.decision_note = (
            to,
            actor,
            timezone.now(),
            note,
        )
        adj.save()
        if approve:
            state = ItemState.objects.select_for_update().get(pk=adj.state_row_id)
            old_status = state.status
            state.adjusted_text = adj.new_text
            state.adjusted_target = adj.new_target
            state.adjusted_deadline = adj.new_deadline
            state.adjusted_reason = adj.reason
            state.adjusted_at = adj.decided_at
            state.status = rules.ADJUSTED
            state.public_version += 1
            state.version += 1
            state.save()
            if old_status != rules.ADJUSTED:
                Transition.record(
                    actor, state, "supervision.itemstate", old_status, "adjust", state.status
                )
            adj.new_version = _version_with_adjustment(actor, state, adj)
            adj.save(update_fields=["new_version"])
        Transition.record(actor, adj, "supervision.adjustment", before, "decide", to, note)
        audit.record(
            actor, f"adjustment.{to}", adj, changes={"note": note, "new_version": adj.new_version}
        )
    return adj


def _version_with_adjustment(actor, state: ItemState, adj: Adjustment) -> int:
    """Inside the decision's transaction: the letter version that carries the approved item.

    A signed letter changes only by a new version through approval, vote and signing again
    (DOMAIN.md). With no change under way the approval opens that version through the signing
    step's ``letter_amend``, with the reason; when a version is already open for editing the
    adjusted item goes into it; a version already in the approval workflow cannot take it
    (ConflictError: the township returns it first, or decides later). The item is written
    through ``pledges.services.item_update`` — the rest of the letter is unchanged — by the
    deciding official when they may edit the letter, otherwise by the system account, with an
    audit row naming the adjustment and the official who approved it.
    """
    from jiannuo.core.system import system_user
    from jiannuo.pledges import rules as pledge_rules
    from jiannuo.pledges import services as pledge_services
    from jiannuo.pledges.models import LetterVersion
    from jiannuo.signing import services as signing_services

    letter = Letter.objects.select_related("village", "post__person").get(pk=state.letter_id)
    code = state.item_code
    signed = signed_in_force(letter)
    if letter.current_number == signed.version.number:
        version = signing_services.letter_amend(
            actor=actor,
            letter=letter,
            reasons=_("Adjustment of item %(code)s for objective reasons: %(reason)s")
            % {"code": code, "reason": adj.reason},
        )
    elif letter.state in pledge_rules.EDITABLE_STATES:
        version = LetterVersion.objects.get(letter=letter, number=letter.current_number)
    else:
        raise ConflictError(
            _(
                "A new version %(n)s of this letter is already in its approval workflow: it can "
                "take the adjusted item only when it is returned for editing."
            )
            % {"n": letter.current_number},
            code="change_under_way",
        )
    item = (
        PledgeItem.objects.filter(letter_version=version, code=code)
        .prefetch_related("answers_hot_issues", "answers_tasks", "breaks_down")
        .first()
    )
    if item is None:
        raise ConflictError(
            _("Version %(n)s of the letter no longer has item %(code)s.")
            % {"n": version.number, "code": code},
            code="item",
        )
    letter = Letter.objects.select_related("village", "post__person").get(pk=letter.pk)
    editor = actor if pledge_services.can_edit(actor, letter) else system_user()
    before = {"text": item.text, "target": item.target, "deadline": item.deadline}
    item = pledge_services.item_update(
        actor=editor,
        item=item,
        version=letter.version,
        category=item.category,
        text=adj.new_text or item.text,
        target=adj.new_target or item.target,
        deadline=adj.new_deadline or item.deadline,
        responsible_post_id=item.responsible_post_id,
        hot_issue_ids=[x.pk for x in item.answers_hot_issues.all()],
        task_ids=[x.pk for x in item.answers_tasks.all()],
        breaks_down_ids=[x.pk for x in item.breaks_down.all()],
    )
    audit.record(
        editor,
        "adjustment.apply_to_letter",
        item,
        unit=letter.village,
        changes={
            "adjustment": adj.pk,
            "approved_by": audit.actor_label(actor),
            "approved_by_id": actor.pk,
            "edited_by_system": editor.pk != actor.pk,
            "letter": letter.pk,
            "version": version.number,
            "item": code,
            "reason": adj.reason,
            **audit.diff(
                before, {"text": item.text, "target": item.target, "deadline": item.deadline}
            ),
        },
    )
    return version.number


# --- Reminders and the daily digest -------------------------------------------------------------


def email_configured() -> bool:
    """E-mail goes out only when the server's settings name an e-mail host."""
    return bool(settings.is_overridden("EMAIL_HOST") and settings.EMAIL_HOST)


def digest_build(*, day: date | None = None, users=None) -> list[Digest]:
    """One digest per user with supervision reminders on ``day`` (in-app), e-mailed when the
    server has an e-mail host and the user an address. Re-running on the same day replaces
    the day's digest rather than adding a second one."""
    from django.contrib.auth import get_user_model

    from .todo import supervision_items

    day = day or timezone.localdate()
    users = users if users is not None else get_user_model().objects.filter(is_active=True)
    made = []
    for user in users:
        entries = [
            {"title": str(t.title), "detail": str(t.detail), "url": t.url, "urgent": t.urgent}
            for t in supervision_items(user, today=day)
        ]
        if not entries:
            continue
        with transaction.atomic():
            digest, _created = Digest.objects.update_or_create(
                user=user, day=day, defaults={"entries": entries}
            )
            audit.record(None, "digest.build", digest, changes={"entries": len(entries)})
        if email_configured() and user.email and not digest.emailed:
            body = "\n".join(f"- {e['title']} {e['detail']}" for e in entries)
            send_mail(
                _("Jiannuo: your supervision reminders for %(day)s") % {"day": day},
                body,
                None,
                [user.email],
                fail_silently=True,
            )
            Digest.objects.filter(pk=digest.pk).update(emailed=True)
        made.append(digest)
    return made
