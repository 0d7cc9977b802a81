"""Benchmark the official PDF letters (seed §三.4–5). Not a test.

Builds (once) a township with 100 villages, each with an approved team letter of 12 pledges
and 3 breach clauses, then times (1) one letter's original (``render_letter_pdf``, warm, median
of 5; target < 0.5 s) and (2) the township batch (``signing.batch.run_batch``: every approved
letter, all originals, one zip; target < 60 s for 100 letters).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/jn_bench .venv/bin/python bench/bench_pdf.py \
        [--letters N]   # N < 100: render the first N letters only and extrapolate

The batch lays letters out in ``signing.pdfwrite.PROCESSES`` worker processes (2; set
JIANNUO_PDF_PROCESSES=1 to compare with one). The compact fonts are built first if missing
(``manage.py letter_fonts``), as a deployment does once.

Without DATABASE_URL it uses the project's SQLite database (migrated if needed).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings")
TOWNSHIP = "BENCHPDF"
LETTERS = 100


def build():
    from django.utils import timezone

    from jiannuo.core.system import system_user
    from jiannuo.organisation import services as org
    from jiannuo.organisation.models import Term, Unit
    from jiannuo.pledges.models import BreachClause, Letter, LetterVersion, PledgeItem

    township = Unit.objects.filter(code=TOWNSHIP).first()
    if township:
        return township
    system = system_user()
    district = Unit.objects.filter(kind=Unit.DISTRICT).first() or org.unit_create(
        actor=system, kind=Unit.DISTRICT, name="基准区", code="BENCHD"
    )
    township = org.unit_create(
        actor=system, kind=Unit.TOWNSHIP, name="印制镇", code=TOWNSHIP, parent=district
    )
    term = Term.objects.filter(district=district).first() or org.term_create(
        actor=system,
        district=district,
        name="2021—2026年届",
        start=date(2021, 1, 1),
        end=date(2026, 12, 31),
    )
    cats = ["work_goal", "good_deed", "integrity", "guarantee"]
    breaches = ["unmet_goals", "economic_loss", "low_satisfaction"]
    deadline = timezone.localdate().replace(month=12, day=31)
    for n in range(LETTERS):
        village = Unit(
            kind=Unit.VILLAGE, name=f"印制{n:03d}村", code=f"{TOWNSHIP}{n:03d}", parent=township
        )
        village.path = ""
        village.save()
        village.path = f"{township.path}{village.pk}/"
        village.save(update_fields=["path"])
        letter = Letter.objects.create(
            village=village, term=term, year=2026, kind=Letter.TEAM, state="approved"
        )
        version = LetterVersion.objects.create(
            letter=letter, number=1, state="approved", content_hash="a" * 64
        )
        PledgeItem.objects.bulk_create(
            PledgeItem(
                letter_version=version,
                code=f"T{i}",
                position=i,
                category=cats[i % 4],
                text=f"年内完成村内第{i}项重点工作，硬化道路、整治环境、服务群众",
                target="100%",
                deadline=deadline,
            )
            for i in range(12)
        )
        BreachClause.objects.bulk_create(
            BreachClause(
                letter_version=version,
                code=f"B{i}",
                position=i,
                category=c,
                trigger="未完成年度承诺事项",
                measure="取消当年评先评优资格，扣发误工补贴20%",
            )
            for i, c in enumerate(breaches)
        )
    return township


def _cpu() -> tuple[float, float]:
    """CPU seconds used so far by this process and by its finished worker processes."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _print_cpu(before, letters: int) -> None:
    """On a shared machine wall time says little: the CPU each side used does. With the
    workers on 2 cores of their own, the batch takes about max(main, workers / 2)."""
    from jiannuo.signing import pdfwrite

    own, kids = (a - b for a, b in zip(_cpu(), before, strict=True))
    procs = max(pdfwrite.PROCESSES, 1)
    estimate = max(own, kids / procs) if kids else own
    print(
        f"batch CPU: main process {own:.1f} s, workers {kids:.1f} s "
        f"({(own + kids) / letters:.3f} CPU s/letter); on {procs} idle cores ≈ "
        f"{estimate * 100 / letters:.0f} s per 100 letters"
    )


def main() -> None:
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    township = build()
    from jiannuo.bulletin.models import PdfBatch
    from jiannuo.core.system import system_user
    from jiannuo.signing import batch, pdf, pdfwrite
    from jiannuo.signing.batch import batch_versions

    if not pdfwrite.fonts_ready():
        start = time.perf_counter()
        pdfwrite.build_fonts()
        pdfwrite.reset()
        print(f"compact fonts built once in {time.perf_counter() - start:.1f} s")
    print(f"compact fonts: {'yes' if pdfwrite.fonts_ready() else 'no'} ({pdfwrite.FONT_DIR})")
    versions = batch_versions(township, 2026)
    one = versions[0]
    pdf.render_letter_pdf(one, copy_number=1, copies_total=2, verify_url="https://x/v/ABC/")
    times, cpu = [], []
    for _ in range(7):
        start, start_cpu = time.perf_counter(), time.process_time()
        data = pdf.render_letter_pdf(
            one, copy_number=1, copies_total=2, verify_url="https://x/v/ABC/"
        )
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        f"one letter (1 original, {len(data) // 1024} KB): median {statistics.median(times):.3f} s"
        f" wall (best {min(times):.3f} s), {statistics.median(cpu):.3f} s CPU "
        f"(load average {os.getloadavg()[0]:.1f})"
    )

    n = int(sys.argv[sys.argv.index("--letters") + 1]) if "--letters" in sys.argv else LETTERS
    if n == 0:
        return
    if n < len(versions):
        # A partial batch (a busy machine, the 2-minute budget): same rendering, extrapolated.
        start, cpu0 = time.perf_counter(), _cpu()
        done = sum(1 for _ in batch._rendered(versions[:n]))
        elapsed = time.perf_counter() - start
        print(
            f"batch: {done} letters (every original) in {elapsed:.1f} s "
            f"({elapsed / done:.3f} s/letter; 100 letters ≈ {100 * elapsed / done:.0f} s)"
        )
        _print_cpu(cpu0, done)
        return
    with tempfile.TemporaryDirectory() as media:
        settings.MEDIA_ROOT = media
        job = PdfBatch.objects.create(township=township, year=2026, requested_by=system_user())
        start, cpu0 = time.perf_counter(), _cpu()
        batch.run_batch(job.pk)
        elapsed = time.perf_counter() - start
        _print_cpu(cpu0, LETTERS)
        print(f"load average after the batch: {os.getloadavg()[0]:.1f} (2 cores)")
        job.refresh_from_db()
        size = job.file.size if job.file else 0
        print(
            f"batch: {job.done}/{job.total} letters (every original) in {elapsed:.1f} s "
            f"({elapsed / max(job.done, 1):.3f} s/letter), zip {size // 1024} KB, state {job.state}"
        )
        job.delete()


if __name__ == "__main__":
    main()
