"""Writes of the signing step (§三.4–5): the ceremony, check-in, the vote, signatures, the
scanned original, the custody receipts, and changes after signing.

Every function checks permission and state, runs in one transaction and writes audit rows;
ceremony state changes write a ``Transition`` row. The signature rules are ``signing.rules``.

Changes after signing (issue #4.7; DOMAIN.md "a signed letter is immutable: any change is a new
version that goes through approval and signing again"):

- ``letter_amend(actor=, letter=, reasons=)`` starts the change of a signed letter in force: a
  new version opens with the signed content copied, in the pledges state ``returned`` (editable,
  then joint meeting, consultation, township approval — the pledges workflow), and the reason is
  kept on the signed letter. The signed version stays in force meanwhile.
- The new version is put to the vote at a ceremony and signed like any letter (``vote_record``,
  ``sign``). When its last signature is in, every earlier signed version of the letter gets
  ``superseded_at`` and ``superseded_by``: the bulletin shows the new version in force and keeps
  the old one in its history, and the old one's verification page says it was replaced.
- ``signed_letter_supersede(actor=, new=)`` is that last step as a service, for other steps
  whose own workflow produces and signs a new version (e.g. supervision's adjustments for
  objective reasons, §五.3): given a fully signed ``SignedLetter``, it marks the earlier
  signed versions of the same letter as superseded by it. Idempotent; permission
  ``signing.amend``; it refuses a ``new`` that is not fully signed or not the latest version.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core import audit, uploads
from jiannuo.core import roles as core_roles
from jiannuo.core.errors import ServiceError, Throttled, check_version
from jiannuo.core.models import Transition
from jiannuo.core.permissions import has_perm, require, roles_at
from jiannuo.core.uploads import sniff
from jiannuo.organisation.models import Person, Post, Term, Unit
from jiannuo.pledges import rules as pledge_rules
from jiannuo.pledges.models import Letter, LetterVersion

from . import rules, selectors
from .models import Attendance, Ceremony, Custody, LetterVote, Scan, Signature, SignedLetter

#: Representatives who sign a secretary's or member's letter for Party A, per group.
PARTY_REP_COUNT = 1
VILLAGER_REP_COUNT = 1
#: The scanned paper original: at most this many bytes, of these types (by magic bytes).
#: Key standing for the township deputy secretary (a township account, not a village person).
DEPUTY_KEY = "township_deputy"

#: The ceremony workflow as data: (state, action) → next state.
CEREMONY_TRANSITIONS = {
    (Ceremony.SCHEDULED, "hold"): Ceremony.HELD,
    (Ceremony.HELD, "close"): Ceremony.CLOSED,
}


# --- Ceremony --------------------------------------------------------------------------------


def approved_letters(village: Unit, term: Term, year: int | None):
    return Letter.objects.filter(village=village, term=term, year=year, state=pledge_rules.APPROVED)


def ceremony_schedule(
    *, actor, village: Unit, term: Term, year: int | None, scheduled_at, place: str, notes=""
) -> Ceremony:
    """§三.4: the branch secretary schedules the signing ceremony of approved letters."""
    require(actor, "signing.run", village)
    place = (place or "").strip()
    if not place:
        raise ServiceError(_("Give the place of the ceremony."), code="place")
    if scheduled_at is None:
        raise ServiceError(_("Give the date and time of the ceremony."), code="scheduled_at")
    if not approved_letters(village, term, year).exists():
        raise ServiceError(
            _("This village has no letters approved by the township to sign."),
            code="no_approved_letters",
        )
    with transaction.atomic():
        ceremony = Ceremony.objects.create(
            village=village,
            term=term,
            year=year,
            scheduled_at=scheduled_at,
            place=place,
            notes=notes or "",
            checkin_code=secrets.token_urlsafe(12),
            created_by=actor,
        )
        Transition.record(actor, ceremony, "signing.ceremony", "", "schedule", Ceremony.SCHEDULED)
        audit.record(
            actor,
            "ceremony.schedule",
            ceremony,
            changes={"scheduled_at": scheduled_at, "place": place, "year": year},
        )
    return ceremony


def _ceremony_step(*, actor, ceremony: Ceremony, action: str, note="") -> Ceremony:
    require(actor, "signing.run", ceremony.village)
    with transaction.atomic():
        row = Ceremony.objects.select_for_update().get(pk=ceremony.pk)
        to_state = CEREMONY_TRANSITIONS.get((row.state, action))
        if to_state is None:
            raise ServiceError(
                _("This ceremony is “%(state)s”: that step is not possible now.")
                % {"state": row.state_label},
                code="out_of_order",
            )
        from_state = row.state
        row.state = to_state
        now = timezone.now()
        if to_state == Ceremony.HELD:
            row.held_at = now
        if to_state == Ceremony.CLOSED:
            row.closed_at = now
        row.version += 1
        row.save()
        Transition.record(actor, row, "signing.ceremony", from_state, action, to_state, note)
        audit.record(actor, f"ceremony.{action}", row, changes={"state": [from_state, to_state]})
    return row


def ceremony_hold(*, actor, ceremony: Ceremony) -> Ceremony:
    """§三.4: the ceremony opens: check-in, reading, discussion, vote and signing follow."""
    return _ceremony_step(actor=actor, ceremony=ceremony, action="hold")


def ceremony_close(*, actor, ceremony: Ceremony) -> Ceremony:
    return _ceremony_step(actor=actor, ceremony=ceremony, action="close")


def ceremony_notes(*, actor, ceremony: Ceremony, notes: str, version: int) -> Ceremony:
    """§三.4: the notes of the reading (宣读) and the discussion (讨论)."""
    require(actor, "signing.run", ceremony.village)
    with transaction.atomic():
        row = Ceremony.objects.select_for_update().get(pk=ceremony.pk)
        check_version(row.version, version, _("Someone else changed this ceremony; reload."))
        if row.state == Ceremony.CLOSED:
            raise ServiceError(_("This ceremony is closed."), code="closed")
        before = row.notes
        row.notes = notes or ""
        row.version += 1
        row.save(update_fields=["notes", "version"])
        audit.record(actor, "ceremony.notes", row, changes={"notes": [before, row.notes]})
    return row


# --- Attendance ------------------------------------------------------------------------------


def invitees(village: Unit, day=None):
    """Party members and villager representatives of the village on ``day`` (§三.4)."""
    day = day or timezone.localdate()
    return (
        Person.objects.filter(
            posts__village=village,
            posts__kind__in=[Post.PARTY_MEMBER, Post.REPRESENTATIVE],
            posts__start__lte=day,
        )
        .filter(Q(posts__end__isnull=True) | Q(posts__end__gte=day))
        .distinct()
        .order_by("name", "id")
    )


def _checkin(actor, ceremony: Ceremony, person: Person, via: str) -> Attendance:
    with transaction.atomic():
        row = Ceremony.objects.select_for_update().get(pk=ceremony.pk)
        if row.state == Ceremony.CLOSED:
            raise ServiceError(_("This ceremony is closed."), code="closed")
        day = timezone.localdate(row.scheduled_at)
        if not invitees(row.village, day).filter(pk=person.pk).exists():
            raise ServiceError(
                _("%(name)s is not a party member or villager representative of this village.")
                % {"name": person.name},
                code="not_invited",
            )
        if Attendance.objects.filter(ceremony=row, person=person).exists():
            raise ServiceError(
                _("%(name)s has already checked in.") % {"name": person.name}, code="duplicate"
            )
        att = Attendance.objects.create(ceremony=row, person=person, via=via)
        audit.record(
            actor,
            "attendance.checkin",
            att,
            unit=row.village,
            changes={"ceremony": row.pk, "person": person.pk, "via": via},
        )
    return att


def attendance_checkin(*, actor, ceremony: Ceremony, person: Person) -> Attendance:
    """§三.4: the branch enters an attendee from the paper sign-in sheet."""
    require(actor, "signing.run", ceremony.village)
    return _checkin(actor, ceremony, person, Attendance.PAPER)


# Public QR check-in throttles (§三.4; issue #12.4: 9,318 guesses of four phone digits in 54 s).
# Failures are counted in the cache for CHECKIN_LOCK_SECONDS: a name at one ceremony is locked
# after a few, one client after a few more, and the ceremony's QR check-in after many (the
# branch then checks people in from the paper sign-in sheet, which is never throttled).
CHECKIN_FAILURES_PER_NAME = 5
CHECKIN_FAILURES_PER_CLIENT = 10
CHECKIN_FAILURES_PER_CODE = 50
CHECKIN_LOCK_SECONDS = 30 * 60
CHECKIN_MIN_PHONE_DIGITS = 7


def _digits(text: str) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def _checkin_keys(code: str, name: str, client: str) -> dict:
    h = lambda *parts: hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]  # noqa: E731
    return {
        "name": "checkin:fail:name:" + h(code, name),
        "client": "checkin:fail:client:" + h(client),
        "code": "checkin:fail:code:" + h(code),
    }


def _checkin_throttle(keys: dict) -> None:
    counts = cache.get_many(list(keys.values()))
    limits = {
        "name": (
            CHECKIN_FAILURES_PER_NAME,
            _(
                "Too many wrong attempts for this name. Ask the village branch to check you in "
                "on the paper sign-in sheet."
            ),
        ),
        "client": (
            CHECKIN_FAILURES_PER_CLIENT,
            _("Too many wrong attempts from this device. Try again in 30 minutes."),
        ),
        "code": (
            CHECKIN_FAILURES_PER_CODE,
            _(
                "Check-in by QR code is paused after too many wrong attempts. Ask the village "
                "branch to check you in on the paper sign-in sheet."
            ),
        ),
    }
    for what, (limit, message) in limits.items():
        if what in keys and counts.get(keys[what], 0) >= limit:
            raise Throttled(message)


def _checkin_failed(keys: dict) -> None:
    for key in keys.values():
        if cache.add(key, 1, CHECKIN_LOCK_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.add(key, 1, CHECKIN_LOCK_SECONDS)


def attendance_checkin_qr(
    *, checkin_code: str, name: str, phone: str, client: str = ""
) -> Attendance:
    """§三.4: an invitee checks in by QR code with name and full phone number.

    Public (no log-in): the check-in code is the credential and the phone number, as on the
    roster, the second factor (the last 4 digits were guessed in under a minute). A wrong
    name/phone is refused without saying which part was wrong; failures are throttled per name,
    per client address and per ceremony before anything is looked up.
    """
    checkin_code = str(checkin_code or "")[:64]
    name = (name or "").strip()[:80]
    digits = _digits(phone)
    ceremony = Ceremony.objects.select_related("village").filter(checkin_code=checkin_code).first()
    keys = _checkin_keys(checkin_code, name, client or "")
    if ceremony is None:
        keys = {"client": keys["client"]}  # an unknown code counts against the client only
    _checkin_throttle(keys)
    if ceremony is None:
        _checkin_failed(keys)
        raise ServiceError(_("This check-in code is unknown."), code="unknown_code")
    if not name or len(digits) < CHECKIN_MIN_PHONE_DIGITS:
        raise ServiceError(
            _("Enter your name and your full phone number as given to the village."),
            code="identify",
        )
    day = timezone.localdate(ceremony.scheduled_at)
    people = [
        p
        for p in invitees(ceremony.village, day).filter(name=name)
        if p.phone and _digits(p.phone) == digits
    ]
    if len(people) != 1:
        _checkin_failed(keys)
        raise ServiceError(
            _("No invited party member or villager representative matches this name and phone."),
            code="no_match",
        )
    return _checkin(None, ceremony, people[0], Attendance.QR)


# --- Vote ------------------------------------------------------------------------------------


def _ceremony_letter(ceremony: Ceremony, letter: Letter) -> None:
    if (letter.village_id, letter.term_id, letter.year) != (
        ceremony.village_id,
        ceremony.term_id,
        ceremony.year,
    ):
        raise ServiceError(_("This letter is not one of this ceremony's."), code="other_letter")


def vote_record(
    *, actor, ceremony: Ceremony, letter: Letter, for_: int, against: int, abstain: int
) -> LetterVote:
    """§三.4: the vote of those present on one letter; ``present`` is the attendance count.

    A failed vote sends the letter back: the approved version is kept as it was (with the
    vote) and a new version with the same content opens in the pledges state ``returned``,
    which goes through the joint meeting again (pledges rules).
    """
    require(actor, "signing.run", ceremony.village)
    _ceremony_letter(ceremony, letter)
    try:
        counts = [int(for_), int(against), int(abstain)]
    except (TypeError, ValueError):
        raise ServiceError(_("The counts must be whole numbers."), code="counts") from None
    from jiannuo.pledges import services as pledge_services

    with transaction.atomic():
        row = Ceremony.objects.select_for_update().get(pk=ceremony.pk)
        if row.state != Ceremony.HELD:
            raise ServiceError(
                _("Votes are recorded while the ceremony is being held."), code="not_held"
            )
        letter = Letter.objects.select_for_update(of=("self",)).get(pk=letter.pk)
        if letter.state != pledge_rules.APPROVED:
            raise ServiceError(
                _("Only a letter approved by the township is put to the vote."),
                code="not_approved",
            )
        current = LetterVersion.objects.get(letter=letter, number=letter.current_number)
        if LetterVote.objects.filter(letter_version=current, passed=True).exists():
            raise ServiceError(_("This letter has already passed the vote."), code="voted")
        present = row.attendances.count()
        findings = rules.check_vote(*counts, present)
        blocking = [f for f in findings if f.blocking]
        if blocking:
            raise ServiceError(
                blocking[0].message % blocking[0].facts,
                code=blocking[0].rule,
                details=[{"rule": f.rule, "message": str(f.message % f.facts)} for f in blocking],
            )
        # The vote rule (§三.4 表决通过) is the district setting in force for the year.
        from jiannuo.organisation.policy import policy_for

        vote_rule = policy_for(
            row.village, row.year or timezone.localtime(row.scheduled_at).year
        ).ceremony_vote_rule
        passed = rules.vote_passes(*counts, present, rule=vote_rule)
        vote = LetterVote.objects.create(
            ceremony=row,
            letter_version=current,
            votes_for=counts[0],
            against=counts[1],
            abstain=counts[2],
            present=present,
            passed=passed,
            rule=vote_rule,
            recorded_by=actor,
        )
        audit.record(
            actor,
            "vote.record",
            vote,
            unit=row.village,
            changes={
                "letter": letter.pk,
                "version": current.number,
                "for": counts[0],
                "against": counts[1],
                "abstain": counts[2],
                "present": present,
                "passed": passed,
            },
        )
        if not passed:
            note = _("The ceremony vote did not pass (%(for)s of %(present)s present).") % {
                "for": counts[0],
                "present": present,
            }
            Transition.record(
                actor,
                current,
                "pledges.letterversion",
                pledge_rules.APPROVED,
                "ceremony_vote_failed",
                pledge_rules.RETURNED,
                note,
            )
            pledge_services.letter_reopen(letter, current)
            audit.record(
                actor,
                "letter.ceremony_vote_failed",
                letter,
                changes={
                    "version": current.number,
                    "state": [pledge_rules.APPROVED, pledge_rules.RETURNED],
                },
            )
    return vote


# --- Signatures ------------------------------------------------------------------------------


def _holder(village: Unit, kind: str, day):
    post = (
        Post.objects.filter(village=village, kind=kind, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .order_by("-start")
        .first()
    )
    return post.person_id if post else None


def required_for(letter: Letter) -> tuple[rules.Signatory, ...]:
    """§三.4: the signatures ``letter`` needs, from the rosters."""
    if letter.kind == Letter.TEAM:
        day = timezone.localdate()
        secretary = _holder(letter.village, Post.BRANCH_SECRETARY, day)
        director = _holder(letter.village, Post.COMMITTEE_DIRECTOR, day)
        if secretary is None or director is None:
            raise ServiceError(
                _("The village has no branch secretary or committee director on its roster."),
                code="roster",
            )
        return rules.required_signatories(
            "team",
            township_deputy_secretary=DEPUTY_KEY,
            branch_secretary=secretary,
            committee_director=director,
        )
    return rules.required_signatories(
        letter.kind,
        cadre=letter.post.person_id,
        party_rep_count=PARTY_REP_COUNT,
        villager_rep_count=VILLAGER_REP_COUNT,
    )


def _given(signed: SignedLetter | None) -> list[rules.Signature]:
    if signed is None:
        return []
    return [
        rules.Signature(s.person_id if s.person_id else DEPUTY_KEY, s.role)
        for s in signed.signatures.all()
    ]


_REP_POST = {rules.PARTY_MEMBER_REP: Post.PARTY_MEMBER, rules.VILLAGER_REP: Post.REPRESENTATIVE}


def _signer(actor, letter: Letter, role: str, person: Person | None, ceremony: Ceremony | None):
    """Who signs: (key for the rules, Person or None, name). Refuses an actor not entitled.

    The system account (demo loader, imports of paper signatures) records a signature on
    behalf of the named person it is given; ``may_sign`` still checks that person.
    """
    if getattr(actor, "is_superuser", False) and role not in _REP_POST:
        if role == rules.TOWNSHIP_DEPUTY_SECRETARY:
            return DEPUTY_KEY, None, actor.get_full_name() or actor.get_username()
        if person is None:
            raise ServiceError(_("Choose the person who signs."), code="person")
        return person.pk, person, person.name
    if role == rules.TOWNSHIP_DEPUTY_SECRETARY:
        if core_roles.TOWNSHIP_DEPUTY not in roles_at(actor, letter.village):
            raise PermissionDenied(
                _("Only the township party committee's deputy secretary signs for Party A.")
            )
        name = actor.get_full_name() or actor.get_username()
        return DEPUTY_KEY, None, name
    own = Person.objects.filter(user=actor).first() if getattr(actor, "pk", None) else None
    if role in _REP_POST:
        if person is None:
            person = own
        if person is None:
            raise ServiceError(_("Choose the representative who signs."), code="person")
        if person != own:
            # A representative without an account signs on paper; the branch records it.
            require(actor, "signing.run", letter.village)
        if ceremony is None or not ceremony.attendances.filter(person=person).exists():
            raise ServiceError(
                _("%(name)s did not check in at the ceremony.") % {"name": person.name},
                code="not_present",
            )
        if not person.posts.filter(village=letter.village, kind=_REP_POST[role]).exists():
            raise ServiceError(
                _("%(name)s is not a %(role)s of this village.")
                % {"name": person.name, "role": role},
                code="not_representative",
            )
        return person.pk, person, person.name
    # Named cadre posts: the cadre signs in person, with their own account.
    if own is None:
        raise PermissionDenied(_("Sign with your own account."))
    return own.pk, own, own.name


def sign(
    *,
    actor,
    version: LetterVersion,
    role: str,
    content_hash: str,
    person: Person | None = None,
    consent_publication: bool = False,
) -> Signature:
    """§三.4: one signature on an approved, voted letter version, bound to its content hash.

    The first signature creates the ``SignedLetter``. When no signature is missing the letter
    is signed: ``signed_at`` is set and the originals are numbered for custody (§三.5); when
    every Party B cadre consented, ``published_at`` is set too.
    """
    letter = version.letter
    require(actor, "signing.view", letter.village)
    with transaction.atomic():
        letter = Letter.objects.select_for_update(of=("self",)).get(pk=letter.pk)
        version = LetterVersion.objects.get(pk=version.pk)
        if letter.state != pledge_rules.APPROVED or version.state != pledge_rules.APPROVED:
            raise ServiceError(
                _("Only a letter approved by the township can be signed."), code="not_approved"
            )
        if version.number != letter.current_number:
            raise ServiceError(
                _("This is not the approved version of the letter."), code="other_version"
            )
        vote = (
            LetterVote.objects.filter(letter_version=version, passed=True)
            .select_related("ceremony")
            .first()
        )
        if vote is None:
            raise ServiceError(
                _("The letter must first pass the vote at the ceremony."), code="not_voted"
            )
        if selectors.content_hash(version.snapshot) != version.content_hash:
            raise ServiceError(
                _("The stored content of this letter does not match its hash; do not sign."),
                code="tampered",
            )
        if (content_hash or "") != version.content_hash:
            raise ServiceError(
                _("You are signing different content than the approved version; reload."),
                code="hash_mismatch",
            )
        key, signer_person, name = _signer(actor, letter, role, person, vote.ceremony)
        signed = SignedLetter.objects.filter(version=version).first()
        if signed is not None and signed.signed_at:
            raise ServiceError(_("This letter is already fully signed."), code="signed")
        required = required_for(letter)
        given = _given(signed)
        finding = rules.may_sign(required, key, role, given=given)
        if finding is not None:
            raise ServiceError(finding.message % finding.facts, code=finding.rule)
        party = next(r.party for r in required if role in r.roles)
        if signed is None:
            signed = SignedLetter.objects.create(
                ceremony=vote.ceremony,
                version=version,
                letter=letter,
                verify_code=secrets.token_urlsafe(12)[:16],
                content_hash=version.content_hash,
            )
            audit.record(actor, "signed_letter.create", signed, changes={"version": version.number})
        sig = Signature.objects.create(
            signed_letter=signed,
            party=party,
            role=role,
            person=signer_person,
            user=actor if role == rules.TOWNSHIP_DEPUTY_SECRETARY else None,
            signer_name=name,
            version_hash=version.content_hash,
            consent_publication=bool(consent_publication) and party == rules.PARTY_B,
            recorded_by=actor,
        )
        audit.record(
            actor,
            "signature.add",
            signed,
            changes={"role": role, "party": party, "signer": name, "hash": version.content_hash},
        )
        given.append(rules.Signature(key, role))
        if not rules.missing_signatures(required, given):
            _complete(actor, signed, letter)
    return sig


def _complete(actor, signed: SignedLetter, letter: Letter) -> None:
    now = timezone.now()
    signed.signed_at = now
    party_b = list(signed.signatures.filter(party=rules.PARTY_B))
    if party_b and all(s.consent_publication for s in party_b):
        signed.published_at = now
    signed.save(update_fields=["signed_at", "published_at"])
    custodians = rules.copies(letter.kind)
    Custody.objects.bulk_create(
        [
            Custody(signed_letter=signed, number=i, total=len(custodians), custodian=c)
            for i, c in enumerate(custodians, start=1)
        ]
    )
    audit.record(
        actor,
        "signed_letter.signed",
        signed,
        changes={"copies": len(custodians), "published": signed.published_at is not None},
    )
    # A later version of a letter signed in full replaces the version signed before (§三.4).
    _supersede(actor, signed)


# --- Originals -------------------------------------------------------------------------------


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _keep_legacy_scan(row: SignedLetter) -> Scan | None:
    """A scan attached before scans were kept as rows: record it, so it is kept too."""
    latest = row.scans.order_by("-pk").first()
    if latest is not None or not row.scan:
        return latest
    try:
        with row.scan.open("rb") as f:
            sha, size = _sha256(f), row.scan.size
    except OSError:
        sha, size = "", 0
    return Scan.objects.create(
        signed_letter=row, file=row.scan.name, content_type=row.scan_type, size=size, sha256=sha
    )


def scan_attach(*, actor, signed_letter: SignedLetter, upload, reason: str = "") -> SignedLetter:
    """§三.5: attach the scan of the signed paper original (PDF, JPEG or PNG). Replacing a
    scan needs a reason; the predecessor is kept (file and row) and the audit row carries the
    new file's SHA-256, the predecessor's and the reason."""
    require(actor, "signing.run", signed_letter.letter.village)
    if signed_letter.signed_at is None:
        raise ServiceError(_("The letter is not fully signed yet."), code="not_signed")
    reason = (reason or "").strip()
    size = getattr(upload, "size", None) or 0
    if size > uploads.max_bytes():
        raise ServiceError(
            _("The file is larger than %(mb)s MB.") % {"mb": uploads.max_mb()},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise ServiceError(_("Upload a PDF, JPEG or PNG file."), code="file_type")
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
    sha = _sha256(upload)
    with transaction.atomic():
        row = SignedLetter.objects.select_for_update().get(pk=signed_letter.pk)
        previous = _keep_legacy_scan(row)
        if previous is not None and not reason:
            raise ServiceError(
                _("This original already has a scan: say why it is replaced."),
                code="reason_required",
            )
        # A new file name: the storage never overwrites, so the predecessor's file is kept.
        row.scan.save(f"{row.verify_code}.{ext}", upload, save=False)
        row.scan_type = content_type
        row.save(update_fields=["scan", "scan_type"])
        scan = Scan.objects.create(
            signed_letter=row,
            file=row.scan.name,
            content_type=content_type,
            size=size,
            sha256=sha,
            reason=reason,
            replaces=previous,
            uploaded_by=actor,
        )
        audit.record(
            actor,
            "signed_letter.scan" if previous is None else "signed_letter.scan_replace",
            row,
            changes={
                "type": content_type,
                "size": size,
                "sha256": sha,
                "scan": scan.pk,
                "replaces_sha256": previous.sha256 if previous else None,
                "reason": reason,
            },
        )
    return row


def may_receipt(actor, copy: Custody) -> bool:
    letter = copy.signed_letter.letter
    if copy.custodian == rules.TOWNSHIP:
        return has_perm(actor, "signing.receipt_township", letter.village)
    if copy.custodian == rules.BRANCH:
        return has_perm(actor, "signing.run", letter.village)
    if getattr(actor, "is_superuser", False):
        return True
    return (
        letter.post_id is not None
        and getattr(actor, "pk", None) is not None
        and letter.post.person.user_id == actor.pk
    )


def custody_receipt(*, actor, copy: Custody) -> Custody:
    """§三.5: the custodian confirms receiving one original; all receipted → archived."""
    copy = Custody.objects.select_related("signed_letter__letter__post__person").get(pk=copy.pk)
    if not may_receipt(actor, copy):
        raise PermissionDenied(_("Only the custodian of this original confirms its receipt."))
    with transaction.atomic():
        row = Custody.objects.select_for_update().get(pk=copy.pk)
        if row.receipt_at is not None:
            raise ServiceError(_("This original's receipt is already recorded."), code="duplicate")
        row.receipt_by = actor
        row.receipt_at = timezone.now()
        row.save(update_fields=["receipt_by", "receipt_at"])
        signed = SignedLetter.objects.select_for_update().get(pk=row.signed_letter_id)
        audit.record(
            actor,
            "custody.receipt",
            signed,
            changes={"number": row.number, "custodian": row.custodian},
        )
        numbers = list(
            Custody.objects.filter(signed_letter=signed, receipt_at__isnull=False).values_list(
                "number", flat=True
            )
        )
        if rules.is_archived(row.total, numbers) and signed.archived_at is None:
            signed.archived_at = timezone.now()
            signed.save(update_fields=["archived_at"])
            audit.record(actor, "signed_letter.archive", signed, changes={})
    return row


# --- Changes after signing (#4.7) ---------------------------------------------------------


def signed_in_force(letter: Letter) -> SignedLetter | None:
    """The signed version of ``letter`` in force (fully signed, not superseded), if any."""
    return (
        SignedLetter.objects.filter(letter=letter, signed_at__isnull=False, superseded_at=None)
        .select_related("version")
        .order_by("-version__number")
        .first()
    )


def letter_amend(*, actor, letter: Letter, reasons: str, version: int | None = None):
    """Start a change of a signed letter: a new version through approval, vote and signing.

    The signed version stays in force (and on the bulletin) until the new one is signed in
    full. Returns the new ``LetterVersion`` (pledges state ``returned``: editable, then back
    through the joint meeting and the township, §三.2–3).
    """
    require(actor, "signing.amend", letter.village)
    reasons = (reasons or "").strip()
    if not reasons:
        raise ServiceError(
            _("Give the reason for changing the signed letter; it is published with the change."),
            code="reasons",
        )
    from jiannuo.pledges import services as pledge_services

    with transaction.atomic():
        row = Letter.objects.select_for_update(of=("self",)).get(pk=letter.pk)
        check_version(row.version, version, _("Someone else changed this letter; reload."))
        current = LetterVersion.objects.get(letter=row, number=row.current_number)
        signed = (
            SignedLetter.objects.select_for_update().filter(version=current).first()
            if row.state == pledge_rules.APPROVED
            else None
        )
        if signed is None or signed.signed_at is None or signed.superseded_at is not None:
            raise ServiceError(
                _(
                    "Only a letter signed in full and in force is changed this way; a letter "
                    "not yet signed is changed through its approval workflow."
                ),
                code="not_signed",
            )
        new = pledge_services.letter_reopen(row, current)
        Transition.record(
            actor,
            current,
            "pledges.letterversion",
            pledge_rules.APPROVED,
            "amend_after_signing",
            pledge_rules.RETURNED,
            reasons,
        )
        signed.change_reason = reasons
        signed.change_started_at = timezone.now()
        signed.save(update_fields=["change_reason", "change_started_at"])
        audit.record(
            actor,
            "letter.amend_after_signing",
            row,
            changes={
                "signed_version": current.number,
                "new_version": new.number,
                "state": [pledge_rules.APPROVED, pledge_rules.RETURNED],
                "reasons": reasons,
            },
        )
    return new


def _supersede(actor, new: SignedLetter) -> list[SignedLetter]:
    """Inside a transaction: the earlier signed versions of ``new.letter`` are superseded."""
    now = timezone.now()
    old_rows = list(
        SignedLetter.objects.select_for_update()
        .filter(
            letter_id=new.letter_id,
            superseded_at__isnull=True,
            version__number__lt=new.version.number,
        )
        .select_related("version")
    )
    for old in old_rows:
        old.superseded_at = now
        old.superseded_by = new
        old.save(update_fields=["superseded_at", "superseded_by"])
        audit.record(
            actor,
            "signed_letter.supersede",
            old,
            changes={
                "version": old.version.number,
                "by_version": new.version.number,
                "reason": old.change_reason,
            },
        )
    return old_rows


def signed_letter_supersede(*, actor, new: SignedLetter) -> list[SignedLetter]:
    """Mark the earlier signed versions of ``new``'s letter as superseded by ``new``.

    For steps that produce and sign a new version by their own workflow (see the module
    docstring). ``new`` must be fully signed and the letter's latest signed version. Returns
    the rows superseded now (empty when there were none: calling twice is harmless).
    """
    require(actor, "signing.amend", new.letter.village)
    with transaction.atomic():
        row = SignedLetter.objects.select_for_update().select_related("version").get(pk=new.pk)
        if row.signed_at is None:
            raise ServiceError(_("The letter is not fully signed yet."), code="not_signed")
        if row.superseded_at is not None or (
            SignedLetter.objects.filter(
                letter_id=row.letter_id,
                signed_at__isnull=False,
                version__number__gt=row.version.number,
            ).exists()
        ):
            raise ServiceError(
                _("A later version of this letter is signed: this one cannot replace it."),
                code="not_latest",
            )
        return _supersede(actor, row)
