"""Benchmark the public village bulletin page (seed §三.4) against a bare Django "ok" view.

Not a test. On PostgreSQL (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/jn_bench —
the database is created and migrated when missing) it builds a village with 50 published
pledges, serves the project with gunicorn (1 worker, pinned with ``taskset -c 1``) and loads
``/bulletin/<code>/`` and ``/bench-ok/`` the same way with ``wrk`` pinned to core 0 (or, without
wrk, a Python loop of http.client requests pinned to core 0). Prints both rates and the ratio
(target: bulletin ≥ 15% of ok).

    .venv/bin/python bench/bench_bulletin.py [--seconds 10] [--connections 8]

This module is also the WSGI entry gunicorn loads (``bench.bench_bulletin:application``): the
project's URLs plus the bare view, so both go through the same middleware.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/jn_bench"
CODE = "BENCH01"
PORT = 8765

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings")


# --- WSGI entry (inside gunicorn) -------------------------------------------------------------
def ok(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def _urlpatterns():
    from django.urls import include, path

    return [path("bench-ok/", ok), path("", include("jiannuo.urls"))]


urlpatterns = []  # filled in by application() (after django.setup())
_app = None


def application(environ, start_response):
    global _app, urlpatterns
    if _app is None:
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        _app = get_wsgi_application()
        urlpatterns = _urlpatterns()
        settings.ROOT_URLCONF = __name__
    return _app(environ, start_response)


# --- Setup -----------------------------------------------------------------------------------
def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build_village(pledges: int = 50) -> str:
    """A township and a village with ``pledges`` items in published signed letters."""
    from datetime import date, timedelta

    from django.utils import timezone

    from jiannuo.core.system import system_user
    from jiannuo.opinions.models import HotIssue
    from jiannuo.organisation import services as org
    from jiannuo.organisation.models import Term, Unit
    from jiannuo.pledges.models import CATEGORY_LABELS, Letter, LetterVersion, PledgeItem
    from jiannuo.signing.models import SignedLetter

    if Unit.objects.filter(code=CODE).exists():
        return CODE
    system = system_user()
    district = Unit.objects.filter(kind=Unit.DISTRICT).first() or org.unit_create(
        actor=system, kind=Unit.DISTRICT, name="基准区", code="BENCHD"
    )
    township = org.unit_create(
        actor=system, kind=Unit.TOWNSHIP, name="基准镇", code="BENCHT", parent=district
    )
    village = org.unit_create(
        actor=system, kind=Unit.VILLAGE, name="基准村", code=CODE, parent=township
    )
    term = Term.objects.filter(district=district).first() or org.term_create(
        actor=system,
        district=district,
        name="2021—2026年届",
        start=date(2021, 1, 1),
        end=date(2026, 12, 31),
    )
    cats = list(CATEGORY_LABELS)
    now = timezone.now()
    today = timezone.localdate()
    issue = HotIssue.objects.create(
        village=village, term=term, year=2026, label="村道硬化", status=HotIssue.ACCEPTED
    )
    HotIssue.objects.create(
        village=village,
        term=term,
        year=2026,
        label="建文化广场",
        status=HotIssue.ACCEPTED,
        not_adopted_reason="资金不足",
    )
    per_letter = 10
    for n in range(pledges // per_letter):
        letter = Letter.objects.create(
            village=village, term=term, year=2016 + n, kind=Letter.TEAM, state="approved"
        )
        version = LetterVersion.objects.create(letter=letter, number=1, state="approved")
        items = PledgeItem.objects.bulk_create(
            PledgeItem(
                letter_version=version,
                code=f"T{i}",
                position=i,
                category=cats[i % 4],
                text=f"第{n}号承诺书的第{i}项承诺：年内硬化村内道路",
                target="3公里",
                deadline=today + timedelta(days=30 if i % 2 else -30),
            )
            for i in range(per_letter)
        )
        items[0].answers_hot_issues.add(issue)
        SignedLetter.objects.create(
            version=version,
            letter=letter,
            verify_code=f"BENCH{n:04d}",
            content_hash="0" * 64,
            signed_at=now,
            published_at=now,
        )
    return CODE


# --- Load ------------------------------------------------------------------------------------
def run_wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"{url}: {bad.group(1)} error responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run_python(url: str, seconds: int) -> float:
    import http.client
    from urllib.parse import urlsplit

    os.sched_setaffinity(0, {0})
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    done, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        conn.request("GET", parts.path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"{url}: HTTP {response.status}")
        done += 1
    return done / (time.perf_counter() - start)


def wait_ready(url: str, timeout: float = 30) -> None:
    import urllib.request

    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer {url}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    db = os.environ["DATABASE_URL"]
    if not db.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    ensure_database(db)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    code = build_village()
    from django.db import connection

    connection.close()

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [
            "taskset",
            "-c",
            "1",
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            "bench.bench_bulletin:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{PORT}"
        ok_url, page_url = f"{base}/bench-ok/", f"{base}/bulletin/{code}/"
        wait_ready(ok_url)
        wait_ready(page_url)
        tool = "wrk" if shutil.which("wrk") else "python"
        rates = {}
        for name, url in (("ok", ok_url), ("bulletin", page_url)):
            # A short warm-up, then the measured run.
            if tool == "wrk":
                run_wrk(url, 2, args.connections)
                rates[name] = run_wrk(url, args.seconds, args.connections)
            else:
                run_python(url, 2)
                rates[name] = run_python(url, args.seconds)
        print(f"load tool: {tool}, {args.seconds}s each, server 1 gunicorn worker on core 1")
        print(f"ok view:        {rates['ok']:8.1f} req/s")
        print(f"bulletin (50):  {rates['bulletin']:8.1f} req/s")
        ratio = rates["bulletin"] / rates["ok"]
        print(f"ratio:          {ratio:8.1%} (target >= 15%)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
