"""Signed is signed: every reader of a signed letter checks it against what was signed.

A signed letter (``SignedLetter``) holds the SHA-256 of its version's frozen snapshot at
signing. The board, the poster, the printed originals, the verification page, supervision and
the assessment all read the letter's ``PledgeItem``/``BreachClause`` rows (they carry the
progress, the verdicts and the links), so each of them asks :func:`check` first: the snapshot
must still hash to the signed hash, the version and every signature must still name that hash,
and the rows must still say what the snapshot says. Anything else is *tampering* — a write
that bypassed the services (nothing in the application edits a signed version) — and the
reader shows it as such instead of the content.

What rows are compared: each item's code, category, text, measurable target and deadline, each
clause's code, category, trigger, measure and amount — the words people signed. The
responsible person's name is not compared (a person's name may be corrected in the roster).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiannuo.core.errors import ServiceError

OK, HASH, ROWS = "", "hash", "rows"
ITEM_KEYS = ("category", "text", "target", "deadline")
CLAUSE_KEYS = ("category", "trigger", "measure", "amount")

REASON_LABELS = {
    HASH: _("the stored content no longer matches the hash it was signed with"),
    ROWS: _("the pledges shown no longer match the signed text"),
}


@dataclass(frozen=True)
class Integrity:
    """The outcome of checking one signed letter; ``where`` names the first differing part."""

    ok: bool
    reason: str = OK
    where: str = ""

    @property
    def tampered(self) -> bool:
        return not self.ok

    @property
    def reason_label(self) -> str:
        return str(REASON_LABELS.get(self.reason, ""))


INTACT = Integrity(True)


class Tampered(ServiceError):
    """A signed letter no longer matches what was signed: nothing may use its content."""

    def __init__(self, signed, integrity: Integrity):
        self.signed, self.integrity = signed, integrity
        super().__init__(
            _(
                "The signed letter %(code)s has been tampered with (%(reason)s, %(where)s): "
                "its content is not used until the signed text is restored from the originals."
            )
            % {
                "code": signed.verify_code,
                "reason": integrity.reason_label,
                "where": integrity.where,
            },
            code="tampered",
        )


def item_row(item) -> dict:
    return {
        "category": item.category,
        "text": item.text,
        "target": item.target,
        "deadline": item.deadline.isoformat() if item.deadline else None,
    }


def clause_row(clause) -> dict:
    return {
        "category": clause.category,
        "trigger": clause.trigger,
        "measure": clause.measure,
        "amount": str(clause.amount) if clause.amount is not None else None,
    }


def _compare(signed_rows: list, rows: dict, keys, kind: str) -> str:
    """The first code whose row differs from the snapshot, or ""."""
    wanted = {str(s.get("code")): s for s in signed_rows}
    for code in sorted(set(wanted) | set(rows)):
        if code not in rows or code not in wanted:
            return f"{kind} {code}"
        if any(wanted[code].get(k) != rows[code].get(k) for k in keys):
            return f"{kind} {code}"
    return ""


def check_one(signed, items=None, clauses=None, signatures=None) -> Integrity:
    """Check one signed letter. ``items``/``clauses``/``signatures`` may be passed when the
    caller already loaded them (the board does); otherwise they are read here."""
    from jiannuo.pledges.selectors import content_hash

    version = signed.version
    snap = version.snapshot
    if snap is None or content_hash(snap) != signed.content_hash:
        return Integrity(False, HASH, gettext("snapshot"))
    if version.content_hash != signed.content_hash:
        return Integrity(False, HASH, gettext("version"))
    if signatures is None:
        signatures = signed.signatures.all()
    for sig in signatures:
        if sig.version_hash != signed.content_hash:
            return Integrity(False, HASH, f"{gettext('signature')} {sig.signer_name}")
    if items is None:
        items = version.items.all()
    if clauses is None:
        clauses = version.clauses.all()
    where = _compare(
        snap.get("items", []), {i.code: item_row(i) for i in items}, ITEM_KEYS, gettext("item")
    ) or _compare(
        snap.get("clauses", []),
        {c.code: clause_row(c) for c in clauses},
        CLAUSE_KEYS,
        gettext("clause"),
    )
    return Integrity(False, ROWS, where) if where else INTACT


def check(signed_letters, items=None) -> dict[int, Integrity]:
    """Check many signed letters in a fixed number of queries: {signed.pk: Integrity}.

    ``items`` (optional) are the PledgeItem rows of these letters' versions the caller already
    loaded; clauses and signatures are read here in one query each."""
    from jiannuo.pledges.models import BreachClause, LetterVersion, PledgeItem

    from .models import Signature, SignedLetter

    signed_letters = list(signed_letters)
    if not signed_letters:
        return {}
    versions = [s.version_id for s in signed_letters]
    missing = [s for s in signed_letters if not SignedLetter.version.is_cached(s)]
    if missing:  # one query for the snapshots, not one per letter
        loaded = LetterVersion.objects.only("snapshot", "content_hash").in_bulk(
            [s.version_id for s in missing]
        )
        for s in missing:
            s.version = loaded[s.version_id]
    if items is None:
        items = PledgeItem.objects.filter(letter_version_id__in=versions)
    by_version_items: dict = {}
    for i in items:
        by_version_items.setdefault(i.letter_version_id, []).append(i)
    by_version_clauses: dict = {}
    for c in BreachClause.objects.filter(letter_version_id__in=versions):
        by_version_clauses.setdefault(c.letter_version_id, []).append(c)
    sigs: dict = {}
    for sig in Signature.objects.filter(signed_letter__in=signed_letters).only(
        "signed_letter_id", "version_hash", "signer_name"
    ):
        sigs.setdefault(sig.signed_letter_id, []).append(sig)
    return {
        s.pk: check_one(
            s,
            items=by_version_items.get(s.version_id, []),
            clauses=by_version_clauses.get(s.version_id, []),
            signatures=sigs.get(s.pk, []),
        )
        for s in signed_letters
    }


def require_intact(signed) -> None:
    """Raise :class:`Tampered` unless ``signed`` still matches what was signed."""
    integrity = check_one(signed)
    if integrity.tampered:
        raise Tampered(signed, integrity)


def require_version_intact(version_id: int) -> None:
    """Raise :class:`Tampered` if ``version_id`` was signed and no longer matches."""
    from .models import SignedLetter

    signed = SignedLetter.objects.select_related("version").filter(version_id=version_id).first()
    if signed is not None and signed.signed_at is not None:
        require_intact(signed)
