"""Official PDF letters (seed §三.4–5): the printed originals that are signed and kept.

``render_letter_pdf`` renders one original of a letter version with WeasyPrint from the Django
template ``signing/letter_pdf.html``: title, letter number, Party A and Party B (§三.4, from
``rules.required_signatories``), the four pledge categories and the three breach-clause
categories (§二), signature blocks, "第 i 份 / 共 n 份" with the original's custodian (§三.5,
``rules.copies``/``rules.copy_label``) and a QR code (inline SVG) to the verification page.
``render_originals`` renders every original of a letter into one PDF.

Fonts come from the system (Noto Serif CJK SC, AR PL UKai for signature lines); nothing is
fetched from the network: the URL fetcher refuses every URL except ``data:``. The HTML → PDF
step and what makes it fast are in ``signing.pdfwrite``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from jiannuo.organisation.models import Post
from jiannuo.pledges.models import BREACH_LABELS, CATEGORY_LABELS, Letter, LetterVersion

from . import integrity, pdfwrite, rules

#: Official (Chinese by nature) headings of the letter's sections, in print order (§二).
CATEGORY_HEADINGS = {
    "work_goal": "一、工作目标",
    "good_deed": "二、为群众办的好事实事",
    "integrity": "三、廉政建设标准",
    "guarantee": "四、保证措施",
}
BREACH_HEADINGS = {
    "unmet_goals": "（一）未完成工作目标的处罚",
    "economic_loss": "（二）失职失误造成经济损失的赔偿",
    "low_satisfaction": "（三）民主测评满意率不达标的处罚",
}
assert set(CATEGORY_HEADINGS) == set(CATEGORY_LABELS)
assert set(BREACH_HEADINGS) == set(BREACH_LABELS)

ROLE_LABELS = {
    rules.TOWNSHIP_DEPUTY_SECRETARY: "镇（街道）党委副书记",
    rules.BRANCH_SECRETARY: "村党支部书记",
    rules.COMMITTEE_DIRECTOR: "村委会主任",
    rules.MEMBER: "班子成员",
    rules.PARTY_MEMBER_REP: "党员代表",
    rules.VILLAGER_REP: "村民代表",
}
CUSTODIAN_LABELS = {
    rules.TOWNSHIP: "镇（街道）党（工）委保存",
    rules.BRANCH: "村党支部保存",
    rules.CADRE: "承诺人本人保存",
}
POST_LABELS = {
    Post.BRANCH_SECRETARY: "村党支部书记",
    Post.BRANCH_DEPUTY: "村党支部副书记",
    Post.BRANCH_MEMBER: "村党支部委员",
    Post.COMMITTEE_DIRECTOR: "村委会主任",
    Post.COMMITTEE_DEPUTY: "村委会副主任",
    Post.COMMITTEE_MEMBER: "村委会委员",
}
TITLES = {
    "team": "村班子任职承诺书",
    "secretary": "村党支部书记任职承诺书",
    "member": "村班子成员任职承诺书",
}


def qr_png_uri(url: str) -> str:
    """A QR code for ``url`` as a small PNG ``data:`` URL (cheap for WeasyPrint to place)."""
    import base64
    import io

    import qrcode

    img = qrcode.make(url, box_size=4, border=1)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def letter_number(version: LetterVersion) -> str:
    """The printed letter number: village code-year-kind-post-version, e.g. SQ01-2026-M-17-V2."""
    letter = version.letter
    year = letter.year or letter.term.start.year
    post = letter.post_id or 0
    return f"{letter.village.code}-{year}-{letter.item_prefix}-{post}-V{version.number}"


def _active_holder(village_id, kind, cache):
    if kind not in cache:
        today = timezone.localdate()
        post = (
            Post.objects.filter(village_id=village_id, kind=kind, start__lte=today)
            .exclude(end__lt=today)
            .select_related("person")
            .order_by("-start")
            .first()
        )
        cache[kind] = post.person if post else None
    return cache[kind]


@dataclass
class _Slot:
    party: str
    role: str
    role_label: str
    name: str
    signed_name: str = ""
    signed_at: object = None


def _parties(letter: Letter):
    """(party A text, party B text) of the letter (§三.4, official wording)."""
    village = letter.village.name
    township = letter.village.parent.name if letter.village.parent_id else ""
    if letter.kind == Letter.TEAM:
        return (
            f"中共{township}委员会",
            f"中共{village}支部委员会、{village}村民委员会",
        )
    holder = letter.post.person.name if letter.post_id else ""
    post = POST_LABELS.get(letter.post.kind, "") if letter.post_id else ""
    if letter.kind == Letter.SECRETARY:
        return (f"{village}全体党员和群众（由党员代表、村民代表签字）", f"{post} {holder}")
    return (f"{village}全体党员和村民代表（由党员代表、村民代表签字）", f"{post} {holder}")


def _slots(letter: Letter, signatures: Iterable) -> list[_Slot]:
    """The signature blocks (§三.4 via ``rules.required_signatories``), filled from signatures.

    A signature is any object with ``party``, ``role``, ``signer_name`` and ``at``.
    """
    cache: dict = {}
    names: dict = {}
    kwargs = {}
    if letter.kind == Letter.TEAM:
        sec = _active_holder(letter.village_id, Post.BRANCH_SECRETARY, cache)
        dire = _active_holder(letter.village_id, Post.COMMITTEE_DIRECTOR, cache)
        kwargs = {
            "township_deputy_secretary": "deputy",
            "branch_secretary": sec.pk if sec else "secretary",
            "committee_director": dire.pk if dire else "director",
        }
        names = {
            rules.BRANCH_SECRETARY: sec.name if sec else "",
            rules.COMMITTEE_DIRECTOR: dire.name if dire else "",
        }
    else:
        kwargs = {"cadre": letter.post.person_id}
        names = {rules.BRANCH_SECRETARY: letter.post.person.name, rules.MEMBER: ""}
        names[rules.MEMBER] = letter.post.person.name
    required = rules.required_signatories(letter.kind, **kwargs)
    slots = []
    for req in required:
        label = "、".join(ROLE_LABELS.get(r, r) for r in req.roles)
        slots.append(_Slot(req.party, req.role, label, names.get(req.role, "")))
    for sig in signatures:
        for slot in slots:
            if slot.party == sig.party and slot.role == sig.role and not slot.signed_name:
                slot.signed_name = sig.signer_name
                slot.signed_at = sig.at
                break
        else:
            # More representatives signed than slots printed: add a block for each.
            slots.append(
                _Slot(
                    sig.party,
                    sig.role,
                    ROLE_LABELS.get(sig.role, sig.role),
                    "",
                    sig.signer_name,
                    sig.at,
                )
            )
    return slots


def _context(version: LetterVersion, copies: Sequence[tuple[int, int]], verify_url, signatures):
    letter = version.letter
    # A signed original is printed only from rows that still match the signed snapshot.
    integrity.require_version_intact(version.pk)
    items = list(
        version.items.select_related("responsible_post__person").order_by("position", "id")
    )
    clauses = list(version.clauses.order_by("position", "id"))
    categories = [
        {"key": k, "heading": h, "items": [i for i in items if i.category == k]}
        for k, h in CATEGORY_HEADINGS.items()
    ]
    breaches = [
        {"key": k, "heading": h, "clauses": [c for c in clauses if c.category == k]}
        for k, h in BREACH_HEADINGS.items()
    ]
    for cat in categories:
        for item in cat["items"]:
            post = item.responsible_post
            item.responsible_label = (
                f"{POST_LABELS.get(post.kind, post.get_kind_display())} {post.person.name}"
                if post
                else ""
            )
    signatures = list(signatures)
    slots = _slots(letter, signatures)
    custodians = rules.copies(letter.kind)
    dates = [s.signed_at for s in slots if s.signed_at]
    party_a, party_b = _parties(letter)
    return {
        "letter": letter,
        "version": version,
        "title": TITLES[letter.kind],
        "number": letter_number(version),
        "period": letter.period_label,
        "party_a": party_a,
        "party_b": party_b,
        "categories": categories,
        "breaches": breaches,
        "slots_a": [s for s in slots if s.party == rules.PARTY_A],
        "slots_b": [s for s in slots if s.party == rules.PARTY_B],
        "signed_on": max(dates) if dates else None,
        "copies": [
            {
                "label": rules.copy_label(i, n),
                "custodian": CUSTODIAN_LABELS[custodians[i - 1]] if i <= len(custodians) else "",
            }
            for i, n in copies
        ],
        "verify_url": verify_url or "",
        "qr": qr_png_uri(verify_url) if verify_url else "",
        "content_hash": getattr(version, "content_hash", ""),
    }


def _load(version: LetterVersion) -> LetterVersion:
    return LetterVersion.objects.select_related(
        "letter__village__parent", "letter__term", "letter__post__person"
    ).get(pk=version.pk)


def render_html(version, *, copies: Sequence[tuple[int, int]], verify_url=None, signatures=()):
    """The letter's HTML (one section per original), for the PDF and for previews."""
    return render_to_string(
        "signing/letter_pdf.html", _context(_load(version), copies, verify_url, signatures)
    )


def _write(html: str) -> bytes:
    return pdfwrite.write_pdf(html)


def render_letter_pdf(
    version: LetterVersion, *, copy_number: int, copies_total: int, verify_url=None, signatures=()
) -> bytes:
    """§三.4–5: one printed original (``copy_number`` of ``copies_total``) as PDF bytes."""
    rules.copy_label(copy_number, copies_total)  # validates the numbers
    return _write(
        render_html(
            version,
            copies=[(copy_number, copies_total)],
            verify_url=verify_url,
            signatures=signatures,
        )
    )


def originals_html(version: LetterVersion, *, verify_url=None, signatures=()) -> str:
    """The HTML of every original of the letter (``rules.copies`` count), one after another."""
    total = len(rules.copies(version.letter.kind))
    return render_html(
        version,
        copies=[(i, total) for i in range(1, total + 1)],
        verify_url=verify_url,
        signatures=signatures,
    )


def render_originals(version: LetterVersion, *, verify_url=None, signatures=()) -> bytes:
    """§三.5: every original of the letter (``rules.copies`` count), one after another."""
    return _write(originals_html(version, verify_url=verify_url, signatures=signatures))
