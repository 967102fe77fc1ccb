"""Batches that replace results never interleave: a second run of a scope refuses with a
clear message (or waits), across processes, on SQLite and PostgreSQL; a killed holder leaves
no lock behind."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from insa.db.locks import BatchBusy, batch_lock
from insa.people.models import Agency, Employee
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.yearend import settlement
from insa.yearend.models import results_table as rt
from insa.yearend.models import runs_table
from insa.yearend.settlement import SettlementError

HOLD = """
import sys, time
from insa.db.engine import get_engine
from insa.db.locks import batch_lock
with batch_lock(get_engine(), sys.argv[1], "test"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_parts_run_side_by_side_and_the_whole_excludes_them(migrated: Engine) -> None:
    with batch_lock(migrated, "x:2025:1", "기관 1", within="x:2025"):
        with batch_lock(migrated, "x:2025:2", "기관 2", within="x:2025"):  # another part: fine
            with pytest.raises(BatchBusy, match="이미 진행 중"):
                with batch_lock(migrated, "x:2025", "전체"):
                    pass
        with pytest.raises(BatchBusy):
            with batch_lock(migrated, "x:2025:1", "기관 1 again", within="x:2025"):
                pass
    with batch_lock(migrated, "x:2025", "전체"):
        with pytest.raises(BatchBusy):
            with batch_lock(migrated, "x:2025:3", "기관 3", within="x:2025"):
                pass
    # released: everything can run again; a waiting run gets the lock when the first ends
    done = threading.Event()

    def hold() -> None:
        with batch_lock(migrated, "x:2025", "전체"):
            done.wait(1.0)

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.3)
    with batch_lock(migrated, "x:2025:1", "기관 1", within="x:2025", wait=10):
        assert not t.is_alive()
    t.join()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "insa.cli", *args], capture_output=True,
                          text=True, timeout=300, env=os.environ.copy())  # fmt: skip


def test_a_second_run_in_another_process_refuses_and_a_killed_holder_frees_it(
    migrated: Engine, cipher: RRNCipher
) -> None:
    seed(migrated, SeedConfig(employees=300, seed=6, year=2025), cipher)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, "yearend.run:2025"],
                              stdout=subprocess.PIPE, text=True, env=os.environ.copy())  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = _cli("yearend", "run", "--year", "2025")
        assert r.returncode != 0 and "이미 진행 중" in r.stderr + r.stdout
        with migrated.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(runs_table)) == 0
    finally:
        holder.kill()  # kill -9: the lock must not outlive it
        holder.wait(10)
    r = _cli("yearend", "run", "--year", "2025")
    assert r.returncode == 0, r.stderr + r.stdout


def test_concurrent_runs_leave_consistent_versions(migrated: Engine, cipher: RRNCipher) -> None:
    seed(migrated, SeedConfig(employees=400, seed=8, year=2025), cipher)
    with migrated.connect() as conn:
        agency = conn.scalar(select(Employee.agency_id).group_by(Employee.agency_id)
                             .order_by(func.count().desc()).limit(1))  # fmt: skip
        assert conn.scalar(select(Agency.id).where(Agency.id == agency)) is not None
    outcomes: list[str] = []
    gate = threading.Barrier(3)

    def run(agency_id: int | None) -> None:
        gate.wait(10)
        try:
            settlement.run_settlement(migrated, 2025, agency_id=agency_id)
            outcomes.append("ran" if agency_id is None else "ran-agency")
        except SettlementError as exc:
            assert "이미 진행 중" in str(exc)
            outcomes.append("refused")

    threads = [threading.Thread(target=run, args=(a,)) for a in (None, None, agency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes) == 3 and outcomes.count("refused") in (1, 2)  # the whole runs collide
    with migrated.connect() as conn:
        runs = conn.scalar(select(func.count()).select_from(runs_table))
        versions = dict(conn.execute(select(rt.c.employee_id, rt.c.version)).all())
        mine = set(conn.scalars(select(Employee.id).where(Employee.agency_id == agency)))
    assert runs == len([o for o in outcomes if o.startswith("ran")])
    whole = outcomes.count("ran")
    others = {v for e, v in versions.items() if e not in mine}
    assert others == ({whole} if whole else set())  # no version lost, none written twice
    assert {v for e, v in versions.items() if e in mine} == {whole + outcomes.count("ran-agency")}


def test_a_second_import_waits_for_nothing_and_says_why(migrated: Engine, tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("기관코드\n", encoding="utf-8")
    with batch_lock(migrated, "people.write", "test"):
        r = _cli("people", "import", str(tmp_path / "e.csv"))
    assert r.returncode == 1 and "이미 진행 중" in r.stderr
