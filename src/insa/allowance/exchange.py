"""The family-allowance batches over the database, on a Core connection: each employee's due
allowance against payroll (the entitlement), insa's own claims in the exchange format, and
the findings of a verification run stored. Their face, :mod:`insa.allowance.service`, scopes
and audits them; nothing here does.

Kept out of the service module because they load NumPy, the rules and the exchange's DuckDB
reader, which the web app does not need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, insert, select, update

from insa.allowance.claims import COLUMNS, key_of, month_index
from insa.allowance.models import Finding, FindingEvent, VerificationRun
from insa.allowance.schemas import Difference, StoreReport
from insa.allowance.verify import VerifyReport
from insa.people.models import Agency, Dependent, Employee, Payroll
from insa.rules.family_allowance import REL, DependentArrays, monthly_amounts
from insa.security.crypto import RRNCipher

EXCHANGE_RELATION = {
    "spouse": "spouse", "child": "child", "grandchild": "other", "parent": "lineal_ascendant",
    "grandparent": "lineal_ascendant", "sibling": "other", "foster_child": "other",
}  # fmt: skip


@dataclass
class Family:
    employees: list[Any]  # Employee rows (id, employee_no, agency code, name, rrn blob, birth)
    deps: list[Any]  # Dependent rows
    arrays: DependentArrays


def _family(conn: Connection, agency_id: int | None, support: bool = False) -> Family:
    es = select(
        Employee.id, Employee.employee_no, Agency.code, Employee.name, Employee.rrn_encrypted,
        Employee.birth_date,
    ).join(Agency, Agency.id == Employee.agency_id).order_by(Employee.id)  # fmt: skip
    if agency_id is not None:
        es = es.where(Employee.agency_id == agency_id)
    employees = conn.execute(es).all()
    index = {e[0]: i for i, e in enumerate(employees)}
    ds = (
        select(Dependent)
        .join(Employee, Employee.id == Dependent.employee_id)
        .order_by(Dependent.employee_id, Dependent.birth_date, Dependent.id)
    )
    if agency_id is not None:
        ds = ds.where(Employee.agency_id == agency_id)
    deps = [d for d in conn.execute(ds).all() if d.employee_id in index]

    def ords(values: list[dt.date | None]) -> np.ndarray[Any, Any]:
        return np.asarray([v.toordinal() if v else 0 for v in values], dtype=np.int64)

    arrays = DependentArrays(
        employee=np.asarray([index[d.employee_id] for d in deps], dtype=np.int64),
        income=np.asarray([int(d.annual_income or 0) for d in deps], dtype=np.int64)
        if support
        else None,
        same_household=np.asarray([bool(d.same_household) for d in deps], dtype=bool)
        if support
        else None,
        relation=np.asarray([REL[d.relation] for d in deps], dtype=np.int8),
        birth_ord=ords([d.birth_date for d in deps]),
        female=np.asarray([d.sex == "F" for d in deps], dtype=bool),
        disabled=np.asarray([bool(d.disabled) for d in deps], dtype=bool),
        claim_from=ords([d.allowance_from for d in deps]),
        claim_until=ords([d.allowance_until for d in deps]),
    )
    return Family(list(employees), deps, arrays)


def differences(conn: Connection, year: int, agency_id: int | None) -> list[Difference]:
    """Each employee's due allowance by month (the rules, eligibility enforced) against what
    payroll paid; one row per employee and month where they differ."""
    fam = _family(conn, agency_id)
    n = len(fam.employees)
    due, _ = monthly_amounts(fam.arrays, n, year, enforce_eligibility=True)
    paid = np.zeros((n, 12), dtype=np.int64)
    index = {e[0]: i for i, e in enumerate(fam.employees)}
    ps = select(Payroll.employee_id, Payroll.month, Payroll.family_allowance).where(
        Payroll.year == year
    )
    if agency_id is not None:
        ps = ps.where(Payroll.agency_id == agency_id)
    for eid, month, amount in conn.execute(ps):
        if eid in index:
            paid[index[eid], month - 1] += int(amount)
    out = []
    for i, m in zip(*np.nonzero(paid != due), strict=True):
        e = fam.employees[int(i)]
        out.append(Difference(e[1], e[2], int(m) + 1, int(paid[i, m]), int(due[i, m])))
    return out


def entitlement_findings(
    conn: Connection, as_of: str, agency_id: int | None, checked_on: dt.date
) -> VerifyReport:
    """The entitlement check as findings of a run (kind: why; match ``rules``): each run of
    months up to ``as_of`` in which a dependent was paid more than the rules allowed, from the
    month the payment should have stopped, with the amount and what of it may still be
    recovered on ``checked_on`` (the rest past the limitation)."""
    from insa.allowance.entitle import first_claim_year, overpayments
    from insa.allowance.verify import Finding as Found
    from insa.allowance.verify import finding_id
    from insa.security.names import mask_name

    fam = _family(conn, agency_id, support=True)
    first = first_claim_year(fam.arrays)
    found: list[Found] = []
    amounts: dict[str, tuple[int, int]] = {}
    if first is not None:
        for o in overpayments(fam.arrays, len(fam.employees), first, as_of, checked_on):
            d = fam.deps[o.dependent]
            e = fam.employees[int(fam.arrays.employee[o.dependent])]
            claim = f"{e[2]}:{e[1]}-{d.id}"
            fid = finding_id(o.reason, claim, o.stop_month)
            found.append(Found(finding_id=fid, kind=o.reason, match="rules", probability=1.0, claim_a=claim, claim_b="",
                               dependent_key="", overlap_start=o.stop_month, overlap_end=o.last_month,
                               overlap_months=o.months, overpaid_amount=o.amount, recover_from=claim, org_a=e[2],
                               org_b="", dependent_name=mask_name(d.name), relation=EXCHANGE_RELATION[d.relation],
                               claimant_a_name=mask_name(e[3])))  # fmt: skip
            amounts[fid] = (o.recoverable, o.time_barred)
    return VerifyReport(as_of, len(fam.deps), found, amounts=amounts)


def claims_by_agency(
    conn: Connection, cipher: RRNCipher, key: bytes, as_of: str, agency_id: int | None
) -> dict[str, Iterator[tuple[Any, ...]]]:
    """insa's agencies' claims in the exchange format, one row iterator per agency code.

    Keys are made with the shared exchange key from the decrypted numbers (which stay in this
    process). ``monthly_amount`` is what the rules pay for that dependent in the as-of month
    (or the claim's last month, if it ended before)."""
    fam = _family(conn, agency_id)
    year = int(as_of[:4])
    _, per_dep = monthly_amounts(fam.arrays, len(fam.employees), year, enforce_eligibility=False)
    end_idx = month_index(as_of)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    emp_rrn: dict[int, str] = {}
    for j, d in enumerate(fam.deps):
        if d.allowance_from is None or month_index(d.allowance_from.strftime("%Y-%m")) > end_idx:
            continue
        e = fam.employees[int(fam.arrays.employee[j])]
        if e[0] not in emp_rrn:
            emp_rrn[e[0]] = key_of(key, cipher.decrypt(e[4]).reveal())
        until = d.allowance_until
        last_m = min(end_idx, month_index(until.strftime("%Y-%m")) if until else end_idx)
        month_in_year = last_m - year * 12 if last_m // 12 == year else 11
        amount = int(per_dep[j, max(month_in_year, 0)]) or _fallback_amount(d.relation)
        rows.setdefault(e[2], []).append(
            (
                f"{e[1]}-{d.id}", e[2], emp_rrn[e[0]], e[3], e[5].isoformat(),
                key_of(key, cipher.decrypt(d.rrn_encrypted).reveal()), d.name,
                d.birth_date.isoformat(), EXCHANGE_RELATION[d.relation], None,
                d.allowance_from.strftime("%Y-%m"), until.strftime("%Y-%m") if until else None,
                amount,
            )
        )  # fmt: skip
    assert all(len(r) == len(COLUMNS) for rs in rows.values() for r in rs[:1])
    return {code: iter(rs) for code, rs in rows.items()}


def _fallback_amount(relation: str) -> int:
    from insa.params import load

    amounts = load("rules").get("family_allowance.amounts", dt.date.today())
    if relation == "spouse":
        return int(amounts["spouse"])
    if relation == "child":
        return int(amounts["children"][0])
    return int(amounts["other"])


def _found_events(
    conn: Connection, run_id: int, actor: str, role: str | None, at: dt.datetime
) -> None:
    """The first event of each finding new in this run: found, open, by the run."""
    ids = conn.execute(select(Finding.id).where(Finding.first_seen_run == run_id)).scalars()
    conn.execute(insert(FindingEvent), [
        {"finding_id": i, "at": at, "actor": actor, "actor_role": role, "status_from": None,
         "status_to": "open", "reason": None, "amount": None, "run_id": run_id} for i in ids
    ])  # fmt: skip


def store(
    conn: Connection,
    report: VerifyReport,
    *,
    files: int,
    actor: str,
    actor_role: str | None = None,
) -> StoreReport:
    """Record the run (by ``actor``) and upsert its findings: known ids keep their status,
    new ones start open, their history beginning with this run."""
    codes = dict(conn.execute(select(Agency.code, Agency.id)).all())
    now = dt.datetime.now(dt.UTC)
    existing = set(conn.scalars(select(Finding.finding_id)))
    new = [f for f in report.findings if f.finding_id not in existing]
    run = conn.execute(
        insert(VerificationRun).values(
            as_of=report.as_of, files=files, claims=report.claims,
            findings=len(report.findings), new_findings=len(new), actor=actor, at=now,
        )
    ).inserted_primary_key  # fmt: skip
    assert run is not None
    run_id = int(run[0])
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for f in report.findings:
        values = {
            "kind": f.kind, "match": f.match, "probability": f.probability,
            "claim_a": f.claim_a, "claim_b": f.claim_b, "org_a": f.org_a, "org_b": f.org_b,
            "agency_a_id": codes.get(f.org_a), "agency_b_id": codes.get(f.org_b),
            "dependent_key": f.dependent_key, "dependent_name": f.dependent_name,
            "claimant_a_name": f.claimant_a_name, "claimant_b_name": f.claimant_b_name,
            "relation": f.relation, "overlap_start": f.overlap_start,
            "overlap_end": f.overlap_end, "overlap_months": f.overlap_months,
            "overpaid_amount": f.overpaid_amount, "recover_from": f.recover_from,
            "recover_org": f.recover_org,
            "last_seen_run": run_id,
        }  # fmt: skip
        split = report.amounts.get(f.finding_id)
        if split is not None:  # an entitlement finding: recoverable, past the limitation
            values["recoverable_amount"], values["time_barred_amount"] = split
        if f.finding_id in existing:
            updates.append({"fid": f.finding_id, **values})
        else:
            inserts.append({"finding_id": f.finding_id, "status": "open",
                            "first_seen_run": run_id, **values})  # fmt: skip
    if updates:  # one executemany each, not a round trip per finding
        conn.execute(
            update(Finding).where(Finding.finding_id == bindparam("fid")),
            updates,
        )
    if inserts:
        conn.execute(insert(Finding), inserts)
        _found_events(conn, run_id, actor, actor_role, now)
    return StoreReport(run_id, len(new), len(report.findings) - len(new))
