"""``insa seed``: fill a migrated database with a synthetic government, in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, select, text

from insa.clock import utc_now
from insa.db.bulk import bulk_writer, refresh_statistics
from insa.db.locks import batch_lock
from insa.people.models import Dependent, Employee, OrgUnit, Payroll, SalaryAccount, SeedPlant
from insa.people.reference import sync_reference_data
from insa.people.service import forget_kept_lists
from insa.people.synth import SeedConfig, generate, plan
from insa.security.context import over_connection
from insa.security.crypto import RRNCipher
from insa.security.principal import Principal


class SeedError(RuntimeError):
    pass


@dataclass
class SeedReport:
    employees: int
    dependents: int
    payroll: int
    org_units: int
    plants: int
    seconds: float

    @property
    def rows(self) -> int:
        return self.employees + self.dependents + self.payroll + self.org_units + self.plants


def seed(
    engine: Engine,
    cfg: SeedConfig,
    cipher: RRNCipher,
    *,
    replace: bool = False,
    principal: Principal | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Generate and store the population. All or nothing; same seed → same people. Audited
    as ``principal`` (the operator running the command by default)."""
    t0 = time.perf_counter()
    pop = plan(cfg)
    with batch_lock(engine, PEOPLE_WRITE, "직원·부양가족 쓰기(합성 데이터 생성·가져오기)"):
        report = _seed(engine, cfg, cipher, pop, replace, principal, on_progress, t0)
        refresh_statistics(engine, BULK_TABLES, report.employees)
    forget_kept_lists()  # the units were replaced: this process's kept lists are stale
    report.seconds = time.perf_counter() - t0
    return report


BULK_TABLES = ("agencies", "org_units", "employees", "dependents", "payroll", "salary_accounts")


PEOPLE_WRITE = "people.write"  # the lock of the batches that write employees (seed, import)


def _seed(
    engine: Engine,
    cfg: SeedConfig,
    cipher: RRNCipher,
    pop: Any,
    replace: bool,
    principal: Principal | None,
    on_progress: Callable[[int, int], None] | None,
    t0: float,
) -> SeedReport:
    with engine.begin() as conn:
        existing = conn.scalar(select(func.count()).select_from(Employee)) or 0
        if existing and not replace:
            raise SeedError(
                f"the database already holds {existing:,} employees; "
                "use --replace to discard them and seed again"
            )
        if existing or replace:
            for model in (SeedPlant, Payroll, Dependent, SalaryAccount):
                conn.execute(delete(model))
            conn.execute(text("UPDATE users SET employee_id = NULL WHERE employee_id IS NOT NULL"))
            conn.execute(delete(Employee))
            conn.execute(delete(OrgUnit))
        sync_reference_data(conn, cfg.reference_date)
        writer = bulk_writer(conn)
        t = pop.tree
        writer.write(
            "org_units",
            {
                "id": t.id,
                "agency_id": t.agency_id,
                "parent_id": t.parent_id,
                "code": t.code,
                "name": t.name,
                "level": t.level,
                "sort_order": t.sort_order,
            },
        )
        counts = {"employees": 0, "dependents": 0, "payroll": 0, "plants": 0}
        done = 0
        now = writer.timestamp(utc_now())
        for chunk in generate(pop, cipher):
            counts["employees"] += writer.write("employees", chunk.employees)
            counts["dependents"] += writer.write("dependents", chunk.dependents)
            counts["payroll"] += writer.write("payroll", chunk.payroll)
            counts["plants"] += writer.write("seed_plants", chunk.plants)
            chunk.accounts["updated_at"] = [now] * len(chunk.accounts["employee_id"])
            writer.write("salary_accounts", chunk.accounts)
            done += chunk.n_employees
            if on_progress:
                on_progress(done, cfg.employees)
        writer.reset_sequences(["org_units", "employees", "dependents", "payroll", "seed_plants"])
        report = SeedReport(org_units=len(t.id), seconds=0.0, **counts)
        with over_connection(conn, principal) as ctx:
            ctx.audit(
                "people.seed",
                target_type="database",
                detail={
                    "employees": cfg.employees,
                    "seed": cfg.seed,
                    "year": cfg.year,
                    "replaced": int(existing),
                    "rows": report.rows,
                },
            )
    return report
