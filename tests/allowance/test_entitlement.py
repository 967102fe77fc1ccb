"""The entitlement check as findings: a child past the age limit, a spouse with income over
the limit, a parent not on the household (별거), the 4-dependent cap, a child paid at a
higher birth-order rate once the elder aged out — each from the month the payment should
have stopped, split into what may still be recovered and what is past the five years of
국가재정법 §96① (each month counted from its payday); stored in the double claims' workflow,
where recovering more than the recoverable part is refused. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from insa.allowance.entitle import lapses_on, overpayments
from insa.allowance.models import Finding
from insa.cli import app
from insa.people.models import Dependent, Employee, SeedPlant
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.rules.family_allowance import REL, DependentArrays
from insa.security.crypto import RRNCipher


def o(y: int, m: int, d: int) -> int:
    return dt.date(y, m, d).toordinal()


def _deps(**over: object) -> DependentArrays:
    base = {"employee": np.array([0, 0, 0, 0]),
            "relation": np.array([REL["child"], REL["parent"], REL["parent"], REL["child"]], dtype=np.int8),
            "birth_ord": np.array([o(2003, 3, 15), o(1950, 1, 1), o(1952, 1, 1), o(2012, 5, 5)]),
            "female": np.array([False, True, True, False]), "disabled": np.zeros(4, dtype=bool),
            "claim_from": np.array([o(2010, 1, 1), o(2022, 1, 1), o(2015, 1, 1), o(2012, 6, 1)]),
            "claim_until": np.zeros(4, dtype=np.int64), "income": np.array([0, 0, 5_000_000, 0]),
            "same_household": np.array([True, False, True, True])}  # fmt: skip
    return DependentArrays(**{**base, **over})  # type: ignore[arg-type]


def test_a_spouse_is_paid_whatever_the_income() -> None:
    spouse = _deps(
        relation=np.array([REL["child"], REL["parent"], REL["spouse"], REL["child"]], dtype=np.int8)
    )
    assert "income" not in {
        x.reason for x in overpayments(spouse, 1, 2010, "2025-12", dt.date(2025, 12, 31))
    }


def test_each_reason_from_the_month_it_should_have_stopped() -> None:
    got = {x.reason: x for x in overpayments(_deps(), 1, 2010, "2025-12", dt.date(2025, 12, 31))}
    assert set(got) == {"age_limit", "living_apart", "income", "child_order"}
    age = got[
        "age_limit"
    ]  # 19 on 2022-03-15: due through March (counted on the first), not from April
    assert (age.stop_month, age.last_month, age.months, age.amount) == (
        "2022-04",
        "2025-12",
        45,
        45 * 50_000,
    )
    apart = got[
        "living_apart"
    ]  # a mother not on the household: 20,000 a month from the claim's start
    assert (apart.stop_month, apart.amount) == ("2022-01", 48 * 20_000)
    father = got[
        "income"
    ]  # a father with income over the limit, priced from the first dated amounts (2020); 2020's twelve months are past the limitation
    assert (father.stop_month, father.amount, father.time_barred, father.recoverable) == (
        "2020-01",
        72 * 20_000,
        12 * 20_000,
        60 * 20_000,
    )
    order = got[
        "child_order"
    ]  # the younger child: the 2nd's 80,000 paid, the 1st's 50,000 due once the elder aged out
    assert (order.stop_month, order.amount) == ("2022-04", 45 * 30_000)


def test_a_disabled_child_and_the_cap_as_payroll_applies_it() -> None:
    disabled = _deps(disabled=np.array([True, False, False, False]), income=np.zeros(4, dtype=np.int64),
                     same_household=np.ones(4, dtype=bool))  # fmt: skip
    # past 19 but disabled: still a dependent (no age_limit), though no longer on a child's rate — the rates
    # count children under 19 (family_allowance.eligibility), so both children's rates step down
    reasons = {
        (x.dependent, x.reason)
        for x in overpayments(disabled, 1, 2010, "2025-12", dt.date(2025, 12, 31))
    }
    assert reasons == {(0, "child_order"), (3, "child_order")}
    five = _deps(employee=np.zeros(5, dtype=np.int64), relation=np.array([REL["spouse"]] + [REL["parent"]] * 4, dtype=np.int8),
                 birth_ord=np.array([o(1980, 1, 1), o(1940, 1, 1), o(1941, 1, 1), o(1942, 1, 1), o(1943, 1, 1)]),
                 female=np.array([True, True, False, True, False]), disabled=np.zeros(5, dtype=bool),
                 claim_from=np.full(5, o(2024, 1, 1)), claim_until=np.zeros(5, dtype=np.int64),
                 income=np.zeros(5, dtype=np.int64), same_household=np.ones(5, dtype=bool))  # fmt: skip
    # insa's payroll pays at most four dependents: a fifth claim recorded is not overpaid by it
    assert overpayments(five, 1, 2024, "2025-12", dt.date(2025, 12, 31)) == []


def test_the_limitation_runs_five_years_from_each_payday() -> None:
    assert lapses_on(2020, 12, 5, 20) == dt.date(2025, 12, 20)
    assert lapses_on(2020, 2, 5, 29) == dt.date(
        2025, 2, 28
    )  # a payday past the 28th is read as the 28th
    (x,) = [
        y
        for y in overpayments(_deps(), 1, 2010, "2025-12", dt.date(2025, 12, 19))
        if y.reason == "income"
    ]
    assert (
        x.time_barred == 11 * 20_000
    )  # on 19 December 2025 the December 2020 payment has a day left


def test_findings_in_the_workflow(migrated: Engine, cipher: RRNCipher, tmp_path: Path) -> None:
    seed(migrated, SeedConfig(employees=3000, seed=13, year=2025), cipher)
    out = tmp_path / "e.csv"
    r = CliRunner().invoke(
        app, ["allowance", "check-entitlement", "--as-of", "2025-12", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and all(
        int(x["recoverable_amount"]) + int(x["time_barred_amount"]) == int(x["overpaid_amount"])
        for x in rows
    )
    with migrated.connect() as conn:
        plants = conn.execute(select(Employee.employee_no, Dependent.birth_date).join(SeedPlant, SeedPlant.employee_id == Employee.id)
                              .join(Dependent, (Dependent.employee_id == Employee.id)
                                    & (Dependent.rrn_pseudonym == SeedPlant.dependent_pseudonym))
                              .where(SeedPlant.kind == "overage_child")).all()  # fmt: skip
        # 19 on or before 1 December 2025 (age is counted on the first of the month): overpaid by then
        overage = {
            no
            for no, born in plants
            if dt.date(born.year + 19, born.month, min(born.day, 28)) <= dt.date(2025, 12, 1)
        }
        stored = list(
            conn.execute(
                select(Finding.kind, Finding.claim_a, Finding.recoverable_amount, Finding.match)
            )
        )
    ages = {c.split(":", 1)[1].rsplit("-", 1)[0] for k, c, _, _ in stored if k == "age_limit"}
    assert overage and overage <= ages, overage - ages
    assert all(m == "rules" and rec is not None for _, _, rec, m in stored)
    again = CliRunner().invoke(app, ["allowance", "check-entitlement", "--as-of", "2025-12"])
    assert (
        again.exit_code == 0 and f"다시 본 발견 {len(stored):,}건" in again.output
    )  # the same findings, their status kept
