"""Synthetic simplified data (간소화 자료) for the synthetic government: one JSON Lines file.

Amounts follow rough shares of real settlements: most employees spend on cards well above the
25 % threshold; some have medical bills, tuition, donations, rent or pension savings. Same
seed, same data. All of it is made up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from insa.people.models import Dependent, Employee


def _won(a: np.ndarray[Any, Any]) -> list[int]:
    """Round to 10 won, as receipts are, as plain ints."""
    return [int(v) for v in (np.maximum(a, 0).astype(np.int64) // 10 * 10)]


def generate(
    employee_nos: list[str],
    year: int,
    seed: int,
    out: Path,
    *,
    dependents: Sequence[int] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write one document per employee to ``out`` (JSON Lines); returns how many. An
    education item is one dependent's: with ``dependents`` (each employee's number on
    record, :func:`dependent_counts`), no one gets more items than they have dependents —
    the import refuses more; without it, none gets any."""
    n = len(employee_nos)
    a = _amounts(np.random.default_rng([seed, year, 7]), n)
    deps = np.asarray(dependents if dependents is not None else np.zeros(n), dtype=np.int64)
    school = np.asarray(a["school"], dtype=bool) & (deps >= 1)
    a["uni"] = np.asarray(a["uni"], dtype=bool) & (deps >= 1 + school)
    a["school"] = school
    with out.open("w", encoding="utf-8") as f:
        for i, no in enumerate(employee_nos):
            doc = _document(no, year, a, i)
            f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
            if on_progress and (i + 1) % 20000 == 0:
                on_progress(i + 1, n)
    if on_progress:
        on_progress(n, n)
    return n


def _amounts(rng: np.random.Generator, n: int) -> dict[str, Any]:
    """Every employee's amounts, item by item, drawn in a fixed order (same seed, same data)."""

    def sometimes(p: float, amounts: np.ndarray[Any, Any]) -> list[int]:
        return _won(np.where(rng.random(n) < p, amounts, 0))

    a: dict[str, Any] = {}
    a["credit"] = _won(rng.lognormal(np.log(14_000_000), 0.5, n))
    a["debit"] = _won(rng.lognormal(np.log(5_000_000), 0.7, n))
    a["cash"] = _won(rng.lognormal(np.log(1_200_000), 0.8, n))
    a["culture"] = sometimes(0.5, rng.lognormal(np.log(300_000), 0.6, n))
    a["market"] = sometimes(0.6, rng.lognormal(np.log(400_000), 0.8, n))
    a["transit"] = _won(rng.lognormal(np.log(700_000), 0.5, n))
    a["ins"] = sometimes(0.7, rng.uniform(300_000, 1_500_000, n))
    a["ins_dis"] = sometimes(0.02, rng.uniform(200_000, 1_200_000, n))
    a["med_self"] = sometimes(0.6, rng.lognormal(np.log(600_000), 1.0, n))
    a["med_other"] = sometimes(0.4, rng.lognormal(np.log(1_500_000), 1.0, n))
    a["infertility"] = sometimes(0.01, rng.uniform(1_000_000, 6_000_000, n))
    a["premature"] = sometimes(0.003, rng.uniform(500_000, 4_000_000, n))
    a["reimbursed"] = sometimes(0.1, rng.uniform(50_000, 800_000, n))
    a["edu_self"] = sometimes(0.03, rng.uniform(1_000_000, 8_000_000, n))
    a["school"] = rng.random(n) < 0.3
    a["school_amt"] = _won(rng.uniform(200_000, 4_000_000, n))
    a["uni"] = rng.random(n) < 0.12
    a["uni_amt"] = _won(rng.uniform(3_000_000, 10_000_000, n))
    a["political"] = sometimes(0.05, rng.choice([100_000, 200_000, 500_000], n))
    a["hometown"] = sometimes(0.08, rng.choice([100_000, 300_000, 1_000_000], n))
    a["general"] = sometimes(0.25, rng.lognormal(np.log(500_000), 1.0, n))
    a["religious"] = sometimes(0.12, rng.lognormal(np.log(1_500_000), 0.8, n))
    a["rent"] = sometimes(0.08, rng.uniform(3_600_000, 9_600_000, n))
    a["savings"] = sometimes(0.25, rng.choice([1_200_000, 3_000_000, 6_000_000], n))
    a["irp"] = sometimes(0.12, rng.choice([1_000_000, 3_000_000], n))
    a["subscription"] = sometimes(0.3, rng.choice([240_000, 1_200_000, 3_000_000], n))
    a["lease"] = sometimes(0.05, rng.uniform(2_000_000, 12_000_000, n))
    a["mortgage"] = sometimes(0.1, rng.uniform(1_000_000, 15_000_000, n))
    a["head"] = rng.random(n) < 0.6
    a["married"] = rng.random(n) < 0.02
    return a


def _document(no: str, year: int, a: dict[str, Any], i: int) -> dict[str, Any]:
    """Employee ``i``'s document, in the import format (docs/yearend.md)."""
    return {
        "employee_no": no,
        "tax_year": year,
        "declaration": {"household_head": bool(a["head"][i]), "married_this_year": bool(a["married"][i])},
        "cards": {
            "credit": a["credit"][i], "debit": a["debit"][i], "cash_receipt": a["cash"][i],
            "culture": a["culture"][i], "traditional_market": a["market"][i],
            "public_transport": a["transit"][i],
        },
        "insurance": {"general": a["ins"][i], "disabled": a["ins_dis"][i]},
        "medical": {
            "self_senior_disabled_child6": a["med_self"][i], "other_dependents": a["med_other"][i],
            "infertility": a["infertility"][i], "premature": a["premature"][i],
            "reimbursed": min(a["reimbursed"][i], a["med_self"][i] + a["med_other"][i]),
        },
        "education": {
            "self": a["edu_self"][i],
            "preschool_school": [a["school_amt"][i]] if a["school"][i] else [],
            "university": [a["uni_amt"][i]] if a["uni"][i] else [],
        },
        "donations": {
            "political": a["political"][i], "hometown": a["hometown"][i],
            "general": a["general"][i], "religious": a["religious"][i],
        },
        "monthly_rent": a["rent"][i],
        "pension_account": {"pension_savings": a["savings"][i], "irp": a["irp"][i]},
        "housing": {
            "subscription_savings": a["subscription"][i], "lease_loan_repayment": a["lease"][i],
            "mortgage_interest": a["mortgage"][i],
        },
    }  # fmt: skip


def dependent_counts(conn: Connection, employee_nos: Sequence[str]) -> list[int]:
    """How many dependents each employee has on record, in the order given."""
    counts = dict(
        conn.execute(
            select(Employee.employee_no, func.count(Dependent.id))
            .outerjoin(Dependent, Dependent.employee_id == Employee.id)
            .group_by(Employee.employee_no)
        ).all()
    )
    return [int(counts.get(no, 0)) for no in employee_nos]


def employee_numbers(conn: Connection, agency_id: int | None = None) -> list[str]:
    stmt = select(Employee.employee_no).order_by(Employee.id)
    if agency_id is not None:
        stmt = stmt.where(Employee.agency_id == agency_id)
    return [str(x) for x in conn.scalars(stmt)]
