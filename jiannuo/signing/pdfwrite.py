"""HTML → PDF for the official letters, without Django (so batch worker processes need neither
settings nor a database): ``signing.pdf`` renders the HTML, this module lays it out.

What makes a letter cheap to print (issue #4 targets: one letter < 0.5 s, a township's 100
letters < 60 s; figures in docs/benchmarks.md):

- one ``FontConfiguration`` per process, reused by every letter (fontconfig and the Noto CJK
  faces are loaded once);
- compact fonts: ``build_fonts`` (``manage.py letter_fonts``, or the first large batch) cuts
  the Chinese faces (Noto Serif CJK SC regular and bold, AR PL UKai for signed names) down to
  GB 2312 plus punctuation, single-face files of 2–5 MB instead of 17–27 MB collections. The
  PDF subsets them again per letter; with 60,000-glyph collections that alone was a third of a
  letter's time (and PDFs three times larger). A rarer character falls back to the system
  font, so nothing is ever missing. Without them the system fonts are used as before;
- a minimal user-agent stylesheet (``letter_ua.css``), parsed once, instead of WeasyPrint's full
  HTML5 one: cascading the full one cost about a fifth of each letter;
- the QR code is a small PNG (``data:`` URL), not an SVG path WeasyPrint parses point by point;
- a batch lays out letters in a pool of worker processes (``write_many``): WeasyPrint is pure
  Python and holds the GIL, so processes, not threads, use the second core.

Nothing is fetched from the network or the file system: only ``data:`` URLs are allowed.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

UA_CSS = Path(__file__).resolve().parent / "templates" / "signing" / "letter_ua.css"
#: Where the compact fonts are kept (shared by every data directory of this user).
FONT_DIR = Path(
    os.environ.get("JIANNUO_FONT_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jiannuo" / "fonts"
)
#: (file name, CSS family, CSS weight, fontconfig pattern of the system font it is cut from).
FONTS = (
    ("jn-serif-regular.otf", "JN Serif", 400, "Noto Serif CJK SC:weight=regular"),
    ("jn-serif-bold.otf", "JN Serif", 700, "Noto Serif CJK SC:bold"),
    ("jn-kai.ttf", "JN Kai", 400, "AR PL UKai CN"),
)
#: Worker processes of a batch (the server has 2 cores; 1 = in this process).
PROCESSES = int(os.environ.get("JIANNUO_PDF_PROCESSES", "2"))
#: Below this many letters a pool's start-up (about a second per worker) is not worth it.
POOL_MIN_LETTERS = 6

#: Every official PDF is archival (issue #18): PDF/A-3b, with WeasyPrint's sRGB output intent,
#: every font embedded and the document's metadata (title, issuing organ, number, date) taken
#: from the HTML's ``<title>`` and ``<meta>`` elements.
PDF_VARIANT = "pdf/a-3b"

_state: dict = {}


def _charset() -> set[int]:
    """GB 2312 (the characters of almost every name and text), ASCII, Latin-1, punctuation,
    CJK symbols, circled numbers, box drawing and full-width forms."""
    chars: set[int] = set()
    for lo, hi in ((0x20, 0x7F), (0xA0, 0x100), (0x2000, 0x2070), (0x2460, 0x2500)):
        chars.update(range(lo, hi))
    for lo, hi in ((0x2500, 0x2580), (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        chars.update(range(lo, hi))
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((b1, b2)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return chars


def _system_font(pattern: str) -> tuple[str, int] | None:
    import subprocess

    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}", pattern],
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        ).stdout.split("\n")
        return out[0], int(out[1] or 0)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def fonts_ready(font_dir: Path | None = None) -> bool:
    font_dir = Path(font_dir or FONT_DIR)
    return all((font_dir / name).is_file() for name, *_ in FONTS)


def build_fonts(font_dir: Path | None = None, chars: set[int] | None = None) -> list[Path]:
    """Cut the compact fonts into ``font_dir`` (once; about 20 s of CPU for the three).

    Safe to run from several processes: a file lock serialises builders, each file is written
    under a temporary name and renamed. Returns the files built now.
    """
    import fcntl

    from fontTools import subset

    font_dir = Path(font_dir or FONT_DIR)
    font_dir.mkdir(parents=True, exist_ok=True)
    built = []
    with open(font_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        unicodes = chars if chars is not None else _charset()
        for name, _family, _weight, pattern in FONTS:
            target = font_dir / name
            if target.is_file():
                continue
            source = _system_font(pattern)
            if source is None:
                continue
            opts = subset.Options()
            opts.font_number = source[1]
            opts.layout_features = []
            opts.name_IDs = ["*"]
            opts.notdef_outline = True
            opts.hinting = False
            opts.desubroutinize = True
            font = subset.load_font(source[0], opts, dontLoadGlyphNames=True)
            subsetter = subset.Subsetter(opts)
            subsetter.populate(unicodes=unicodes)
            subsetter.subset(font)
            tmp = target.with_suffix(target.suffix + ".tmp")
            subset.save_font(font, str(tmp), opts)
            os.replace(tmp, target)
            built.append(target)
    return built


def _font_faces(font_dir: Path) -> str:
    if not fonts_ready(font_dir):
        return ""
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
        f"src: url({(font_dir / name).as_uri()}); }}"
        for name, family, weight, _ in FONTS
    )


def _fetcher(font_dir: Path):
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    class LetterFetcher(URLFetcher):
        """``data:`` URLs, and the compact fonts' own files; nothing else."""

        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.parent != font_dir.resolve() or path.name not in {n for n, *_ in FONTS}:
                    raise ValueError(f"Refusing to fetch {url!r} while printing a letter.")
            return super().fetch(url, headers)

    return LetterFetcher(allowed_protocols={"data", "file"})


def _setup():
    if not _state:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration

        font_dir = Path(FONT_DIR)
        fetcher = _fetcher(font_dir)
        fonts = FontConfiguration()
        ua_text = _font_faces(font_dir) + "\n" + UA_CSS.read_text(encoding="utf-8")
        ua = CSS(string=ua_text, url_fetcher=fetcher, font_config=fonts)

        class LetterHTML(HTML):
            def _ua_stylesheets(self, forms=False):
                return [ua]

        _state.update(html=LetterHTML, fonts=fonts, fetcher=fetcher, font_dir=font_dir)
        # Free fontconfig before the interpreter tears its modules down (else a warning).
        atexit.register(_state.clear)
    return _state


def reset() -> None:
    """Forget the loaded fonts and styles (after ``build_fonts``, or in tests)."""
    _state.clear()


def write_pdf(html: str) -> bytes:
    """One HTML document (one or more originals) as PDF bytes."""
    s = _setup()
    doc = s["html"](string=html, url_fetcher=s["fetcher"], base_url="data:,")
    return doc.write_pdf(font_config=s["fonts"], pdf_variant=PDF_VARIANT)


def write_many(htmls: Iterable[str], processes: int | None = None) -> Iterator[bytes]:
    """PDF bytes of each HTML document, in order; a pool of ``processes`` workers lays them
    out in parallel (``spawn``: safe from a thread of a server process)."""
    htmls = list(htmls)
    processes = PROCESSES if processes is None else processes
    if processes <= 1 or len(htmls) < POOL_MIN_LETTERS:
        for html in htmls:
            yield write_pdf(html)
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=context)
    try:
        yield from pool.map(write_pdf, htmls, chunksize=1)
    finally:  # also when the caller stops early: drop the letters not started yet
        pool.shutdown(wait=True, cancel_futures=True)
