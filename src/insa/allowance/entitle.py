"""The entitlement check as findings: each dependent's allowance paid on the recorded claim
(what payroll pays) against what the rules allowed in that month — a child past the age
limit, a dependent with income over the limit, a parent not living with the official
(별거), the 4-dependent cap, a child paid at a higher birth-order rate than due once an elder
sibling aged out — as runs of months from the month the payment should have stopped, with
the amount, split into what the state may still recover and what is past the limitation
(국가재정법 §96①: five years from each month's payday; ``allowance/params/recovery``).
Plain functions over arrays; the database side is :mod:`insa.allowance.exchange`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from insa.params import load
from insa.rules.dates import ages_by_month
from insa.rules.family_allowance import (
    REL,
    DependentArrays,
    claim_active,
    eligible,
    monthly_amounts,
    supported,
)

REASONS = ("age_limit", "income", "living_apart", "dependent_cap", "child_order")


@dataclass(frozen=True)
class Overpayment:
    dependent: int  # row in the arrays
    reason: str
    stop_month: str  # YYYY-MM: the first month the payment was not due
    last_month: str
    months: int
    amount: int  # overpaid in those months, whole won
    recoverable: int  # within the limitation on ``checked_on``
    time_barred: int


def limitation(on: dt.date) -> tuple[int, int]:
    p = load("allowance").get("recovery.limitation", on)
    return int(p["years"]), int(p["payday"])


def lapses_on(year: int, month: int, years: int, payday: int) -> dt.date:
    """The day the state's claim for that month's overpayment lapses: ``years`` after its payday."""
    paid = dt.date(year, month, min(payday, 28))
    try:
        return paid.replace(year=year + years)
    except ValueError:  # 29 February
        return paid.replace(year=year + years, day=28)


def _reasons(deps: DependentArrays, year: int) -> np.ndarray[Any, Any]:
    """(n, 12) the first failing test of each dependent-month (an index into REASONS, or −1)."""
    on = dt.date(year, 12, 31)
    ages = ages_by_month(deps.birth_ord, year)
    age_ok = eligible(deps.relation, deps.female, deps.disabled, ages, on)
    p = load("rules").get("family_allowance.support", on)
    n = len(deps.relation)
    income_ok = (
        deps.income <= int(p["income_limit"]) if deps.income is not None else np.ones(n, dtype=bool)
    )
    apart_ok = supported(DependentArrays(deps.employee, deps.relation, deps.birth_ord, deps.female, deps.disabled,
                                         deps.claim_from, deps.claim_until, None, deps.same_household), on)  # fmt: skip
    out = np.full((n, 12), -1, dtype=np.int64)
    out = np.where(~age_ok, REASONS.index("age_limit"), out)
    out = np.where((out < 0) & ~income_ok[:, None], REASONS.index("income"), out)
    out = np.where((out < 0) & ~apart_ok[:, None], REASONS.index("living_apart"), out)
    return out


def overpayments(deps: DependentArrays, n_employees: int, first_year: int, last_month: str,
                 checked_on: dt.date) -> list[Overpayment]:  # fmt: skip
    """Every run of months, up to ``last_month`` (YYYY-MM), in which a dependent was paid more
    than the rules allowed, with why, from the month the payment should have stopped."""
    years, payday = limitation(checked_on)
    end_y, end_m = int(last_month[:4]), int(last_month[5:7])
    # the amounts are dated from their first version on: earlier months cannot be priced (and
    # are past any limitation by now)
    first_year = max(first_year, load("rules")["family_allowance.amounts"].values[0].effective.year)
    # per dependent: (year, month, overpaid, reason) for every overpaid month, in order
    rows: list[list[tuple[int, int, int, str]]] = [[] for _ in range(len(deps.relation))]
    for year in range(first_year, end_y + 1):
        _, paid = monthly_amounts(deps, n_employees, year, enforce_eligibility=False)
        _, due = monthly_amounts(deps, n_employees, year, enforce_eligibility=True)
        over = paid - due
        if year == end_y:
            over[:, end_m:] = 0
        why = _reasons(deps, year)
        active = claim_active(deps.claim_from, deps.claim_until, year)
        for d, m in zip(*np.nonzero(over > 0), strict=True):
            r = int(why[d, m])
            if r >= 0:
                reason = REASONS[r]
            elif due[d, m] == 0 and active[d, m]:
                reason = "dependent_cap"  # due nothing though qualifying: beyond the four
            else:
                reason = "child_order"  # due less: a lower birth-order rate
            rows[int(d)].append((year, int(m) + 1, int(over[d, m]), reason))
    out: list[Overpayment] = []
    for d, months in enumerate(rows):
        run: list[tuple[int, int, int, str]] = []
        for item in months + [(0, 0, 0, "")]:  # a sentinel closes the last run
            if run and (
                item[3] != run[-1][3] or item[0] * 12 + item[1] != run[-1][0] * 12 + run[-1][1] + 1
            ):
                amount = sum(x[2] for x in run)
                recoverable = sum(
                    x[2] for x in run if lapses_on(x[0], x[1], years, payday) > checked_on
                )
                out.append(Overpayment(d, run[0][3], f"{run[0][0]:04d}-{run[0][1]:02d}", f"{run[-1][0]:04d}-{run[-1][1]:02d}",
                                       len(run), amount, recoverable, amount - recoverable))  # fmt: skip
                run = []
            if item[0]:
                run.append(item)
    return out


def first_claim_year(deps: DependentArrays) -> int | None:
    starts = deps.claim_from[deps.claim_from > 0]
    return dt.date.fromordinal(int(starts.min())).year if len(starts) else None


__all__ = [
    "REASONS",
    "REL",
    "Overpayment",
    "first_claim_year",
    "lapses_on",
    "limitation",
    "overpayments",
]
