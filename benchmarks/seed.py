"""Benchmark: `insa seed` at full size — rows per second and peak memory, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/seed.py [--employees 400000] [--backends sqlite,postgresql]

Each backend's full seed runs in a fresh child process (so its peak RSS is its own). A second,
in-process measurement compares the bulk writer with a baseline on identical rows: SQLAlchemy
Core ``insert()`` with a list of dicts (the ordinary way), into fresh databases of each kind.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from machine import machine
from pgschema import create_schema, drop_schema


def child(url: str, employees: int) -> None:
    """Runs in the child: migrate, seed, print JSON with timings and peak RSS."""
    from insa.db.engine import make_engine
    from insa.db.migrate import upgrade
    from insa.people.seed import seed
    from insa.people.synth import SeedConfig
    from insa.security.crypto import RRNCipher

    engine = make_engine(url)
    upgrade(engine)
    report = seed(
        engine,
        SeedConfig(employees=employees, seed=2025),
        RRNCipher(os.urandom(32), os.urandom(32)),
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"rows": report.rows, "seconds": report.seconds, "peak_mb": peak, **report.__dict__}
        )
    )


def full_seed(backend: str, employees: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            schema, url = create_schema()
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", url, "--employees", str(employees)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
        finally:
            if schema:
                drop_schema(schema)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def baseline_ratio(backend: str, employees: int) -> dict[str, float]:
    """Same payroll rows, bulk writer vs SQLAlchemy Core insert(list of dicts)."""
    from insa.db.bulk import bulk_writer
    from insa.db.engine import make_engine
    from insa.db.migrate import upgrade
    from insa.domains import sync_reference_data
    from insa.people.models import Payroll
    from insa.people.synth import SeedConfig, generate, plan
    from insa.security.crypto import RRNCipher

    cfg = SeedConfig(employees=employees, seed=1, chunk_size=employees)
    pop = plan(cfg)
    chunk = next(generate(pop, RRNCipher(os.urandom(32), os.urandom(32))))
    times = {}
    for method in ("core_insert", "bulk_writer"):
        with tempfile.TemporaryDirectory() as tmp:
            schema = None
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'b.db'}"
            else:
                schema, url = create_schema()
            engine = make_engine(url)
            upgrade(engine)
            with engine.begin() as conn:
                sync_reference_data(conn)
                w = bulk_writer(conn)
                t = pop.tree
                w.write("org_units", {"id": t.id, "agency_id": t.agency_id, "parent_id": t.parent_id, "code": t.code,
                                      "name": t.name, "level": t.level, "sort_order": t.sort_order})  # fmt: skip
                w.write("employees", chunk.employees)
            rows = [
                dict(zip(chunk.payroll, r, strict=True))
                for r in zip(*chunk.payroll.values(), strict=True)
            ]
            t0 = time.perf_counter()
            with engine.begin() as conn:
                if method == "core_insert":
                    conn.execute(insert(Payroll), rows)
                else:
                    bulk_writer(conn).write("payroll", chunk.payroll)
            times[method] = time.perf_counter() - t0
            engine.dispose()
            if schema:
                drop_schema(schema)
    n = len(chunk.payroll["id"])
    return {
        "rows": n,
        "core_insert_rows_s": n / times["core_insert"],
        "bulk_rows_s": n / times["bulk_writer"],
        "speedup": times["core_insert"] / times["bulk_writer"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=400_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--baseline-employees", type=int, default=20_000)
    ap.add_argument("--child")
    a = ap.parse_args()
    if a.child:
        child(a.child, a.employees)
        return
    print(f"machine: {machine()}")
    print("| backend | employees | rows | seconds | rows/s | peak RSS MB | bulk vs Core insert |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for backend in a.backends.split(","):
        r = full_seed(backend, a.employees)
        b = baseline_ratio(backend, a.baseline_employees)
        print(
            f"| {backend} | {a.employees:,} | {int(r['rows']):,} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} "
            f"| {r['peak_mb']:,.0f} | {b['speedup']:.1f}× ({b['bulk_rows_s']:,.0f} vs {b['core_insert_rows_s']:,.0f} rows/s "
            f"on {int(b['rows']):,} payroll rows) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
