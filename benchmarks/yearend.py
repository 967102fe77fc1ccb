"""Benchmark: one-click year-end settlement of the whole government, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/yearend.py [--employees 400000] [--backends sqlite,postgresql]
                                           [--loop-sample 20000]

For each backend: a fresh database is seeded with the synthetic government and its synthetic
simplified data (not timed), then ``run_settlement`` settles everyone end to end — load from
the database, compute, store — twice (the second run replaces the first: the re-run path).
Bounds: end to end under 60 s; the computation alone under 2 s.

Baseline, in the same process on the same loaded data: a plain per-employee Python loop (the
scalar engine, one ``compute`` per employee, as a straightforward implementation would do),
timed on ``--loop-sample`` employees and reported per employee, so the ratio is
per-employee time of the loop / per-employee time of the vectorised engine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from pgschema import create_schema, drop_schema


def bench(url: str, employees: int, loop_sample: int, work: Path) -> dict[str, Any]:
    from insa.db.engine import make_engine
    from insa.db.migrate import upgrade
    from insa.people.seed import seed
    from insa.people.synth import SeedConfig
    from insa.security.crypto import RRNCipher
    from insa.yearend.batch import case_at, load_batch
    from insa.yearend.engine import settle
    from insa.yearend.nts import import_nts
    from insa.yearend.scalar import compute
    from insa.yearend.settlement import run_settlement
    from insa.yearend.synth import dependent_counts, employee_numbers, generate

    engine = make_engine(url)
    upgrade(engine)
    t = time.perf_counter()
    seed(
        engine,
        SeedConfig(employees=employees, seed=2025),
        RRNCipher(os.urandom(32), os.urandom(32)),
    )
    with engine.connect() as conn:
        numbers = employee_numbers(conn)
        dependents = dependent_counts(conn, numbers)
    nts = work / "nts.jsonl"
    generate(numbers, 2025, 2025, nts, dependents=dependents)
    t_nts = time.perf_counter()
    imp = import_nts(engine, nts)
    t_import = time.perf_counter() - t_nts
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    setup = time.perf_counter() - t

    runs = []
    for _ in range(2):
        t0 = time.perf_counter()
        r = run_settlement(engine, 2025, agency_id=None)
        runs.append(
            {
                "end_to_end_s": time.perf_counter() - t0,
                "load_s": r.load_s,
                "compute_s": r.compute_s,
                "store_s": r.store_s,
                "employees": r.employees,
                "version": r.version,
            }
        )

    with engine.connect() as conn:
        batch = load_batch(conn, 2025)
    best = min(_timed(lambda: settle(batch.cols)) for _ in range(3))
    sample = range(min(loop_sample, batch.n))
    cases = [case_at(batch, i, str(i)) for i in sample]  # building the cases is not timed
    t0 = time.perf_counter()
    for c in cases:
        compute(c)
    loop_s = time.perf_counter() - t0
    per_loop = loop_s / len(cases)
    per_vec = best / batch.n
    engine.dispose()
    return {
        "backend": engine.dialect.name,
        "employees": batch.n,
        "setup_s": setup,
        "nts_import_s": t_import,
        "nts_documents": imp.documents,
        "runs": runs,
        "compute_only_s": best,
        "loop_sample": len(cases),
        "loop_s": loop_s,
        "loop_extrapolated_s": per_loop * batch.n,
        "ratio": per_loop / per_vec,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=400_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--loop-sample", type=int, default=20_000)
    args = ap.parse_args()
    print(
        f"# machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            if backend == "sqlite":
                out = bench(
                    f"sqlite:///{work / 'bench.db'}", args.employees, args.loop_sample, work
                )
            else:
                schema, url = create_schema()
                try:
                    out = bench(url, args.employees, args.loop_sample, work)
                finally:
                    drop_schema(schema)
        print(json.dumps(out, indent=1), flush=True)


if __name__ == "__main__":
    main()
