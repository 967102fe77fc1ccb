"""One-click settlement over the database: load everyone as columns, settle, store.

A scope is loaded as columns (:mod:`insa.yearend.batch`), settled in one pass by the
vectorised engine and written back with the bulk writer. A run replaces its scope's previous
results in one transaction: readers see the old results or the new ones, never a mix.
:func:`explain` settles one employee with the scalar engine, every line, beside the stored
result.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.orm import Session

from insa.codes import RELATION_LABELS
from insa.db.bulk import bulk_writer
from insa.db.locks import BatchBusy, batch_lock
from insa.people.models import Employee
from insa.security.context import over_connection
from insa.security.principal import Principal
from insa.yearend.batch import I64, RELATION_NAMES, Batch, case_at, load_batch
from insa.yearend.engine import settle
from insa.yearend.models import RESULT_AMOUNTS, runs_table
from insa.yearend.models import results_table as rt
from insa.yearend.schemas import Case

Progress = Callable[[str, int, int], None]


@dataclass
class RunReport:
    run_id: int
    tax_year: int
    agency_id: int | None
    version: int
    employees: int
    determined_tax: int
    balance_income_tax: int
    balance_local_tax: int
    refunds: int
    load_s: float
    compute_s: float
    store_s: float

    @property
    def total_s(self) -> float:
        return self.load_s + self.compute_s + self.store_s


class SettlementError(RuntimeError):
    pass


def run_settlement(
    engine: Engine,
    year: int,
    *,
    agency_id: int | None,
    principal: Principal | None = None,
    on_progress: Progress | None = None,
) -> RunReport:
    """Settle everyone in scope and replace the scope's results, all in one transaction.
    The run is recorded and audited as ``principal`` (the operator running the command by
    default)."""
    actor = principal or Principal.command_line()

    def step(name: str, done: int) -> None:
        if on_progress:
            on_progress(name, done, 4)

    started = dt.datetime.now(dt.UTC)
    whole = f"yearend.run:{year}"
    scope = whole if agency_id is None else f"{whole}:{agency_id}"
    try:
        with batch_lock(engine, scope, f"{year}년 연말정산",
                        within=None if agency_id is None else whole):  # fmt: skip
            return _run(engine, year, agency_id, actor, started, step)
    except BatchBusy as exc:
        raise SettlementError(f"{exc} / another settlement of this scope is running") from None


def _run(
    engine: Engine,
    year: int,
    agency_id: int | None,
    actor: Principal,
    started: dt.datetime,
    step: Callable[[str, int], None],
) -> RunReport:
    with engine.begin() as conn:
        t0 = time.perf_counter()
        step("급여·부양가족·간소화 자료 읽기", 0)
        batch = load_batch(conn, year, agency_id=agency_id)
        if batch.n == 0:
            raise SettlementError(
                f"{year}년 급여 자료가 없어 정산할 직원이 없습니다 / no payroll in {year} for this scope: nothing to settle"
            )
        t1 = time.perf_counter()
        step("세액 계산", 1)
        out = settle(batch.cols)
        t2 = time.perf_counter()
        step("결과 저장", 2)
        report = _store(
            conn, batch, out, year, agency_id, actor.username, started, t1 - t0, t2 - t1
        )
        t3 = time.perf_counter()
        step("감사 기록·확정", 3)
        report.store_s = t3 - t2
        conn.execute(
            runs_table.update()
            .where(runs_table.c.id == report.run_id)
            .values(store_ms=int(report.store_s * 1000), finished_at=dt.datetime.now(dt.UTC))
        )
        with over_connection(conn, actor) as ctx:
            ctx.audit(
                "yearend.run",
                target_type="yearend_run",
                target_id=report.run_id,
                agency_id=agency_id,
                detail={"tax_year": year, "employees": report.employees, "version": report.version},
            )
        step("완료", 4)
    return report


def _versions(conn: Connection, batch: Batch, scope: Any) -> I64:
    """The result version of each employee of the batch: one more than the stored one."""
    prev = conn.execute(select(rt.c.employee_id, rt.c.version).where(scope)).all()
    version = np.ones(batch.n, dtype=np.int64)
    if prev:
        p = np.asarray(prev, dtype=np.int64)
        order = np.argsort(p[:, 0])
        pe, pv = p[order, 0], p[order, 1]
        pos = np.searchsorted(pe, batch.employee_id)
        hit = (pos < len(pe)) & (pe[np.minimum(pos, len(pe) - 1)] == batch.employee_id)
        version[hit] = pv[pos[hit]] + 1
    return version


def _store(
    conn: Connection,
    batch: Batch,
    out: dict[str, I64],
    year: int,
    agency_id: int | None,
    actor: str,
    started: dt.datetime,
    load_s: float,
    compute_s: float,
) -> RunReport:
    scope = rt.c.tax_year == year
    if agency_id is not None:
        in_agency = select(Employee.id).where(Employee.agency_id == agency_id)
        # the agency's current members (one who moved out keeps the old agency's result until
        # the new agency settles them)
        scope = scope & rt.c.employee_id.in_(in_agency)
    version = _versions(conn, batch, scope)
    runs = runs_table
    # a run is labelled with the highest result version it wrote (what its people see)
    run_version = int(version.max())
    now = dt.datetime.now(dt.UTC)
    totals = {
        "determined_tax": int(out["determined_tax"].sum()),
        "balance_income_tax": int(out["balance_income_tax"].sum()),
        "balance_local_tax": int(out["balance_local_tax"].sum()),
        "refunds": int((out["balance_income_tax"] < 0).sum()),
    }
    key = conn.execute(
        insert(runs).values(
            tax_year=year, agency_id=agency_id, version=run_version, employees=batch.n,
            actor=actor, started_at=started, finished_at=now, load_ms=int(load_s * 1000),
            compute_ms=int(compute_s * 1000), store_ms=0, **totals,
        )
    ).inserted_primary_key  # fmt: skip
    assert key is not None
    run_id = int(key[0])
    conn.execute(delete(rt).where(scope))
    columns: dict[str, Any] = {
        "run_id": [run_id] * batch.n,
        "employee_id": batch.employee_id.tolist(),
        "agency_id": batch.agency_id.tolist(),
        "tax_year": [year] * batch.n,
        "version": version.tolist(),
        "method": np.where(out["standard_method"] == 1, "standard", "itemized").tolist(),
    }
    for name in RESULT_AMOUNTS:
        columns[name] = out[name].tolist()
    bulk_writer(conn).write(rt.name, columns)
    return RunReport(
        run_id=int(run_id), tax_year=year, agency_id=agency_id, version=run_version,
        employees=batch.n, load_s=load_s, compute_s=compute_s, store_s=0.0, **totals,
    )  # fmt: skip


@dataclass
class Explanation:
    employee_id: int
    tax_year: int
    case: Case
    result: dict[str, Any]
    stored: dict[str, Any] | None  # the stored result of the last run, if any
    excluded: list[tuple[str, dt.date]]  # (relation, birth date) deducted by another employee
    dependent_ids: list[int]  # dependents.id of each of case.dependents, in order
    excluded_ids: list[int]

    @property
    def stale(self) -> bool:
        """The data changed since the last run (the stored amounts differ from a fresh one)."""
        if self.stored is None:
            return False
        return any(self.stored[k] != self.result[k] for k in RESULT_AMOUNTS)


def explain(
    conn: Connection | Session, employee_id: int, year: int, case_id: str
) -> Explanation | None:
    """Settle one employee with the scalar engine (every line), beside the stored result."""
    from insa.yearend.scalar import compute

    batch = load_batch(conn, year, employee_ids=[employee_id])
    if batch.n == 0:
        return None
    case = case_at(batch, 0, case_id)
    result = compute(case)
    excluded: list[tuple[str, dt.date]] = [
        (RELATION_NAMES[int(r)], dt.date.fromordinal(int(b)))
        for r, b in zip(batch.excluded_rel, batch.excluded_birth_ordinal, strict=True)
    ]
    for relation, born in excluded:
        result["lines"].insert(
            2,
            {
                "item": "기본공제 제외",
                "amount": 0,
                "rule": f"{RELATION_LABELS[relation]} ({born.year}년생): "
                "다른 직원(배우자·형제자매 등)이 공제대상자로 신고 — 총급여가 많은 쪽이 공제",
                "source": "소득세법 제53조 (공제대상가족의 중복 시 1인만 공제)",
                "parameter": "",
            },
        )
    row = conn.execute(
        select(rt).where(rt.c.employee_id == employee_id, rt.c.tax_year == year)
    ).first()
    stored = dict(row._mapping) if row is not None else None
    return Explanation(
        employee_id,
        year,
        case,
        result,
        stored,
        excluded,
        [int(x) for x in batch.dep_id],
        [int(x) for x in batch.excluded_id],
    )
