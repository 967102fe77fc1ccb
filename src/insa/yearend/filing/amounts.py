"""``EmployeeStatement.amounts`` from a settlement result, and the totals back from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from insa.yearend.filing.errors import Ctx
from insa.yearend.filing.layout import Layout, load_layout
from insa.yearend.filing.statements import Dependent
from insa.yearend.rules import rules_for


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

    def get(key: str) -> int:
        if key not in result:
            raise ctx.error(f"the settlement result has no {key!r}", key)
        v = result[key]
        if not isinstance(v, int) or isinstance(v, bool):
            raise ctx.error(f"{key} must be an integer (won), got {v!r}", key)
        return v

    per = int(r["deductions.personal_basic"])
    add = r["deductions.personal_additional"]
    don = r["credits.donations"]
    num, den = don["full_ratio"]
    others = [d for d in dependents if d.relation != "0"]
    me = [d for d in dependents if d.relation == "0"]
    spouse = per if any(d.relation == "3" and d.basic for d in others) else 0
    n_dep = sum(1 for d in others if d.basic and d.relation != "3")
    seniors = sum(1 for d in dependents if d.senior)
    disabled = sum(1 for d in dependents if d.disabled)
    woman = int(add["woman"]) if any(d.woman for d in me) else 0
    single = int(add["single_parent"]) if any(d.single_parent for d in me) else 0
    out: dict[str, int] = {
        "wage_pay": get("total_salary") + non_taxable - bonus,
        "wage_bonus": bonus,
        "wage_total": get("total_salary") + non_taxable,
        "non_taxable_total": non_taxable,
        "basic_deduction_self": per,
        "basic_deduction_spouse": spouse,
        "basic_dependents_count": n_dep,
        "basic_deduction_dependents": n_dep * per,
        "senior_count": seniors,
        "senior_deduction": seniors * int(add["senior_70"]),
        "disabled_count": disabled,
        "disabled_deduction": disabled * int(add["disabled"]),
        "woman_deduction": woman,
        "single_parent_deduction": single,
        "health_insurance_deduction": get("insurance_premium_deduction") - employment_insurance,
        "employment_insurance_deduction": employment_insurance,
        "lease_loan_deduction": get("housing_deduction")
        - get("housing_subscription_deduction")
        - mortgage_interest,
        "mortgage_interest_deduction": mortgage_interest,
        "child_credit_count": sum(1 for d in dependents if d.child),
        "birth_credit_count": sum(1 for d in dependents if d.birth_adoption),
    }
    for total, full_upto in (
        ("political_donation_credit", "political_full_upto"),
        ("hometown_donation_credit", "hometown_full_upto"),
    ):
        line = int(don[full_upto]) * int(num) // int(den)
        credit = get(total)
        stem = total.split("_", 1)[0]
        out[f"{stem}_credit_upto_100k"] = min(credit, line)
        out[f"{stem}_credit_over_100k"] = credit - min(credit, line)
    out["income_after_deductions"] = max(
        get("earned_income_amount")
        - get("basic_deduction")
        - get("additional_deduction")
        - get("pension_deduction")
        - get("special_income_deduction"),
        0,
    )
    out["other_deductions_total"] = get("housing_subscription_deduction") + get("card_deduction")
    out["special_credit_total"] = sum(
        get(k)
        for k in (
            "insurance_credit",
            "medical_credit",
            "education_credit",
            "donation_credit",
            "political_donation_credit",
            "hometown_donation_credit",
        )
    )
    for key in layout.amount_keys:
        if key not in out:
            out[key] = get(key)
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
    return {k: out[k] for k in layout.amount_keys}


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
