"""Handing records to the archives (档案移交, issue #18).

For a village and year, or a township and term, one zip holds every record the retention rule
keeps: the signed originals (PDF/A, with their signatures and verification QR code), the scans
of the paper originals, the signing ceremonies (attendance, votes, custody of the copies), the
democratic evaluation rounds with their tallies, and the decision notices of accountability
cases. ``manifest.json`` lists each file with its SHA-256 and size, the audit chain's head at
export time and who exported it; ``verify.py`` (Python standard library only) checks the zip
offline and names what was altered, removed or added. The export itself is audited with the
manifest's SHA-256, so the archives can tell the manifest they hold is the one issued.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from jiannuo.core import audit
from jiannuo.core.models import AuditHead
from jiannuo.core.permissions import require
from jiannuo.organisation import organs
from jiannuo.organisation.models import Term, Unit

FORMAT = "jiannuo-archive/1"
VERIFY_SCRIPT = Path(__file__).resolve().parent / "templates" / "signing" / "archive" / "verify.py"
README = """践诺 Jiannuo 档案移交包 / records transfer

{title}

内容 Contents:
  originals/  签字原件 (PDF/A)            signed originals
  scans/      纸质原件扫描件              scans of the paper originals
  meetings/   签字仪式记录 (JSON)         signing ceremonies: attendance, votes, custody
  tallies/    民主测评计票 (JSON)         evaluation rounds and their tallies
  decisions/  处理决定书 (PDF/A)          decision notices
  manifest.json  每个文件的 SHA-256       every file's SHA-256, the audit chain head

核验 Verify (Python 3, offline):  python3 verify.py {zipname}
manifest.json SHA-256 is recorded in the system's audit log (archive.export).
"""


class ArchiveError(Exception):
    """An export that cannot be made; the message says why."""


@dataclass
class Export:
    name: str
    data: bytes
    manifest: dict
    manifest_sha256: str


def audit_head() -> dict | None:
    """The audit chain's head now (the one dependency on the audit log's storage)."""
    head = AuditHead.objects.filter(pk=1).values("last_id", "last_hash").first()
    return dict(head) if head else None


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str).encode()


def _scope(unit: Unit, year: int | None, term: Term | None):
    """(villages, letter filter, year filter) of the transfer."""
    from django.db.models import Q

    if unit.kind == Unit.VILLAGE:
        if year is None:
            raise ArchiveError("A village's transfer is for a year: give --year.")
        villages = [unit]
        letters = Q(year=year) | Q(year__isnull=True, term__start__year__lte=year) & Q(
            term__end__year__gte=year
        )
        years = [year]
        title = f"{unit.name} {year}年度"
    elif unit.kind == Unit.TOWNSHIP:
        if term is None:
            raise ArchiveError("A township's transfer is for a term: give --term.")
        villages = list(Unit.objects.filter(parent=unit, kind=Unit.VILLAGE).order_by("path"))
        letters = Q(term=term)
        years = term.years
        title = f"{organs.township_committee(unit)} {term.name}"
    else:
        raise ArchiveError("Records are handed over per village and year or township and term.")
    return villages, letters, years, title


def _ceremony_record(c) -> dict:
    return {
        "village": c.village.name,
        "year": c.year,
        "scheduled_at": c.scheduled_at,
        "place": c.place,
        "state": c.state,
        "held_at": c.held_at,
        "closed_at": c.closed_at,
        "notes": c.notes,
        "attendance": [
            {"name": a.person.name, "via": a.via, "at": a.at}
            for a in c.attendances.select_related("person").order_by("at", "id")
        ],
        "votes": [
            {
                "letter_version": v.letter_version_id,
                "for": v.votes_for,
                "against": v.against,
                "abstain": v.abstain,
                "present": v.present,
                "passed": v.passed,
                "rule": v.rule,
                "at": v.at,
            }
            for v in c.votes.order_by("at", "id")
        ],
    }


def _signed_record(s, number) -> dict:
    return {
        "number": number,
        "verify_code": s.verify_code,
        "content_hash": s.content_hash,
        "signed_at": s.signed_at,
        "published_at": s.published_at,
        "superseded_at": s.superseded_at,
        "signatures": [
            {"party": g.party, "role": g.role, "name": g.signer_name, "at": g.at}
            for g in s.signatures.order_by("at", "id")
        ],
        "custody": [
            {
                "copy": f"{c.number}/{c.total}",
                "custodian": c.custodian,
                "receipt_at": c.receipt_at,
            }
            for c in s.copies.order_by("number")
        ],
    }


def _round_record(r) -> dict:
    tallies = {t.target_id: t for t in r.tallies.all()}
    return {
        "village": r.village.name,
        "year": r.year,
        "method": r.method,
        "state": r.state,
        "meeting_kind": r.meeting_kind,
        "eligible": r.eligible,
        "present": r.present,
        "opened_at": r.opened_at,
        "closed_at": r.closed_at,
        "void_reason": r.void_reason,
        "targets": [
            {
                "label": t.label,
                "tally": (
                    {
                        "issued": tallies[t.pk].issued,
                        "returned": tallies[t.pk].returned,
                        "spoiled": tallies[t.pk].spoiled,
                        "counts": tallies[t.pk].counts,
                        "source": tallies[t.pk].source,
                        "confirmed_at": tallies[t.pk].confirmed_at,
                    }
                    if t.pk in tallies
                    else None
                ),
            }
            for t in r.targets.order_by("position")
        ],
    }


def _files(villages, letters_q, years, term):
    """(path, bytes) of every record in the transfer, in a stable order."""
    from jiannuo.accountability.models import Case
    from jiannuo.accountability.pdf import render_decision_pdf
    from jiannuo.evaluation.models import Round
    from jiannuo.pledges.models import Letter

    from . import pdf, pdfwrite
    from .models import Ceremony, SignedLetter
    from .selectors import printed_verification_url

    for village in villages:
        folder = village.code
        signed = (
            SignedLetter.objects.filter(letter__village=village, signed_at__isnull=False)
            .filter(letter__in=Letter.objects.filter(letters_q))
            .select_related("letter__village__parent", "version", "ceremony")
            .order_by("letter_id", "version__number")
        )
        htmls, names, records = [], [], []
        for s in signed:
            number = pdf.letter_number(s.version)
            sigs = list(s.signatures.all())
            htmls.append(
                pdf.originals_html(
                    s.version, verify_url=printed_verification_url(s), signatures=sigs
                )
            )
            names.append(number)
            records.append(_signed_record(s, number))
            if s.scan:
                with s.scan.open("rb") as f:
                    ext = Path(s.scan.name).suffix or ".bin"
                    yield f"scans/{folder}/{number}{ext}", f.read()
        for number, data in zip(names, pdfwrite.write_many(htmls, processes=1), strict=True):
            yield f"originals/{folder}/{number}.pdf", data
        if records:
            yield f"originals/{folder}/signed.json", _json(records)
        ceremonies = Ceremony.objects.filter(village=village).select_related("village")
        ceremonies = (
            ceremonies.filter(year__in=years)
            if term is None
            else ceremonies.filter(term=term) | ceremonies.filter(year__in=years)
        )
        for c in ceremonies.distinct().order_by("scheduled_at", "id"):
            yield f"meetings/{folder}/ceremony-{c.pk}.json", _json(_ceremony_record(c))
        rounds = Round.objects.filter(village=village, year__in=years).exclude(state=Round.DRAFT)
        for r in rounds.select_related("village").order_by("year", "id"):
            yield f"tallies/{folder}/round-{r.year}-{r.pk}.json", _json(_round_record(r))
        cases = Case.objects.filter(village=village, year__in=years, decided_at__isnull=False)
        for case in cases.select_related("township", "village", "person").order_by("year", "id"):
            name = (case.number or f"case-{case.pk}").replace("/", "-")
            yield f"decisions/{folder}/{name}.pdf", render_decision_pdf(case)


def archive_export(*, actor, unit: Unit, year: int | None = None, term: Term | None = None):
    """The records transfer of ``unit`` (a village and ``year``, or a township and ``term``)."""
    require(actor, "archive.export", unit)
    villages, letters_q, years, title = _scope(unit, year, term)
    head = audit_head()  # before this export's own audit entry
    zipname = f"{unit.code}-{year if year is not None else term.start.year}-archive.zip"
    buf = io.BytesIO()
    listed = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in _files(villages, letters_q, years, term):
            zf.writestr(path, data)
            kind = path.split("/", 1)[0]
            listed.append(
                {
                    "path": path,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "kind": kind,
                }
            )
        manifest = {
            "format": FORMAT,
            "title": f"{title} 档案移交",
            "unit": {"code": unit.code, "name": unit.name, "kind": unit.kind},
            "year": year,
            "term": term.name if term else None,
            "created_at": timezone.now().isoformat(),
            "created_by": audit.actor_label(actor),
            "audit_head": head,
            "files": listed,
        }
        raw = _json(manifest)
        zf.writestr("manifest.json", raw)
        zf.writestr("verify.py", VERIFY_SCRIPT.read_bytes())
        zf.writestr("README.txt", README.format(title=manifest["title"], zipname=zipname))
    digest = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        audit.record(
            actor,
            "archive.export",
            unit,
            changes={
                "year": year,
                "term": term.pk if term else None,
                "files": len(listed),
                "manifest_sha256": digest,
                "audit_head": head,
            },
        )
    return Export(zipname, buf.getvalue(), manifest, digest)


def export_for_cli(code: str, *, year: int | None, term: str | None, out: Path) -> int:
    """``jiannuo archive CODE --year Y | --term START_YEAR --out FILE`` (as the system)."""
    from jiannuo.core.system import system_user

    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise ArchiveError(f"No unit with the code {code!r}.")
    term_obj = None
    if term is not None:
        term_obj = Term.objects.filter(district_id=unit.district_id, start__year=int(term)).first()
        if term_obj is None:
            raise ArchiveError(f"No term starting in {term}.")
    export = archive_export(actor=system_user(), unit=unit, year=year, term=term_obj)
    Path(out).write_bytes(export.data)
    print(f"manifest.json SHA-256: {export.manifest_sha256}")
    return len(export.manifest["files"])
