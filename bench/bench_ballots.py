"""Benchmark phone ballot intake over HTTP against the same inserts in raw psycopg (issue #6).

Not a test. On PostgreSQL (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/jn_bench_ballots
— created and migrated when missing) it builds a village with an open phone round of
``--ballots`` × 2 voters, each with a one-time code, then:

1. HTTP: serves the project the way ``jiannuo serve`` does (``jiannuo.cli._run_gunicorn``: the
   product's gunicorn configuration, gthread workers × 4 threads, ``--workers`` defaulting to the
   command's own default) with no CPU pinning — the server, like PostgreSQL on the raw side,
   gets every core — and posts one ballot sheet per code to
   ``POST /api/v1/evaluation/rounds/<id>/ballots`` from ``--clients`` keep-alive connections (a
   Python client pinned to core 0): the full path — middleware, JSON validation, the code check,
   the conditional UPDATE and the ballot INSERT in one transaction.
2. Raw psycopg, same run, same database, same number of client connections: for the other half of
   the codes, the same statements in one transaction per ballot (round state FOR SHARE, the
   conditional UPDATE of the code, the INSERT of the ballot).

The two sides alternate in ``--slices`` slices (default 4), since the machine's load drifts and
moves the ratio a lot: the raw side waits on commits, the HTTP side on CPU.

Prints both rates and the ratio (target: HTTP ≥ 35% of raw).

    .venv/bin/python bench/bench_ballots.py [--ballots 2000] [--clients 4] [--workers N]
                                            [--pin CPUS]  # e.g. --workers 1 --pin 1: the old setup
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/jn_bench_ballots"
PORT = 8766

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def build_round(n_codes: int):
    """A fresh village with a signed 2026 team letter and an open phone round of ``n_codes``."""
    from datetime import date

    from django.utils import timezone

    from jiannuo.core.system import system_user
    from jiannuo.evaluation.models import Round, Target, Voter
    from jiannuo.organisation import services as org
    from jiannuo.organisation.models import Person, Term, Unit

    system = system_user()
    stamp = uuid.uuid4().hex[:6]
    district = Unit.objects.filter(kind=Unit.DISTRICT).first() or org.unit_create(
        actor=system, kind=Unit.DISTRICT, name="基准区", code="BBD"
    )
    township = org.unit_create(
        actor=system, kind=Unit.TOWNSHIP, name=f"基准镇{stamp}", code=f"BT{stamp}",
        parent=district,
    )  # fmt: skip
    village = org.unit_create(
        actor=system, kind=Unit.VILLAGE, name=f"基准村{stamp}", code=f"BV{stamp}", parent=township
    )
    term = Term.objects.filter(district=district).first() or org.term_create(
        actor=system, district=district, name="2021—2026年届", start=date(2021, 1, 1),
        end=date(2026, 12, 31),
    )  # fmt: skip
    rnd = Round.objects.create(
        village=village, term=term, year=2026, method=Round.PHONE, state=Round.OPEN,
        meeting_kind="representatives_meeting",
        options=["satisfied", "basically_satisfied", "dissatisfied", "abstain"],
        eligible=n_codes, present=n_codes, created_by=system, opened_at=timezone.now(),
    )  # fmt: skip
    targets = Target.objects.bulk_create(
        Target(round=rnd, label=label, position=n)
        for n, label in enumerate(["村班子", "书记", "主任", "委员甲", "委员乙"])
    )
    people = Person.objects.bulk_create(
        Person(village=village, name=f"代表{i:05d}", phone=f"13{i:09d}") for i in range(n_codes)
    )
    Voter.objects.bulk_create(
        Voter(round=rnd, person=p, present=True, code=f"{stamp}{i:06d}")
        for i, p in enumerate(people)
    )
    codes = [f"{stamp}{i:06d}" for i in range(n_codes)]
    return rnd.pk, [t.pk for t in targets], codes


def http_intake(round_id, targets, codes, clients):
    import http.client

    os.sched_setaffinity(0, {0})
    chunks = [codes[i::clients] for i in range(clients)]
    errors = []

    def client(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", PORT)
        for code in chunk:
            body = json.dumps({"code": code, "choices": {str(t): "satisfied" for t in targets}})
            conn.request(
                "POST", f"/api/v1/evaluation/rounds/{round_id}/ballots", body,
                {"Content-Type": "application/json"},
            )  # fmt: skip
            r = conn.getresponse()
            r.read()
            if r.status != 201:
                errors.append(r.status)

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"HTTP intake: {len(errors)} errors, e.g. {errors[:3]}")
    return len(codes) / elapsed


def raw_intake(url, round_id, targets, codes, clients):
    import psycopg
    from psycopg.types.json import Jsonb

    os.sched_setaffinity(0, {0})
    with psycopg.connect(url) as conn:
        ids = dict(
            conn.execute(
                "SELECT code, id FROM evaluation_voter WHERE round_id = %s", [round_id]
            ).fetchall()
        )
    chunks = [codes[i::clients] for i in range(clients)]
    choices = {str(t): "satisfied" for t in targets}

    def client(chunk):
        with psycopg.connect(url) as conn:
            for code in chunk:
                with conn.transaction():
                    conn.execute(
                        "SELECT state FROM evaluation_round WHERE id = %s FOR SHARE", [round_id]
                    )
                    cur = conn.execute(
                        "UPDATE evaluation_voter SET used = true WHERE id = %s AND used = false",
                        [ids[code]],
                    )
                    assert cur.rowcount == 1
                    conn.execute(
                        "INSERT INTO evaluation_ballot (id, round_id, choices) VALUES (%s, %s, %s)",
                        [uuid.uuid4(), round_id, Jsonb(choices)],
                    )

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(codes) / (time.perf_counter() - start)


def serve_workers() -> int:
    """The worker count `jiannuo serve` starts with when not told otherwise."""
    from jiannuo import cli

    parser = argparse.ArgumentParser()
    cli._server_args(parser)
    return parser.parse_args([]).workers


def wait_ready(url: str, timeout: float = 30) -> None:
    import urllib.request

    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer {url}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--slices", type=int, default=4, help="alternations HTTP / raw")
    parser.add_argument(
        "--workers", type=int, default=serve_workers(),
        help="gunicorn workers (default: what `jiannuo serve` starts)",
    )  # fmt: skip
    parser.add_argument(
        "--pin", default=None, help="taskset CPU list for the server (default: none)"
    )
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
    round_id, targets, codes = build_round(2 * args.ballots)
    from django.db import connection

    connection.close()
    http_codes, raw_codes = codes[: args.ballots], codes[args.ballots :]

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [
        sys.executable, "-c",
        "import sys; from jiannuo import cli; cli._setup(None); "
        "cli._run_gunicorn('127.0.0.1', int(sys.argv[1]), int(sys.argv[2]))",
        str(PORT), str(args.workers),
    ]  # fmt: skip
    if args.pin is not None:
        cmd = ["taskset", "-c", args.pin, *cmd]
    server = subprocess.Popen(
        cmd, cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.DEVNULL
    )
    try:
        wait_ready(f"http://127.0.0.1:{PORT}/api/v1/openapi.json")
        # Warm-up: a few ballots from the HTTP half (counted in neither rate).
        warm, http_codes = http_codes[:50], http_codes[50:]
        http_intake(round_id, targets, warm, 1)
        # The machine is shared and its load drifts: alternate the two sides in --slices
        # slices so that both see the same conditions; each rate is its ballots over its time.
        http_time = raw_time = 0.0
        for i in range(args.slices):
            part = http_codes[i :: args.slices]
            http_time += len(part) / http_intake(round_id, targets, part, args.clients)
            part = raw_codes[i :: args.slices]
            raw_time += len(part) / raw_intake(db, round_id, targets, part, args.clients)
        http_rate, raw_rate = len(http_codes) / http_time, len(raw_codes) / raw_time
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    print(f"{args.ballots} ballots each, {args.clients} client connections on core 0")
    where = f"on cores {args.pin}" if args.pin else "unpinned"
    print(f"HTTP (jiannuo serve: gunicorn {args.workers} workers × 4 threads, {where})")
    print(f"                                    {http_rate:8.1f} ballots/s")
    print(f"raw psycopg, same statements:       {raw_rate:8.1f} ballots/s")
    print(f"ratio:                              {http_rate / raw_rate:8.1%} (target >= 35%)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
