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

from jiannuo.organisation import organs
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
#: The generic labels above name 镇（街道）and 党支部; a printed letter names the actual organs
#: of its township and village (``organisation.organs``): these are the stems to complete.
_BRANCH_POSTS = {
    Post.BRANCH_SECRETARY: "书记",
    Post.BRANCH_DEPUTY: "副书记",
    Post.BRANCH_MEMBER: "委员",
}


@dataclass
class Organs:
    """The names a letter of ``village`` prints for its organs, titles and copy keepers."""

    township: str  # 中共石桥镇委员会 / 中共东湖街道工作委员会
    township_short: str  # 石桥镇党委 / 东湖街道党工委
    village_party: str  # 中共柳树村支部委员会 / …总支部委员会 / …委员会
    village_party_short: str  # 柳树村党支部 / 党总支 / 党委
    village_committee: str  # 柳树村村民委员会
    roles: dict
    custodians: dict
    posts: dict
    titles: dict

    @classmethod
    def of(cls, village) -> Organs:
        township = village.parent
        roles = dict(ROLE_LABELS)
        roles[rules.TOWNSHIP_DEPUTY_SECRETARY] = organs.township_title(township, "副书记")
        roles[rules.BRANCH_SECRETARY] = organs.village_title(village, "书记")
        custodians = {
            rules.TOWNSHIP: organs.township_committee(township) + "保存",
            rules.BRANCH: organs.village_party(village) + "保存",
            rules.CADRE: CUSTODIAN_LABELS[rules.CADRE],
        }
        posts = dict(POST_LABELS)
        for kind, stem in _BRANCH_POSTS.items():
            posts[kind] = organs.village_title(village, stem)
        titles = dict(TITLES)
        titles["secretary"] = organs.village_title(village, "书记") + "任职承诺书"
        return cls(
            township=organs.township_committee_full(township),
            township_short=organs.township_committee(township),
            village_party=organs.village_party_full(village),
            village_party_short=organs.village_party(village),
            village_committee=organs.village_committee(village),
            roles=roles,
            custodians=custodians,
            posts=posts,
            titles=titles,
        )


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


def _parties(letter: Letter, names: Organs):
    """(party A text, party B text) of the letter (§三.4, official wording, actual organs)."""
    village = letter.village.name
    if letter.kind == Letter.TEAM:
        return (names.township, f"{names.village_party}、{names.village_committee}")
    holder = letter.post.person.name if letter.post_id else ""
    post = names.posts.get(letter.post.kind, "") if letter.post_id else ""
    if letter.kind == Letter.SECRETARY:
        return (f"{village}全体党员和群众（由党员代表、村民代表签字）", f"{post} {holder}")
    return (f"{village}全体党员和村民代表（由党员代表、村民代表签字）", f"{post} {holder}")


def _slots(letter: Letter, signatures: Iterable, organ_names: Organs) -> list[_Slot]:
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
        label = "、".join(organ_names.roles.get(r, r) for r in req.roles)
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
                    organ_names.roles.get(sig.role, sig.role),
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
    names = Organs.of(letter.village)
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
                f"{names.posts.get(post.kind, post.get_kind_display())} {post.person.name}"
                if post
                else ""
            )
    signatures = list(signatures)
    slots = _slots(letter, signatures, names)
    custodians = rules.copies(letter.kind)
    dates = [s.signed_at for s in slots if s.signed_at]
    party_a, party_b = _parties(letter, names)
    return {
        "letter": letter,
        "version": version,
        "organs": names,
        "issuer": names.township,
        "title": names.titles[letter.kind],
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
                "custodian": names.custodians[custodians[i - 1]] if i <= len(custodians) else "",
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
