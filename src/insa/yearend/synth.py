"""Synthetic simplified data (간소화 자료) for the synthetic government: one JSON Lines file.

Amounts follow rough shares of real settlements: most employees spend on cards well above the
25 % threshold; some have medical bills, tuition, donations, rent or pension savings. Same
seed, same data. All of it is made up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from insa.people.models import Employee


def _won(a: np.ndarray[Any, Any]) -> list[int]:
    """Round to 10 won, as receipts are, as plain ints."""
    return [int(v) for v in (np.maximum(a, 0).astype(np.int64) // 10 * 10)]


def generate(
    employee_nos: list[str],
    year: int,
    seed: int,
    out: Path,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    n = len(employee_nos)
    rng = np.random.default_rng([seed, year, 7])

    def sometimes(p: float, amounts: np.ndarray[Any, Any]) -> list[int]:
        return _won(np.where(rng.random(n) < p, amounts, 0))

    credit = _won(rng.lognormal(np.log(14_000_000), 0.5, n))
    debit = _won(rng.lognormal(np.log(5_000_000), 0.7, n))
    cash = _won(rng.lognormal(np.log(1_200_000), 0.8, n))
    culture = sometimes(0.5, rng.lognormal(np.log(300_000), 0.6, n))
    market = sometimes(0.6, rng.lognormal(np.log(400_000), 0.8, n))
    transit = _won(rng.lognormal(np.log(700_000), 0.5, n))
    ins = sometimes(0.7, rng.uniform(300_000, 1_500_000, n))
    ins_dis = sometimes(0.02, rng.uniform(200_000, 1_200_000, n))
    med_self = sometimes(0.6, rng.lognormal(np.log(600_000), 1.0, n))
    med_other = sometimes(0.4, rng.lognormal(np.log(1_500_000), 1.0, n))
    infertility = sometimes(0.01, rng.uniform(1_000_000, 6_000_000, n))
    premature = sometimes(0.003, rng.uniform(500_000, 4_000_000, n))
    reimbursed = sometimes(0.1, rng.uniform(50_000, 800_000, n))
    edu_self = sometimes(0.03, rng.uniform(1_000_000, 8_000_000, n))
    school = rng.random(n) < 0.3
    school_amt = _won(rng.uniform(200_000, 4_000_000, n))
    uni = rng.random(n) < 0.12
    uni_amt = _won(rng.uniform(3_000_000, 10_000_000, n))
    political = sometimes(0.05, rng.choice([100_000, 200_000, 500_000], n))
    hometown = sometimes(0.08, rng.choice([100_000, 300_000, 1_000_000], n))
    general = sometimes(0.25, rng.lognormal(np.log(500_000), 1.0, n))
    religious = sometimes(0.12, rng.lognormal(np.log(1_500_000), 0.8, n))
    rent = sometimes(0.08, rng.uniform(3_600_000, 9_600_000, n))
    savings = sometimes(0.25, rng.choice([1_200_000, 3_000_000, 6_000_000], n))
    irp = sometimes(0.12, rng.choice([1_000_000, 3_000_000], n))
    subscription = sometimes(0.3, rng.choice([240_000, 1_200_000, 3_000_000], n))
    lease = sometimes(0.05, rng.uniform(2_000_000, 12_000_000, n))
    mortgage = sometimes(0.1, rng.uniform(1_000_000, 15_000_000, n))
    head = rng.random(n) < 0.6
    married = rng.random(n) < 0.02

    with out.open("w", encoding="utf-8") as f:
        for i, no in enumerate(employee_nos):
            doc: dict[str, Any] = {
                "employee_no": no,
                "tax_year": year,
                "declaration": {"household_head": bool(head[i]), "married_this_year": bool(married[i])},
                "cards": {
                    "credit": credit[i], "debit": debit[i], "cash_receipt": cash[i],
                    "culture": culture[i], "traditional_market": market[i],
                    "public_transport": transit[i],
                },
                "insurance": {"general": ins[i], "disabled": ins_dis[i]},
                "medical": {
                    "self_senior_disabled_child6": med_self[i], "other_dependents": med_other[i],
                    "infertility": infertility[i], "premature": premature[i],
                    "reimbursed": min(reimbursed[i], med_self[i] + med_other[i]),
                },
                "education": {
                    "self": edu_self[i],
                    "preschool_school": [school_amt[i]] if school[i] else [],
                    "university": [uni_amt[i]] if uni[i] else [],
                },
                "donations": {
                    "political": political[i], "hometown": hometown[i],
                    "general": general[i], "religious": religious[i],
                },
                "monthly_rent": rent[i],
                "pension_account": {"pension_savings": savings[i], "irp": irp[i]},
                "housing": {
                    "subscription_savings": subscription[i], "lease_loan_repayment": lease[i],
                    "mortgage_interest": mortgage[i],
                },
            }  # fmt: skip
            f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")
            if on_progress and (i + 1) % 20000 == 0:
                on_progress(i + 1, n)
    if on_progress:
        on_progress(n, n)
    return n


def employee_numbers(conn: Connection, agency_id: int | None = None) -> list[str]:
    stmt = select(Employee.employee_no).order_by(Employee.id)
    if agency_id is not None:
        stmt = stmt.where(Employee.agency_id == agency_id)
    return [str(x) for x in conn.scalars(stmt)]
