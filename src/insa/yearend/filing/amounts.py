"""``EmployeeStatement.amounts`` from a settlement result, and the totals back from them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from insa.yearend.filing.errors import Ctx
from insa.yearend.filing.layout import Layout, load_layout
from insa.yearend.filing.statements import Dependent
from insa.yearend.rules import Rules, rules_for

_Getter = Callable[[str], int]  # an amount of the settlement result, checked (see _reader)


def settlement_amounts(
    result: Mapping[str, Any],
    dependents: Sequence[Dependent],
    year: int,
    *,
    bonus: int = 0,
    non_taxable: int = 0,
    employment_insurance: int = 0,
    mortgage_interest: int = 0,
) -> dict[str, int]:
    """``EmployeeStatement.amounts`` from a ``scalar.compute`` result.

    Totals the NTS form itemises are split here: the basic and additional deductions by the
    dependents' flags (the employee is the relation '0' row) and the per-person amounts in
    force, political and hometown donation credits at the 100,000-won line (exact: the first
    100,000 won earn 100/110), premiums into health (the rest) and ``employment_insurance``,
    housing into the subscription deduction, ``mortgage_interest`` and the lease loan (the
    rest). Wages: 급여 = total salary + ``non_taxable`` − ``bonus``. Raises FilingError when
    the flags do not reconcile with the totals.
    """
    layout = load_layout(year)
    ctx = Ctx("C", item="settlement_amounts")
    r = rules_for(year)
    get = _reader(result, ctx)
    out: dict[str, int] = {
        **_wages(get, bonus, non_taxable),
        **_people(dependents, r),
        **_premiums_and_housing(get, employment_insurance, mortgage_interest),
        **_donations(get, r["credits.donations"]),
        **_subtotals(get),
    }
    for key in layout.amount_keys:
        if key not in out:
            out[key] = get(key)
    _check(out, result, layout, get, ctx)
    return {k: out[k] for k in layout.amount_keys}


def _reader(result: Mapping[str, Any], ctx: Ctx) -> _Getter:
    """``get(key)``: the settlement result's ``key`` in integer won, or a FilingError."""

    def get(key: str) -> int:
        if key not in result:
            raise ctx.error(f"the settlement result has no {key!r}", key)
        v = result[key]
        if not isinstance(v, int) or isinstance(v, bool):
            raise ctx.error(f"{key} must be an integer (won), got {v!r}", key)
        return v

    return get


def _wages(get: _Getter, bonus: int, non_taxable: int) -> dict[str, int]:
    """급여, 상여, their total and the non-taxable part."""
    return {
        "wage_pay": get("total_salary") + non_taxable - bonus,
        "wage_bonus": bonus,
        "wage_total": get("total_salary") + non_taxable,
        "non_taxable_total": non_taxable,
    }


def _people(dependents: Sequence[Dependent], rules: Rules) -> dict[str, int]:
    """The basic and additional deductions by the dependents' flags (the employee is the
    relation '0' row), at the per-person amounts in force, and the credit head counts."""
    per = int(rules["deductions.personal_basic"])
    add = rules["deductions.personal_additional"]
    others = [d for d in dependents if d.relation != "0"]
    me = [d for d in dependents if d.relation == "0"]
    n_dep = sum(1 for d in others if d.basic and d.relation != "3")
    seniors = sum(1 for d in dependents if d.senior)
    disabled = sum(1 for d in dependents if d.disabled)
    return {
        "basic_deduction_self": per,
        "basic_deduction_spouse": per if any(d.relation == "3" and d.basic for d in others) else 0,
        "basic_dependents_count": n_dep,
        "basic_deduction_dependents": n_dep * per,
        "senior_count": seniors,
        "senior_deduction": seniors * int(add["senior_70"]),
        "disabled_count": disabled,
        "disabled_deduction": disabled * int(add["disabled"]),
        "woman_deduction": int(add["woman"]) if any(d.woman for d in me) else 0,
        "single_parent_deduction": (
            int(add["single_parent"]) if any(d.single_parent for d in me) else 0
        ),
        "child_credit_count": sum(1 for d in dependents if d.child),
        "birth_credit_count": sum(1 for d in dependents if d.birth_adoption),
    }


def _premiums_and_housing(
    get: _Getter, employment_insurance: int, mortgage_interest: int
) -> dict[str, int]:
    """Premiums into health (the rest) and employment insurance; housing into the
    subscription deduction (itemised elsewhere), the mortgage interest and the lease loan."""
    return {
        "health_insurance_deduction": get("insurance_premium_deduction") - employment_insurance,
        "employment_insurance_deduction": employment_insurance,
        "lease_loan_deduction": get("housing_deduction")
        - get("housing_subscription_deduction")
        - mortgage_interest,
        "mortgage_interest_deduction": mortgage_interest,
    }


def _donations(get: _Getter, don: Mapping[str, Any]) -> dict[str, int]:
    """Political and hometown donation credits split at the 100,000-won line (exact: the first
    100,000 won earn 100/110)."""
    num, den = don["full_ratio"]
    out: dict[str, int] = {}
    for total, full_upto in (
        ("political_donation_credit", "political_full_upto"),
        ("hometown_donation_credit", "hometown_full_upto"),
    ):
        line = int(don[full_upto]) * int(num) // int(den)
        credit = get(total)
        stem = total.split("_", 1)[0]
        out[f"{stem}_credit_upto_100k"] = min(credit, line)
        out[f"{stem}_credit_over_100k"] = credit - min(credit, line)
    return out


def _subtotals(get: _Getter) -> dict[str, int]:
    """The form's subtotals that compute() does not give as such."""
    return {
        "income_after_deductions": max(
            get("earned_income_amount")
            - get("basic_deduction")
            - get("additional_deduction")
            - get("pension_deduction")
            - get("special_income_deduction"),
            0,
        ),
        "other_deductions_total": get("housing_subscription_deduction") + get("card_deduction"),
        "special_credit_total": sum(
            get(k)
            for k in (
                "insurance_credit",
                "medical_credit",
                "education_credit",
                "donation_credit",
                "political_donation_credit",
                "hometown_donation_credit",
            )
        ),
    }


def _check(
    out: Mapping[str, int], result: Mapping[str, Any], layout: Layout, get: _Getter, ctx: Ctx
) -> None:
    """No unsigned item negative, and every split total equal to the sum of its items."""
    for name, value in out.items():
        if value < 0 and not layout.records["C"][_c_field(layout, name)].signed:
            raise ctx.error(f"{name} comes out negative ({value:,}); check the split inputs", name)
    for total, parts in layout.composites.items():
        if total in result and sum(out[p] for p in parts) != get(total):
            raise ctx.error(
                f"{total} {get(total):,} does not match its items "
                f"({', '.join(f'{p} {out[p]:,}' for p in parts)}); "
                "check the dependents' flags",
                total,
            )


def _c_field(layout: Layout, key: str) -> str:
    for f in layout.records["C"].fields:
        if f.source_key == key:
            return f.name
    raise KeyError(key)


def settlement_totals(amounts: Mapping[str, int], year: int) -> dict[str, int]:
    """``amounts`` plus the compute() totals the layout splits (``composites``), added back."""
    layout = load_layout(year)
    out = dict(amounts)
    for total, parts in layout.composites.items():
        out[total] = sum(amounts[p] for p in parts)
    return out
