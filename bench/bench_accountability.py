"""Benchmark proposing a province-sized year's measures (seed §四; issue #7 "Performance").

Not a test. A scratch SQLite file under /tmp holds synthetic stored facts for 30,000 villages:
about 150,000 post-years for 2025 plus the previous year's (2024) results, and a team-year per
village and year — in the shapes ``evaluation.facts.year_facts`` gives (one row per post and per
team, satisfaction as satisfied / valid ballots). Some villages are 一肩挑 (one person holds
the branch secretary and committee director posts), some posts served too briefly to be graded,
some rounds had no valid ballot, some 2024 years were not assessed, some villages started a new
term in 2025, and satisfaction lands exactly on the 60% and 50% lines now and then.

Two ways to compute the §四.1/§四.3 flags of 2025 — no honours, yellow card, resignation
demanded (per post), and the team's no honours and yellow card — on the same data, in the same
run:

- **Python path** (the product's): read the stored facts (the year, and the earlier year's rows
  that can extend a chain), build ``PostYear``/``TeamYear`` and run
  ``jiannuo.accountability.rules.assess`` with the default settings;
- **SQL baseline**: one hand-written query computing the same flags.

It checks both give identical sets, prints the times, the ratio (target: Python ≤ 2 × SQL) and
the extrapolation to 500,000 villages.

    .venv/bin/python bench/bench_accountability.py [--villages 30000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sqlite3
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings")

NATIONAL = 500_000
KINDS = ["branch_secretary", "committee_director", "committee_deputy_director", "member", "member"]
LEADERS = ("branch_secretary", "committee_director")

SCHEMA = """
CREATE TABLE post_year (
  person_id INTEGER, post_id INTEGER, post_kind TEXT, village_id INTEGER, term_id INTEGER,
  year INTEGER, assessed INTEGER, graded INTEGER, goals_met INTEGER, pledges_met INTEGER,
  satisfied INTEGER, valid INTEGER);
CREATE TABLE team_year (
  village_id INTEGER, term_id INTEGER, year INTEGER, assessed INTEGER, pledges_met INTEGER,
  goals_met INTEGER, satisfied INTEGER, valid INTEGER);
"""
INDEXES = """
CREATE INDEX py_year ON post_year (year, post_id, person_id);
CREATE INDEX py_fail ON post_year (year, pledges_met);
CREATE UNIQUE INDEX ty_year ON team_year (year, village_id);
"""


def _outcome(rng: random.Random):
    """(goals_met, pledges_met, satisfied, valid): most cadres pass; some miss goals or
    pledges; satisfaction mostly 70–100%, now and then below 60% or 50%, or exactly on a line;
    now and then no valid ballot."""
    goals = None if rng.random() < 0.005 else rng.random() > 0.03
    pledges = None if rng.random() < 0.005 else rng.random() > 0.06
    r = rng.random()
    if r < 0.005:
        return goals, pledges, 0, 0  # no valid ballot
    valid = rng.randint(20, 60)
    if r < 0.015:
        satisfied = valid * 60 // 100 if valid % 5 == 0 else valid * 59 // 100
    elif r < 0.025:
        satisfied = valid // 2 if valid % 2 == 0 else valid * 49 // 100
    elif r < 0.06:
        satisfied = rng.randint(valid * 3 // 10, valid * 65 // 100)
    else:
        satisfied = rng.randint(valid * 7 // 10, valid)
    return goals, pledges, satisfied, valid


def build(path: str, villages: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    posts, teams = [], []
    post_id = person_id = 0
    for v in range(villages):
        dual = v % 10 == 0  # 一肩挑
        new_term = v % 50 == 1  # a new term started in 2025: the chain restarts
        unassessed_2024 = v % 100 == 3
        holders = []
        for i, kind in enumerate(KINDS):
            post_id += 1
            if not (dual and i == 1):
                person_id += 1
            holders.append((person_id, post_id, kind))
        for year in (2024, 2025):
            term = 2 if (year == 2025 or not new_term) else 1
            assessed = 0 if (year == 2024 and unassessed_2024) else 1
            for person, post, kind in holders:
                graded = 0 if rng.random() < 0.02 else 1
                g, p, s, n = _outcome(rng)
                posts.append((person, post, kind, v, term, year, assessed, graded, g, p, s, n))
            g, p, s, n = _outcome(rng)
            teams.append((v, term, year, assessed, p, g, s, n))
    db.executemany("INSERT INTO post_year VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", posts)
    db.executemany("INSERT INTO team_year VALUES (?,?,?,?,?,?,?,?)", teams)
    db.executescript(INDEXES)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return len(posts) // 2


# --------------------------------------------------------------------------- the Python path

# The year is the query's parameter, so it is not read back row by row.
POST_COLS = (
    "person_id, post_id, post_kind, village_id, term_id, assessed, graded, goals_met, "
    "pledges_met, satisfied, valid"
)
TEAM_COLS = "village_id, term_id, assessed, pledges_met, goals_met, satisfied, valid"


class _Rates(dict):
    """Satisfaction by (satisfied, valid) ballots: ballot counts are small integers, so one
    ``Fraction`` per distinct pair (``None`` without a valid ballot), made on first use."""

    def __missing__(self, key):
        satisfied, valid = key
        rate = self[key] = Fraction(satisfied, valid) if valid else None
        return rate


def python_path(db: sqlite3.Connection, year: int) -> set:
    """The rules engine over the stored rows. The cyclic garbage collector is paused while
    the rows become objects (none of them forms a cycle), as a bulk loader would."""
    gc.disable()
    try:
        return _python_path(db, year)
    finally:
        gc.enable()


def _python_path(db: sqlite3.Connection, year: int) -> set:
    from jiannuo.accountability.rules import PostYear, TeamYear, assess

    flag = {0: False, 1: True, None: None}
    rates = _Rates()

    def posts(year: int, where: str = "") -> list[PostYear]:
        sql = f"SELECT {POST_COLS} FROM post_year WHERE year = ?{where}"
        return [
            PostYear(
                person, post, kind, village, term, year, flag[assessed], flag[graded],
                flag[goals], flag[pledges], rates[satisfied, valid],
            )
            for person, post, kind, village, term, assessed, graded, goals, pledges, satisfied,
                valid in db.execute(sql, (year,))
        ]  # fmt: skip

    def teams(year: int, where: str = "") -> list[TeamYear]:
        sql = f"SELECT {TEAM_COLS} FROM team_year WHERE year = ?{where}"
        return [
            TeamYear(
                village, term, year, flag[assessed], flag[pledges], rates[satisfied, valid],
                flag[goals],
            )
            for village, term, assessed, pledges, goals, satisfied, valid in db.execute(
                sql, (year,)
            )
        ]  # fmt: skip

    # Only earlier rows that can extend a chain: assessed and pledges not fulfilled.
    history = [*posts(year - 1, " AND pledges_met = 0"), *teams(year - 1, " AND pledges_met = 0")]
    outcome = assess(posts(year), teams(year), history)
    wanted = {"no_honours", "yellow_card", "resignation"}
    return {
        (p.subject, p.village_id if p.subject == "team" else p.person_id, p.post_id, p.measure)
        for p in outcome.proposals
        if p.measure in wanted
    }


# --------------------------------------------------------------------------- the SQL baseline

SQL = """
WITH cur AS (SELECT * FROM post_year WHERE year = :y),
     prev AS (SELECT * FROM post_year WHERE year = :y - 1),
     t AS (SELECT * FROM team_year WHERE year = :y),
     tp AS (SELECT * FROM team_year WHERE year = :y - 1)
SELECT 'post', c.person_id, c.post_id, 'no_honours' FROM cur c
 WHERE c.assessed AND c.graded AND c.goals_met = 0
UNION ALL
SELECT 'post', c.person_id, c.post_id, 'yellow_card' FROM cur c
 WHERE c.assessed AND c.graded
   AND (c.pledges_met = 0 OR (c.valid > 0 AND c.satisfied * 100 < 60 * c.valid))
UNION ALL
SELECT 'post', c.person_id, c.post_id, 'resignation' FROM cur c
  LEFT JOIN prev p ON p.post_id = c.post_id AND p.person_id = c.person_id
  LEFT JOIN t ON t.village_id = c.village_id
  LEFT JOIN tp ON tp.village_id = c.village_id
 WHERE c.graded AND (
       (c.assessed AND c.pledges_met = 0 AND p.assessed AND p.graded AND p.pledges_met = 0
        AND p.term_id = c.term_id)
    OR (c.assessed AND c.valid > 0 AND c.satisfied * 100 < 50 * c.valid)
    OR (c.post_kind IN ('branch_secretary', 'committee_director') AND t.assessed AND (
           (t.pledges_met = 0 AND tp.assessed AND tp.pledges_met = 0 AND tp.term_id = t.term_id)
        OR (t.valid > 0 AND t.satisfied * 100 < 50 * t.valid))))
UNION ALL
SELECT 'team', t.village_id, NULL, 'no_honours' FROM t WHERE t.assessed AND t.goals_met = 0
UNION ALL
SELECT 'team', t.village_id, NULL, 'yellow_card' FROM t
 WHERE t.assessed AND (t.pledges_met = 0 OR (t.valid > 0 AND t.satisfied * 100 < 60 * t.valid))
"""


def sql_path(db: sqlite3.Connection, year: int) -> set:
    return set(db.execute(SQL, {"y": year}).fetchall())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--villages", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()

    with tempfile.TemporaryDirectory(prefix="jn_bench_acc_") as tmp:
        path = str(Path(tmp) / "facts.sqlite3")
        started = time.perf_counter()
        posts = build(path, args.villages)
        print(
            f"scratch database {path}: {args.villages:,} villages, {posts:,} posts a year, "
            f"2 years, built in {time.perf_counter() - started:.1f} s"
        )
        db = sqlite3.connect(path)
        py_times, sql_times = [], []
        py = sq = None
        # CPU time of this process (SQLite runs in it): the machine's other load does not
        # count; wall-clock times are printed too.
        for _ in range(args.repeat):
            w0, t0 = time.perf_counter(), time.process_time()
            sq = sql_path(db, 2025)
            sql_times.append((time.process_time() - t0, time.perf_counter() - w0))
            w0, t0 = time.perf_counter(), time.process_time()
            py = python_path(db, 2025)
            py_times.append((time.process_time() - t0, time.perf_counter() - w0))
        db.close()
    if py != sq:
        print("MISMATCH:", len(py - sq), "only in Python,", len(sq - py), "only in SQL")
        print(" e.g.", sorted(py - sq, key=str)[:5], sorted(sq - py, key=str)[:5])
        sys.exit(1)
    (py_t, py_w), (sql_t, sql_w) = min(py_times), min(sql_times)
    ratio = py_t / sql_t
    counts: dict[str, int] = {}
    for flag in py:
        counts[f"{flag[0]}.{flag[3]}"] = counts.get(f"{flag[0]}.{flag[3]}", 0) + 1
    print(f"identical results: {len(py):,} flags {dict(sorted(counts.items()))}")
    print(f"SQL baseline   : {sql_t:.2f} s CPU, {sql_w:.2f} s wall (best of {args.repeat})")
    print(f"Python (rules) : {py_t:.2f} s CPU, {py_w:.2f} s wall (best of {args.repeat})")
    print(f"ratio (CPU)    : {ratio:.2f} x  (target <= 2.0: {'OK' if ratio <= 2 else 'MISSED'})")
    print(f"ratio (wall)   : {py_w / sql_w:.2f} x")
    scale = NATIONAL / args.villages
    print(
        f"national ({NATIONAL:,} villages, linear): Python {py_t * scale:.0f} s, "
        f"SQL {sql_t * scale:.0f} s"
    )


if __name__ == "__main__":
    main()
