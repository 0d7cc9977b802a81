"""The paper of the democratic evaluation meeting (seed §三.6, issue #6) as official PDFs.

Four documents, each a plain function taking the round and returning PDF bytes (WeasyPrint
through ``signing.pdfwrite``, templates under ``evaluation/pdf/``):

- ``render_ballots``: the numbered paper ballots, one per voter present (001…), several to an
  A4 page with cut lines; a row per target (the team and each cadre, in round order) and a box
  per option of the round. Nothing on a ballot identifies a voter.
- ``render_slips``: the phone round's one-time code slips, one per voter present, as they are
  issued (``services.slips_issue``): the QR code, the code and the vote address. The slips are
  in random order and carry no name: they are handed out like paper ballots (DOMAIN.md
  anonymity), and the database never learns which voter got which.
- ``render_signin``: the attendance sign-in sheet (签到表) of every eligible voter in roster
  order, re-entered through the check-in on the round page.
- ``render_tallysheet``: the tellers' count sheet (计票单) of a paper round: per target the
  fields of the tally form (issued, returned, spoiled, each option), re-entered on the round
  page or through the Excel template.

The documents are official paper in Chinese whatever the reader's language: they are rendered
in the project's language (``settings.LANGUAGE_CODE``) from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiannuo.organisation import organs
from jiannuo.organisation.models import Post
from jiannuo.organisation.policy import VOTER_KINDS
from jiannuo.signing import pdfwrite
from jiannuo.signing.pdf import qr_png_uri

from . import rules
from .models import OPTION_LABELS, Round, Voter

MEETING_NAMES = {
    rules.REPRESENTATIVES_MEETING: gettext_lazy("Villager representatives' meeting"),
    rules.VILLAGERS_MEETING: gettext_lazy("Villagers' meeting"),
}

#: Usable height of an A4 page inside the ballots' margins (mm), and the height of a ballot
#: without its target rows and of one row (mm), as the stylesheet lays them out.
PAGE_HEIGHT_MM = 273
BALLOT_BASE_MM = 44
BALLOT_ROW_MM = 9
#: At most this many ballots on a page (smaller pieces are awkward to hand out).
BALLOTS_PER_PAGE_MAX = 4
#: Code slips: two columns of five rows on each A4 page.
SLIP_COLUMNS = 2
SLIPS_PER_PAGE = 10


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def ballots_per_page(targets: int) -> int:
    """How many ballots of ``targets`` rows fit on an A4 page (at least one)."""
    height = BALLOT_BASE_MM + BALLOT_ROW_MM * max(targets, 1)
    return max(1, min(BALLOTS_PER_PAGE_MAX, PAGE_HEIGHT_MM // height))


def slip_pages(count: int) -> int:
    return -(-count // SLIPS_PER_PAGE)


def minimum_present(rnd: Round) -> int | None:
    """The fewest voters present for which the round's meeting may vote (``rules.quorum``)."""
    if rnd.meeting_kind not in rules.MEETING_KINDS or rnd.eligible <= 0:
        return None
    return next(
        (
            p
            for p in range(rnd.eligible + 1)
            if rules.quorum(rnd.meeting_kind, rnd.eligible, p) is None
        ),
        None,
    )


def _meeting(rnd: Round) -> str:
    return str(MEETING_NAMES.get(rnd.meeting_kind, rnd.meeting_kind))


def _header(rnd: Round) -> dict:
    village = rnd.village
    township = village.parent
    return {
        "round": rnd,
        "village": village.name,
        "township": township.name if township else "",
        # The actual organs holding the meeting (issue #18): 石桥镇党委 and 柳树村党支部.
        "organiser": "　".join(
            ([organs.township_committee(township)] if township else [])
            + [organs.village_party(village)]
        ),
        "year": rnd.year,
        "meeting": _meeting(rnd),
    }


def _options(rnd: Round) -> list[str]:
    return [str(OPTION_LABELS.get(o, o)) for o in rnd.options]


def _render(template: str, context: Callable[[], dict]) -> bytes:
    """Render ``template`` with ``context()``, both in the project's language (Chinese)."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, context())
    return pdfwrite.write_pdf(html)


def render_ballots(rnd: Round) -> bytes:
    """The numbered paper ballots 001…present, several to a page with cut lines."""
    targets = [t.label for t in rnd.targets.order_by("position", "id")]
    per_page = ballots_per_page(len(targets))
    numbers = [f"{n:03d}" for n in range(1, rnd.present + 1)]
    return _render(
        "evaluation/pdf/ballots.html",
        lambda: {
            **_header(rnd),
            "options": _options(rnd),
            "targets": targets,
            "pages": _chunks(numbers, per_page),
            # Equal pieces, a millimetre short of the page so rounding never spills over.
            "ballot_height": (PAGE_HEIGHT_MM - 1) // per_page,
        },
    )


def render_slips(rnd: Round, codes: list[str], vote_url: Callable[[str], str]) -> bytes:
    """One slip per code of ``codes`` (as ``services.slips_issue`` returns them: in random
    order), never with a name. ``vote_url(code)`` gives the absolute address of the phone
    ballot for a code. The codes exist only here: the database keeps their digests."""
    slips = []
    for code in codes:
        url = vote_url(code)
        slips.append({"code": code, "url": url, "qr": qr_png_uri(url)})
    pages = [_chunks(page, SLIP_COLUMNS) for page in _chunks(slips, SLIPS_PER_PAGE)]
    return _render("evaluation/pdf/slips.html", lambda: {**_header(rnd), "pages": pages})


def _voter_kinds(rnd: Round, person_ids: list[int]) -> Callable[[int], str]:
    """Each voter's roster kinds (party member, villager representative) on the round's day,
    as a function of the person's id giving the labels in the active language."""
    day = timezone.localdate(rnd.created_at) if rnd.created_at else timezone.localdate()
    labels = dict(Post.KINDS)
    kinds: dict[int, list[str]] = {}
    posts = (
        Post.objects.filter(village_id=rnd.village_id, person_id__in=person_ids)
        .filter(kind__in=VOTER_KINDS, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .values_list("person_id", "kind")
    )
    for person_id, kind in posts:
        kinds.setdefault(person_id, [])
        if kind not in kinds[person_id]:
            kinds[person_id].append(kind)
    order = {k: i for i, k in enumerate(VOTER_KINDS)}

    def label(person_id: int) -> str:
        return "、".join(str(labels[k]) for k in sorted(kinds.get(person_id, ()), key=order.get))

    return label


def render_signin(rnd: Round) -> bytes:
    """The sign-in sheet: every eligible voter in roster order, a signature and a present box."""
    voters = list(
        Voter.objects.filter(round=rnd).select_related("person").order_by("person__name", "id")
    )
    kinds = _voter_kinds(rnd, [v.person_id for v in voters])

    def context():
        rows = [
            {"n": i, "name": v.person.name, "kind": kinds(v.person_id)}
            for i, v in enumerate(voters, start=1)
        ]
        return {
            **_header(rnd),
            "rows": rows,
            "eligible": len(voters),
            "needed": minimum_present(rnd),
        }

    return _render("evaluation/pdf/signin.html", context)


def render_tallysheet(rnd: Round) -> bytes:
    """The count sheet of a paper round: per target issued, returned, spoiled, each option."""
    targets = list(rnd.targets.order_by("position", "id"))
    return _render(
        "evaluation/pdf/tallysheet.html",
        lambda: {
            **_header(rnd),
            "options": _options(rnd),
            "targets": targets,
            "present": rnd.present if rnd.state != Round.DRAFT else None,
        },
    )


def filename(rnd: Round, kind: str) -> str:
    """The document's file name, in the documents' language (Chinese), e.g. 柳树村-2025-计票单."""
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "ballots": _("Evaluation ballots"),
            "slips": _("Voting code slips"),
            "signin": _("Evaluation sign-in sheet"),
            "tallysheet": _("Evaluation tally sheet"),
        }
        return f"{rnd.village.name}-{rnd.year}-{names[kind]}.pdf"
