"""Benchmark phone ballot intake over HTTP against the same work in raw psycopg (issue #6).

Not a test. On PostgreSQL (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/jn_bench_ballots
— created and migrated when missing) it builds a village with an open phone round, its voters
present and as many one-time codes issued (bearer slips, stored as SHA-256 digests, issue #12),
then alternates, in ``--slices`` slices (the machine's load drifts):

1. HTTP: the project served the way ``jiannuo serve`` serves it (``jiannuo.cli._run_gunicorn``:
   the product's gunicorn configuration and WSGI application, ``--workers`` defaulting to the
   command's own default, no CPU pinning — the server, like PostgreSQL on the raw side, gets
   every core), loaded by ``wrk`` (Debian package ``wrk``; RECIPES.md) pinned to core 0 with
   ``--clients`` keep-alive connections for ``--seconds`` per slice; each request posts one
   ballot sheet with a fresh code to ``POST /api/v1/evaluation/rounds/<id>/ballots``: the whole
   path — WSGI, the host check, JSON and schema validation, the code's digest, the one statement
   that spends the code and inserts the ballot. Every response must be 201 (a refused sheet
   stops the bench), and the ballots counted in the database must match.
2. Raw psycopg, same run, same database, same number of connections (Python threads pinned to
   core 0): ``--ballots`` per slice, the product's own statement (``services._CAST_SQL``: the
   round checked and locked in share mode, the code spent, the ballot inserted — one statement,
   its own transaction), prepared, in autocommit, with the code's digest computed in the loop.
   This is the floor for the same work: no framework, no HTTP.

At the end it times what closing the round adds since issue #12: rewriting every ballot and
code of the round in random order (``services._reshuffle``) and counting the ballots, in one
transaction that is rolled back.

``--python-client`` loads the HTTP side from Python ``http.client`` threads instead of wrk (the
setup of the first figures in docs/benchmarks.md); the Python client spends about 0.2 ms of
the machine's two cores per request that the server then lacks.

Prints both rates and the ratio (target: HTTP ≥ 35% of raw).

    .venv/bin/python bench/bench_ballots.py [--seconds 2] [--ballots 3000] [--clients 4]
                                            [--slices 4] [--workers N] [--python-client]
                                            [--port 8766]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
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
    from jiannuo.evaluation import services
    from jiannuo.evaluation.models import BallotCode, Round, Target, Voter
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
    Voter.objects.bulk_create(Voter(round=rnd, person=p, present=True) for p in people)
    codes = {services.code_digest(c): c for c in (services._new_code() for _i in range(n_codes))}
    BallotCode.objects.bulk_create(
        (BallotCode(digest=d, round=rnd) for d in sorted(codes)), batch_size=5000
    )
    return rnd.pk, [t.pk for t in targets], list(codes.values())


def python_intake(round_id, targets, codes, clients):
    """``len(codes)`` sheets from ``clients`` Python keep-alive connections; ballots per second."""
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


#: wrk script: each request posts the next unused code; the codes come from a file, one a line.
WRK_SCRIPT = r"""
local codes, n, path, choices = {}, 0, nil, nil
function init(args)
  path, choices = args[1], args[3]
  for line in io.lines(args[2]) do table.insert(codes, line) end
end
function request()
  n = n + 1
  local code = codes[n] or "out-of-codes"
  return wrk.format("POST", path, {["Content-Type"] = "application/json"},
    '{"code": "' .. code .. '", "choices": ' .. choices .. '}')
end
function done(summary, latency, requests)
  io.write(string.format("JN %d %d %d %d\n", summary.requests, summary.duration,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def wrk_intake(round_id, targets, codes, clients, seconds, workdir):
    """wrk on core 0 for ``seconds``; ``(sheets accepted, ballots per second)``."""
    script, code_file = workdir / "ballots.lua", workdir / "codes.txt"
    script.write_text(WRK_SCRIPT)
    code_file.write_text("\n".join(codes) + "\n")
    choices = json.dumps({str(t): "satisfied" for t in targets})
    out = subprocess.run(
        ["taskset", "-c", "0", "wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds}s",
         "-s", str(script), f"http://127.0.0.1:{PORT}/",
         "--", f"/api/v1/evaluation/rounds/{round_id}/ballots", str(code_file), choices],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(row for row in out.splitlines() if row.startswith("JN "))
    requests, micros, bad_status, socket_errors = map(int, line.split()[1:])
    if bad_status or socket_errors:
        raise SystemExit(
            f"wrk: {bad_status} refused sheets, {socket_errors} socket errors "
            f"(out of codes? raise the code stock or lower --seconds)\n{out}"
        )
    return requests, requests / (micros / 1e6)


def raw_intake(url, round_id, targets, codes, clients):
    """The product's own statement (``services._CAST_SQL``: spend the code and insert the ballot,
    one statement, its own transaction), prepared, from raw psycopg in autocommit."""
    import hashlib

    import psycopg
    from psycopg.types.json import Jsonb

    from jiannuo.evaluation import services

    os.sched_setaffinity(0, {0})
    sql = services._CAST_SQL["postgresql"].format(
        round='"evaluation_round"', code='"evaluation_ballotcode"', target='"evaluation_target"',
        ballot='"evaluation_ballot"', same_round=" AND id = %(round_id)s",
    )  # fmt: skip
    chunks = [codes[i::clients] for i in range(clients)]
    choices = {str(t): "satisfied" for t in sorted(targets)}

    def client(chunk):
        with psycopg.connect(url, autocommit=True) as conn:
            for code in chunk:
                params = {
                    "digest": hashlib.sha256(code.encode()).hexdigest(), "open": "open", "round_id": round_id, "id": uuid.uuid4(),
                    "choices": Jsonb(choices), "used": Jsonb(["satisfied"]),
                    "targets": sorted(targets),
                }  # fmt: skip
                cur = conn.execute(sql, params, prepare=True)
                assert cur.rowcount == 1

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


def ballots_in(round_id) -> int:
    from jiannuo.evaluation.models import Ballot

    return Ballot.objects.filter(round_id=round_id).count()


def close_cost(round_id) -> tuple[int, float]:
    """Seconds to rewrite the round's ballots and codes in random order and count the ballots,
    as ``round_close`` does, in a transaction that is rolled back."""
    from django.db import transaction

    from jiannuo.evaluation import services
    from jiannuo.evaluation.models import Round

    rnd = Round.objects.get(pk=round_id)
    start = time.perf_counter()
    with transaction.atomic():
        n = services._reshuffle(rnd)
        services.phone_counts(rnd)
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return n, elapsed


def main() -> None:
    global PORT
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=2, help="wrk time per HTTP slice")
    parser.add_argument("--ballots", type=int, default=3000, help="raw ballots per slice")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--slices", type=int, default=4, help="alternations HTTP / raw")
    parser.add_argument(
        "--workers", type=int, default=serve_workers(),
        help="gunicorn workers (default: what `jiannuo serve` starts)",
    )  # fmt: skip
    parser.add_argument(
        "--python-client", action="store_true", help="load HTTP from Python, not wrk"
    )
    parser.add_argument(
        "--stock", type=int, default=6000, help="codes per HTTP slice and second (wrk)"
    )
    parser.add_argument("--port", type=int, default=PORT, help="the server's port")
    args = parser.parse_args()
    PORT = args.port
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    db = os.environ["DATABASE_URL"]
    if not db.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    if not args.python_client and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (or pass --python-client)")
    ensure_database(db)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    per_http = args.ballots if args.python_client else int(args.seconds * args.stock)
    warm_n = 200
    round_id, targets, codes = build_round(warm_n + args.slices * (per_http + args.ballots))
    from django.db import connection

    connection.close()
    warm, codes = codes[:warm_n], codes[warm_n:]
    http_codes = [codes[i * per_http : (i + 1) * per_http] for i in range(args.slices)]
    codes = codes[args.slices * per_http :]
    raw_codes = [codes[i * args.ballots : (i + 1) * args.ballots] for i in range(args.slices)]

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [
        sys.executable, "-c",
        "import sys; from jiannuo import cli; cli._setup(None); "
        "cli._run_gunicorn('127.0.0.1', int(sys.argv[1]), int(sys.argv[2]))",
        str(PORT), str(args.workers),
    ]  # fmt: skip
    server = subprocess.Popen(
        cmd, cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.DEVNULL
    )
    try:
        wait_ready(f"http://127.0.0.1:{PORT}/api/v1/openapi.json")
        python_intake(round_id, targets, warm, 1)  # warm-up, counted in neither rate
        http_n = http_time = raw_n = raw_time = 0.0
        with tempfile.TemporaryDirectory() as workdir:
            for i in range(args.slices):
                before = ballots_in(round_id)
                if args.python_client:
                    n, rate = (
                        len(http_codes[i]),
                        python_intake(round_id, targets, http_codes[i], args.clients),
                    )
                else:
                    n, rate = wrk_intake(
                        round_id, targets, http_codes[i], args.clients, args.seconds,
                        Path(workdir),
                    )  # fmt: skip
                counted = ballots_in(round_id) - before
                if abs(counted - n) > args.clients:  # wrk drops replies in flight at its end
                    raise SystemExit(f"{n} sheets accepted over HTTP but {counted} ballots")
                http_n, http_time = http_n + n, http_time + n / rate
                connection.close()
                part = raw_codes[i]
                raw_n += len(part)
                raw_time += len(part) / raw_intake(db, round_id, targets, part, args.clients)
        http_rate, raw_rate = http_n / http_time, raw_n / raw_time
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    client = "Python http.client threads" if args.python_client else "wrk"
    print(f"{args.slices} slices; {args.clients} client connections on core 0 ({client})")
    print(f"HTTP (jiannuo serve: gunicorn {args.workers} workers, unpinned)")
    print(f"                                    {http_rate:8.1f} ballots/s  ({http_n:.0f})")
    print(f"raw psycopg, the same statement:    {raw_rate:8.1f} ballots/s  ({raw_n:.0f})")
    print(f"ratio:                              {http_rate / raw_rate:8.1%} (target >= 35%)")
    n, seconds = close_cost(round_id)
    print(f"closing: reshuffle and count {n} ballots: {seconds:.2f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
