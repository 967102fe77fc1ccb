"""The vectorised settlement: every case of one tax year as int64 columns, one pass.

No per-person Python on the hot path: dependents and education entries are flattened to
arrays keyed by case index and summed with ``np.add.at``. The rules come from
:mod:`insa.yearend.rules`, the same numbers :mod:`insa.yearend.scalar` uses; a property test
checks that both agree to the won.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from insa.codes import RELATION_INDEX
from insa.params import fraction
from insa.rules import income_tax as core
from insa.yearend.rules import rules_for
from insa.yearend.schemas import Case

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
REL = RELATION_INDEX
CASE_FIELDS = (
    "total_salary", "birth_year", "female", "disabled", "single_parent", "household_head",
    "married_this_year", "withheld_income_tax", "withheld_local_tax", "pension", "health",
    "long_term_care", "employment", "credit", "debit", "cash_receipt", "culture",
    "traditional_market", "public_transport", "insurance_general", "insurance_disabled",
    "med_special", "med_other", "med_infertility", "med_premature", "med_reimbursed",
    "edu_self", "edu_disabled", "don_political", "don_hometown", "don_general", "don_religious",
    "monthly_rent", "pension_savings", "irp", "subscription", "lease", "mortgage",
)  # fmt: skip


@dataclass
class Columns:
    """One tax year's cases as columns; ``dep_*`` and ``edu_*`` are flattened by case."""

    year: int
    n: int
    c: dict[str, I64]
    dep_case: I64
    dep_rel: I64
    dep_birth_year: I64
    dep_disabled: B
    dep_income: I64
    dep_born: B
    dep_order: I64
    edu_case: I64
    edu_university: B
    edu_amount: I64


def columns_from_cases(cases: Sequence[Case]) -> Columns:
    """Adapter from the JSON contract to columns (the database path builds columns directly)."""
    years = {c.tax_year for c in cases}
    if len(years) != 1:
        raise ValueError("one tax year per batch")
    rows: dict[str, list[int]] = {f: [] for f in CASE_FIELDS}
    deps: dict[str, list[int]] = {
        k: [] for k in ("case", "rel", "by", "dis", "inc", "born", "order")
    }
    edu: dict[str, list[int]] = {k: [] for k in ("case", "uni", "amount")}
    for i, k in enumerate(cases):
        t, w, co, cd, m, ed, d = (
            k.taxpayer,
            k.withheld,
            k.contributions,
            k.cards,
            k.medical,
            k.education,
            k.donations,
        )
        values = (
            k.wages.total_salary, t.birth_date.year, t.sex == "F", t.disabled, t.single_parent,
            t.household_head, t.married_this_year, w.income_tax, w.local_tax, co.pension, co.health,
            co.long_term_care, co.employment, cd.credit, cd.debit, cd.cash_receipt, cd.culture,
            cd.traditional_market, cd.public_transport, k.insurance.general, k.insurance.disabled,
            m.self_senior_disabled_child6, m.other_dependents, m.infertility, m.premature, m.reimbursed,
            ed.self, ed.disabled, d.political, d.hometown, d.general, d.religious, k.monthly_rent,
            k.pension_account.pension_savings, k.pension_account.irp, k.housing.subscription_savings,
            k.housing.lease_loan_repayment, k.housing.mortgage_interest,
        )  # fmt: skip
        for f, v in zip(CASE_FIELDS, values, strict=True):
            rows[f].append(int(v))
        for dep in k.dependents:
            deps["case"].append(i)
            deps["rel"].append(REL[dep.relation])
            deps["by"].append(dep.birth_date.year)
            deps["dis"].append(dep.disabled)
            deps["inc"].append(dep.income)
            deps["born"].append(dep.born_or_adopted_this_year)
            deps["order"].append(dep.birth_order)
        for uni, amounts in ((0, ed.preschool_school), (1, ed.university)):
            for a in amounts:
                edu["case"].append(i)
                edu["uni"].append(uni)
                edu["amount"].append(a)

    def arr(v: list[int]) -> I64:
        return np.asarray(v, dtype=np.int64)

    return Columns(
        year=years.pop(),
        n=len(cases),
        c={f: arr(v) for f, v in rows.items()},
        dep_case=arr(deps["case"]), dep_rel=arr(deps["rel"]), dep_birth_year=arr(deps["by"]),
        dep_disabled=arr(deps["dis"]).astype(bool), dep_income=arr(deps["inc"]),
        dep_born=arr(deps["born"]).astype(bool), dep_order=arr(deps["order"]),
        edu_case=arr(edu["case"]), edu_university=arr(edu["uni"]).astype(bool), edu_amount=arr(edu["amount"]),
    )  # fmt: skip


def _sum_by(case: I64, values: npt.ArrayLike, n: int) -> I64:
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, case, np.asarray(values, dtype=np.int64))
    return out


def settle(cols: Columns) -> dict[str, I64]:
    """All amounts for every case (int64 columns), the better of itemized and standard."""
    r = rules_for(cols.year)
    on = dt.date(cols.year, 12, 31)
    n, c, y = cols.n, cols.c, cols.year
    s = c["total_salary"]
    eid = core.earned_income_deduction(s, on)
    e = s - eid

    tests = r["deductions.dependent_tests"]
    add_p = r["deductions.personal_additional"]
    age = y - cols.dep_birth_year
    rel = cols.dep_rel
    child_like = np.isin(rel, [REL["child"], REL["grandchild"], REL["foster_child"]])
    asc = np.isin(rel, [REL["parent"], REL["grandparent"]])
    sibling = rel == REL["sibling"]
    spouse = rel == REL["spouse"]
    dis = cols.dep_disabled
    ok_age = (
        spouse
        | (child_like & ((age <= tests["descendant_max_age"]) | dis))
        | (asc & ((age >= tests["ascendant_min_age"]) | dis))
        | (sibling & ((age <= tests["sibling_max_age"]) | (age >= tests["sibling_min_age"]) | dis))
    )
    ok = ok_age & (cols.dep_income <= tests["income_limit"])
    k = cols.dep_case
    eligible_n = _sum_by(k, ok, n)
    basic_n = 1 + eligible_n
    senior = (y - c["birth_year"] >= add_p["senior_age"]).astype(np.int64) + _sum_by(
        k, ok & (age >= add_p["senior_age"]), n
    )
    disabled = c["disabled"] + _sum_by(k, ok & dis, n)
    children = _sum_by(k, ok & child_like, n)
    ch = r["credits.child"]
    children8 = _sum_by(k, ok & child_like & (age >= ch["min_age"]), n)
    born = ok & child_like & cols.dep_born
    order = np.clip(cols.dep_order, 1, 3) - 1
    birth_credit = _sum_by(k, np.where(born, np.asarray(ch["birth"], dtype=np.int64)[order], 0), n)
    has_spouse = _sum_by(k, spouse, n) > 0
    basic = basic_n * r["deductions.personal_basic"]
    single = (c["single_parent"] == 1) & (children > 0)
    woman = (
        ~single & (c["female"] == 1) & (e <= add_p["woman_income_limit"])
        & (has_spouse | ((c["household_head"] == 1) & (eligible_n > 0)))
    )  # fmt: skip
    extra = (
        senior * add_p["senior_70"] + disabled * add_p["disabled"]
        + np.where(single, add_p["single_parent"], np.where(woman, add_p["woman"], 0))
    )  # fmt: skip
    pension = c["pension"]
    premiums = c["health"] + c["long_term_care"] + c["employment"]

    hp = r["deductions.housing"]
    head = (c["household_head"] == 1) | (not hp["household_head_required"])
    sub = np.where(
        (s <= hp["subscription_salary_limit"]) & head,
        core.mul_rate(
            np.minimum(c["subscription"], hp["subscription_paid_cap"]), hp["subscription_rate"]
        ),
        0,
    )
    lease = np.where(head, core.mul_rate(c["lease"], hp["lease_rate"]), 0)
    lease = np.minimum(lease, np.maximum(hp["combined_cap"] - sub, 0))
    sub = np.minimum(sub, hp["combined_cap"])
    mortgage = np.where(
        head,
        np.minimum(c["mortgage"], np.maximum(hp["mortgage_interest_cap"] - sub - lease, 0)),
        0,
    )

    # cards: threshold used by credit first, then debit / cash / culture, then market / transit
    cp = r["deductions.cards"]
    low = s <= cp["salary_limit"]
    culture_ok = s <= cp["culture_salary_limit"]
    order_amounts = [
        (c["credit"] + np.where(culture_ok, 0, c["culture"]), cp["rates"]["credit"]),
        (c["debit"], cp["rates"]["debit"]),
        (c["cash_receipt"], cp["rates"]["cash_receipt"]),
        (np.where(culture_ok, c["culture"], 0), cp["rates"]["culture"]),
        (c["traditional_market"], cp["rates"]["traditional_market"]),
        (c["public_transport"], cp["rates"]["public_transport"]),
    ]
    remaining = core.mul_rate(s, cp["threshold_rate"])
    parts = []
    for amount, rate in order_amounts:
        used = np.minimum(amount, remaining)
        remaining = remaining - used
        parts.append(core.mul_rate(amount - used, rate))
    total_cards = sum(parts[1:], parts[0])
    inc_low, inc_high = cp["child_cap_increase"]["low"], cp["child_cap_increase"]["high"]
    inc = np.where(
        low,
        np.where(children >= 2, inc_low[1], np.where(children == 1, inc_low[0], 0)),
        np.where(children >= 2, inc_high[1], np.where(children == 1, inc_high[0], 0)),
    )
    base_cap = np.where(low, cp["base_cap"]["low"], cp["base_cap"]["high"]) + inc
    general_cards = np.minimum(total_cards, base_cap)
    pool = parts[4] + parts[5] + np.where(low, parts[3], 0)
    add_cap = np.where(low, cp["additional_cap"]["low"], cp["additional_cap"]["high"])
    cards_before_cap = general_cards + np.minimum(
        np.minimum(total_cards - general_cards, pool), add_cap
    )
    special_cap = r["deductions.special_cap"]

    # credits that do not depend on the path
    per = ch["per_child"]
    child = np.where(
        children8 == 0, 0, np.where(children8 == 1, per[0], per[1] + (children8 - 2) * per[2])
    )
    pa = r["credits.pension_account"]
    pa_base = np.minimum(
        np.minimum(c["pension_savings"], pa["savings_cap"]) + c["irp"], pa["total_cap"]
    )
    pa_rate = fraction(pa["rate_low"]), fraction(pa["rate_high"])
    pension_acct = np.where(
        s <= pa["salary_limit"],
        core.mul_rate(pa_base, pa_rate[0]),
        core.mul_rate(pa_base, pa_rate[1]),
    )
    dp = r["credits.donations"]
    num, den = dp["full_ratio"]
    pol = c["don_political"]
    pol_full = np.minimum(pol, dp["political_full_upto"])
    pol_high = np.maximum(pol - pol_full - dp["political_high_from"], 0)
    political = (
        pol_full * num // den
        + core.mul_rate(pol - pol_full - pol_high, dp["political_rate"])
        + core.mul_rate(pol_high, dp["political_high_rate"])
    )
    h = np.minimum(c["don_hometown"], dp["hometown_cap"])
    h_full = np.minimum(h, dp["hometown_full_upto"])
    hometown = h_full * num // den + core.mul_rate(h - h_full, dp["hometown_rate"])
    g, rel_don = c["don_general"], c["don_religious"]
    limit = np.where(
        rel_don > 0,
        core.mul_rate(e, dp["religious_limit_share"])
        + np.minimum(core.mul_rate(e, dp["nonreligious_share_with_religious"]), g),
        core.mul_rate(e, dp["general_limit_share"]),
    )
    eligible_don = np.minimum(g + rel_don, limit)
    d_low = np.minimum(eligible_don, dp["general_high_from"])
    d_top = np.maximum(eligible_don - dp["general_top_from"], 0)
    general_don = (
        core.mul_rate(d_low, dp["general_rate"])
        + core.mul_rate(eligible_don - d_low - d_top, dp["general_high_rate"])
        + core.mul_rate(d_top, dp["general_top_rate"])
    )
    ins = r["credits.insurance"]
    insurance = core.mul_rate(
        np.minimum(c["insurance_general"], ins["general_cap"]), ins["general_rate"]
    ) + core.mul_rate(
        np.minimum(c["insurance_disabled"], ins["disabled_cap"]), ins["disabled_rate"]
    )
    ed = r["credits.education"]
    capped_edu = np.minimum(
        cols.edu_amount,
        np.where(cols.edu_university, ed["university_cap"], ed["preschool_school_cap"]),
    )
    edu_base = c["edu_self"] + c["edu_disabled"] + _sum_by(cols.edu_case, capped_edu, n)
    education = core.mul_rate(edu_base, ed["rate"])
    medical = _medical(c, s, r["credits.medical"])
    mr = r["credits.monthly_rent"]
    rent_base = np.minimum(c["monthly_rent"], mr["cap"])
    rent_head = (c["household_head"] == 1) | (not mr["household_head_required"])
    rent = np.where(
        (s <= mr["salary_limit"]) & rent_head,
        np.where(
            s <= mr["rate_limit"],
            core.mul_rate(rent_base, mr["rate_low"]),
            core.mul_rate(rent_base, mr["rate_high"]),
        ),
        0,
    )
    mg = r["credits.marriage"]
    marriage = np.where((c["married_this_year"] == 1) & (y <= mg["until_year"]), mg["amount"], 0)
    common = child + birth_credit + pension_acct + political + hometown + marriage

    def path(itemized: bool) -> dict[str, I64]:
        zero = np.zeros(n, dtype=np.int64)
        housing_special = lease + mortgage if itemized else zero
        cards = np.minimum(cards_before_cap, np.maximum(special_cap - sub - housing_special, 0))
        special_income = premiums + housing_special if itemized else zero
        base = np.maximum(e - basic - extra - pension - special_income - sub - cards, 0)
        computed = core.progressive_tax(base, on)
        eic = core.earned_income_credit(computed, s, on)
        special = insurance + medical + education + general_don if itemized else zero
        standard = zero if itemized else np.full(n, r["credits.standard"], dtype=np.int64)
        credits = eic + common + special + (rent if itemized else zero) + standard
        return {
            "special_income_deduction": special_income, "card_deduction": cards, "tax_base": base, "computed_tax": computed,
            "earned_income_credit": eic, "insurance_credit": insurance if itemized else zero,
            "medical_credit": medical if itemized else zero, "education_credit": education if itemized else zero,
            "donation_credit": general_don if itemized else zero, "monthly_rent_credit": rent if itemized else zero,
            "standard_credit": standard, "total_credits": credits, "determined_tax": np.maximum(computed - credits, 0),
        }  # fmt: skip

    it, st = path(True), path(False)
    use_std = st["determined_tax"] < it["determined_tax"]
    out = {key: np.where(use_std, st[key], it[key]) for key in it}
    lb = r["income_tax.local_and_balance"]
    local = core.mul_rate(out["determined_tax"], lb["local_rate"])
    out |= {
        "total_salary": s, "earned_income_deduction": eid, "earned_income_amount": e,
        "basic_deduction": basic, "additional_deduction": extra, "pension_deduction": pension,
        "insurance_premium_deduction": np.where(use_std, 0, premiums),
        "housing_deduction": np.where(use_std, 0, lease + mortgage) + sub,
        "housing_subscription_deduction": sub, "child_credit": child,
        "birth_credit": birth_credit, "pension_account_credit": pension_acct,
        "political_donation_credit": political, "hometown_donation_credit": hometown,
        "marriage_credit": marriage, "standard_method": use_std.astype(np.int64), "local_tax": local,
        "withheld_income_tax": c["withheld_income_tax"], "withheld_local_tax": c["withheld_local_tax"],
        "balance_income_tax": core.truncate(out["determined_tax"] - c["withheld_income_tax"], lb["balance_unit"]),
        "balance_local_tax": core.truncate(local - c["withheld_local_tax"], lb["balance_unit"]),
    }  # fmt: skip
    return {k2: np.asarray(v, dtype=np.int64) for k2, v in out.items()}


def _medical(c: dict[str, I64], s: I64, p: dict[str, Any]) -> I64:
    amounts = [c["med_other"], c["med_special"], c["med_premature"], c["med_infertility"]]
    refund = c["med_reimbursed"]
    reduced = []
    for a in amounts:  # reimbursements reduce other dependents' expenses first
        take = np.minimum(a, refund)
        refund = refund - take
        reduced.append(a - take)
    general, special, prem, inf = reduced
    threshold = core.mul_rate(s, p["threshold_rate"])
    over = general >= threshold
    short = np.where(over, 0, threshold - general)
    general = np.where(over, np.minimum(general - threshold, p["other_cap"]), 0)
    rest = []
    for a in (special, prem, inf):  # the lowest rate absorbs the rest of the threshold first
        take = np.minimum(a, short)
        short = short - take
        rest.append(a - take)
    special, prem, inf = rest
    return (
        core.mul_rate(general + special, p["rate"])
        + core.mul_rate(prem, p["premature_rate"])
        + core.mul_rate(inf, p["infertility_rate"])
    )
