"""Family allowance (가족수당) amounts, vectorised over dependents × months.

Plain functions over NumPy arrays; parameters come from ``rules/params/family_allowance``
by date. Payroll pays with them (what was paid) and the verification checks with them (what
was due).
The cap (at most 4 dependents, children paid beyond it) and the birth order of children
(counted among the official's children under 19 in that month) follow 공무원수당 등에 관한
규정 제10조 as recorded in ``family_allowance.eligibility``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from insa.codes import RELATION_INDEX
from insa.params import load
from insa.rules.dates import ages_by_month, month_starts

I64 = npt.NDArray[np.int64]
BoolA = npt.NDArray[np.bool_]
REL = RELATION_INDEX


def claim_active(
    claim_from: npt.NDArray[np.int64], claim_until: npt.NDArray[np.int64], year: int
) -> BoolA:
    """(n, 12) mask: the claim covers the month. Ordinals; 0 = no claim, until 0 = ongoing."""
    starts = np.array([d.toordinal() for d in month_starts(year)], dtype=np.int64)
    ends = np.array(
        [
            (dt.date(year + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).toordinal()
            for m in range(1, 13)
        ],
        dtype=np.int64,
    )
    has = claim_from > 0
    until = np.where(claim_until > 0, claim_until, np.iinfo(np.int64).max)
    return (
        has[:, None] & (claim_from[:, None] <= ends[None, :]) & (until[:, None] >= starts[None, :])
    )


def eligible(
    relation: npt.NDArray[np.int8],
    sex_female: BoolA,
    disabled: BoolA,
    ages: I64,
    on: dt.date,
) -> BoolA:
    """(n, 12) mask: the dependent qualifies in the month by relation, age and disability."""
    p = load("rules").get("family_allowance.eligibility", on)
    rel = relation[:, None]
    dis = disabled[:, None]
    female = sex_female[:, None]
    child_like = (rel == REL["child"]) | (rel == REL["grandchild"])
    asc = (rel == REL["parent"]) | (rel == REL["grandparent"])
    asc_age = np.where(female, p["ascendant_min_age_female"], p["ascendant_min_age_male"])
    ok = (
        (rel == REL["spouse"])
        | (child_like & ((ages < p["child_under_age"]) | dis))
        | (asc & ((ages >= asc_age) | dis))
        | ((rel == REL["sibling"]) & ((ages < p["sibling_under_age"]) | dis))
    )
    return np.asarray(ok, dtype=bool)


def supported(deps: DependentArrays, on: dt.date) -> BoolA:
    """(n,) mask: the dependent passes the support tests — income at most the limit, and on
    the official's household unless the relation may live apart (``family_allowance.support``)."""
    n = len(deps.relation)
    p = load("rules").get("family_allowance.support", on)
    ok = np.ones(n, dtype=bool)
    if deps.income is not None:
        exempt = np.isin(deps.relation, [REL[r] for r in p.get("income_exempt_relations", [])])
        ok &= (deps.income <= int(p["income_limit"])) | exempt
    if deps.same_household is not None:
        may_live_apart = np.isin(deps.relation, [REL[r] for r in p["apart_allowed_relations"]])
        ok &= deps.same_household | may_live_apart
    return ok


@dataclass(frozen=True)
class DependentArrays:
    """One row per dependent; ``employee`` indexes the employees (0..n_employees-1)."""

    employee: npt.NDArray[np.int64]
    relation: npt.NDArray[np.int8]
    birth_ord: npt.NDArray[np.int64]
    female: BoolA
    disabled: BoolA
    claim_from: npt.NDArray[np.int64]
    claim_until: npt.NDArray[np.int64]
    # the support tests (Art. 10②), where known: the annual income amount, on the official's household
    income: npt.NDArray[np.int64] | None = None
    same_household: BoolA | None = None


def _group_rank(emp_sorted: npt.NDArray[np.int64], mask: BoolA) -> I64:
    """1-based running count of ``mask`` within each employee group (rows sorted by employee)."""
    cs = np.cumsum(mask, axis=0, dtype=np.int64)
    start = np.r_[True, emp_sorted[1:] != emp_sorted[:-1]]
    first_idx = np.maximum.accumulate(np.where(start, np.arange(len(emp_sorted)), 0))
    before = np.where(first_idx[:, None] > 0, cs[first_idx - 1], 0) if len(emp_sorted) else cs
    return (cs - before) * mask


def monthly_amounts(
    deps: DependentArrays, n_employees: int, year: int, *, enforce_eligibility: bool
) -> tuple[I64, I64]:
    """Family allowance per employee and month, shape (n_employees, 12), and per dependent.

    With ``enforce_eligibility=False`` the claim periods alone decide (what payroll paid);
    with ``True`` the age/disability tests apply too (what was due).
    """
    on = dt.date(year, 12, 31)
    amounts = load("rules").get("family_allowance.amounts", dt.date(year, 1, 1))
    rules = load("rules").get("family_allowance.eligibility", on)
    n = len(deps.employee)
    per_dep = np.zeros((n, 12), dtype=np.int64)
    if n == 0:
        return np.zeros((n_employees, 12), dtype=np.int64), per_dep
    ages = ages_by_month(deps.birth_ord, year)
    active = claim_active(deps.claim_from, deps.claim_until, year)
    if enforce_eligibility:
        active &= eligible(deps.relation, deps.female, deps.disabled, ages, on)
        active &= supported(deps, on)[:, None]
    # children under 19 are paid by birth order; without enforcement (what payroll paid on
    # the claims as recorded) a claimed child stays on the child rate whatever the age
    is_child = (deps.relation == REL["child"])[:, None] & (
        (ages < rules["child_under_age"]) | (not enforce_eligibility)
    )
    child_rows = active & is_child
    # children: ordered by birth date within each employee
    order = np.lexsort((deps.birth_ord, deps.employee))
    emp_o = deps.employee[order]
    rank = _group_rank(emp_o, child_rows[order])
    child_amt = np.array([0, *amounts["children"]], dtype=np.int64)
    per_child = child_amt[np.minimum(rank, len(child_amt) - 1)]
    per_dep[order] = np.where(child_rows[order], per_child, 0)
    # everyone else: spouse first, then by birth date; capped at max − (children counted)
    others = active & ~is_child
    n_children = np.zeros((n_employees, 12), dtype=np.int64)
    np.add.at(n_children, deps.employee, child_rows.astype(np.int64))
    room = np.maximum(rules["max_dependents"] - n_children, 0)
    not_spouse = (deps.relation != REL["spouse"]).astype(np.int8)
    order2 = np.lexsort((deps.birth_ord, not_spouse, deps.employee))
    emp2 = deps.employee[order2]
    rank2 = _group_rank(emp2, others[order2])
    paid = others[order2] & (rank2 <= room[emp2])
    amt = np.where(deps.relation[order2] == REL["spouse"], amounts["spouse"], amounts["other"])
    per_dep[order2] += np.where(paid, amt[:, None], 0)
    total = np.zeros((n_employees, 12), dtype=np.int64)
    np.add.at(total, deps.employee, per_dep)
    return total, per_dep
