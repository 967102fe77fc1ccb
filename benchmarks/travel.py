"""Benchmark: settle 1,750,000 trips from the database (issue 6: under 60 s).

    .venv/bin/python benchmarks/travel.py [--trips 1750000] [--employees 20000] [--postgres]
                                          [--sample 20000] [--verify 2000] [--keep DIR [--reuse]]

Each backend runs in a fresh process. A child of it (not timed, not counted in the peak
memory) migrates a fresh database, seeds ``--employees`` synthetic employees and inserts
``--trips`` synthetic trips with their nights and tickets (``insa.travel.synth``, progress
bar). Then, in the backend's process:
``settle_all`` end to end from the database — load (four queries) and the vectorised compute —
for the trips approved, settled or paid (the default) and for every trip.

Baseline in the same process: the scalar engine ``compute()`` in a Python loop on ``--sample``
trips rebuilt from the database (building the cases is not timed; the rebuild-and-compute path
is timed separately), extrapolated to every trip. ``--verify`` random trips are checked: the
batch equals the scalar engine to the won, flags included. ``--postgres`` repeats everything
on a throw-away schema of the local PostgreSQL (127.0.0.1:5432, database ``test``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from machine import machine
from pgschema import create_schema, drop_schema

BOUND_S = 60.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def populate(url: str, trips: int, employees: int, seed: int, chunk: int) -> dict[str, Any]:
    """In the child: migrate, seed employees, synthesize and insert the trips."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy import text

    from insa.db.engine import make_engine
    from insa.db.migrate import upgrade
    from insa.people.seed import seed as seed_people
    from insa.people.synth import SeedConfig
    from insa.security.crypto import RRNCipher
    from insa.travel.synth import insert_trips, synth_trips, trip_employees

    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    seed_people(
        engine,
        SeedConfig(employees=employees, seed=seed),
        RRNCipher(os.urandom(32), os.urandom(32)),
    )
    seed_s = time.perf_counter() - t0
    with engine.connect() as conn:
        people = trip_employees(conn, dt.date(2025, 1, 1))
    counts = {"trips": 0, "nights": 0, "tickets": 0}
    synth_s = insert_s = 0.0
    columns = (
        TextColumn("[bold]출장 생성·저장[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress, engine.begin() as conn:
        task = progress.add_task(url.split(":")[0], total=trips)
        for i, lo in enumerate(range(0, trips, chunk)):
            n = min(chunk, trips - lo)
            t = time.perf_counter()
            rows = synth_trips(n, people, seed=[seed, i], year=2025)
            synth_s += time.perf_counter() - t
            t = time.perf_counter()
            insert_trips(conn, rows, chunk=n)
            insert_s += time.perf_counter() - t
            counts["trips"] += rows.n
            counts["nights"] += len(rows.nights["trip_id"])
            counts["tickets"] += len(rows.tickets["trip_id"])
            progress.advance(task, n)
        t = time.perf_counter()
        for table in ("travel_trips", "travel_nights", "travel_tickets"):
            conn.execute(text(f"ANALYZE {table}"))
        insert_s += time.perf_counter() - t
    engine.dispose()
    return {
        "employees": len(people),
        **counts,
        "seed_s": seed_s,
        "synth_s": synth_s,
        "insert_s": insert_s,
        "child_peak_rss_mb": _rss_mb(),
    }


def bench(url: str, args: argparse.Namespace, *, populate_db: bool = True) -> dict[str, Any]:
    from insa.db.engine import make_engine
    from insa.travel.batch import AMOUNTS, flag_summary, scalar_cases, scalar_settle, settle_all
    from insa.travel.compute import compute

    made: dict[str, Any] = {"reused": url}
    if populate_db:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            made = pool.submit(
                populate, url, args.trips, args.employees, args.seed, args.chunk
            ).result()
    engine = make_engine(url)
    rss_before = _rss_mb()

    runs = []
    for states in ("default", "all"):
        t0 = time.perf_counter()
        res = settle_all(
            engine, states=None if states == "all" else ("approved", "settled", "paid")
        )
        wall = time.perf_counter() - t0
        runs.append({"states": states, "trips": res.n, "wall_s": wall, "load_s": res.load_s,
                     "compute_s": res.compute_s, "invalid": res.invalid,
                     "multi_day_within": res.multi_day_within, **res.counts})  # fmt: skip
    rss_settle = _rss_mb()
    pos = {int(t): i for i, t in enumerate(res.trip_id)}
    ids = res.trip_id.tolist()

    # verification: a random sample, batch against the scalar engine
    rng = random.Random(args.seed)
    sample = rng.sample(ids, min(args.verify, len(ids)))
    with engine.connect() as conn:
        ref = scalar_settle(conn, sample)
    mismatches = 0
    for tid, want in ref.items():
        row = res.row(pos[tid])
        got = (*(row[k] for k in AMOUNTS), row["flags"], row["refunded"], row["first_class"],
               row["over_cap"])  # fmt: skip
        exp = (
            (*(want[k] for k in AMOUNTS), *flag_summary(want["flags"]))
            if want is not None
            else (0, 0, 0, 0, 0, 1, 0, 0, 0)
        )
        mismatches += got != exp

    # baseline: the scalar engine, one trip at a time
    base_ids = rng.sample(ids, min(args.sample, len(ids)))
    t0 = time.perf_counter()
    with engine.connect() as conn:
        rebuilt = scalar_settle(conn, base_ids)  # rebuild from the database and compute
    rebuild_s = time.perf_counter() - t0
    with engine.connect() as conn:
        cases = [c for c in scalar_cases(conn, base_ids).values() if c is not None]  # not timed
    t0 = time.perf_counter()
    for c in cases:
        compute(c)
    loop_s = time.perf_counter() - t0
    assert len(rebuilt) == len(cases)
    n = res.n
    engine.dispose()
    return {
        "backend": url.split(":")[0].split("+")[0],
        "populate": made,
        "runs": runs,
        "verify_sample": len(ref),
        "mismatches": mismatches,
        "loop_sample": len(cases),
        "loop_s": loop_s,
        "loop_extrapolated_s": loop_s / len(cases) * n,
        "rebuild_and_loop_s": rebuild_s,
        "rebuild_extrapolated_s": rebuild_s / len(cases) * n,
        "rss_before_mb": rss_before,
        "rss_after_settle_mb": rss_settle,
        "peak_rss_mb": _rss_mb(),
    }


def _isolated(url: str, args: argparse.Namespace, populate_db: bool) -> dict[str, Any]:
    """One backend in a fresh process, so that its peak RSS is its own."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        out: dict[str, Any] = pool.submit(bench, url, args, populate_db=populate_db).result()
    return out


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| backend, trips | settled | nights | tickets | end to end (load + compute) | "
        "scalar `compute()` loop, extrapolated | ratio | scalar rebuild from DB + loop, "
        "extrapolated | ratio | verified | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        per_loop = r["loop_s"] / r["loop_sample"]
        per_rebuild = r["rebuild_and_loop_s"] / r["loop_sample"]
        for run in r["runs"]:
            n = run["trips"]
            lines.append(
                f"| {r['backend']}, {run['states']} | {n:,} | {run['nights']:,} | "
                f"{run['tickets']:,} | {run['wall_s']:.1f} s ({run['load_s']:.1f} + "
                f"{run['compute_s']:.2f}) | {per_loop * n:.1f} s | "
                f"{per_loop * n / run['compute_s']:.0f}× compute | {per_rebuild * n:.0f} s | "
                f"{per_rebuild * n / run['wall_s']:.0f}× | {r['verify_sample']:,}, "
                f"{r['mismatches']} differ | {r['rss_after_settle_mb']:,.0f} MB |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trips", type=int, default=1_750_000)
    ap.add_argument("--employees", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--sample", type=int, default=20_000, help="trips in the scalar baseline")
    ap.add_argument("--verify", type=int, default=2_000, help="trips checked against compute()")
    ap.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    ap.add_argument("--keep", type=Path, help="keep the SQLite database in this folder")
    ap.add_argument("--reuse", action="store_true", help="with --keep: reuse a kept database")
    args = ap.parse_args()
    print(f"# machine: {machine()}", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "travel-bench.db"
        reuse = args.reuse and args.keep is not None and db.exists()
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        results.append(_isolated(f"sqlite:///{db}", args, not reuse))
    if args.postgres:
        schema, url = create_schema()
        try:
            results.append(_isolated(url, args, True))
        finally:
            drop_schema(schema)
    for r in results:
        print(json.dumps(r, indent=1, default=str), flush=True)
    print()
    print(table(results))
    best = min(run["wall_s"] for r in results for run in r["runs"] if run["states"] == "default")
    print(
        f"\nbound: under {BOUND_S:.0f} s from the database — {'met' if best < BOUND_S else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
