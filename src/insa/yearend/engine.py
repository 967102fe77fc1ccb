"""The vectorised settlement: every case of one tax year as int64 columns, one pass.

No per-person Python on the hot path: dependents and education entries are flattened to
arrays keyed by case index and summed with ``np.add.at``. The rules come from
:mod:`insa.yearend.rules`, the same numbers :mod:`insa.yearend.scalar` uses; a property test
checks that both agree to the won. :func:`settle` goes through the stages of the law one
function each, under the same names as :func:`insa.yearend.scalar.compute`; the formulas of
single items are in :mod:`insa.yearend.engine_items`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from insa.codes import RELATION_INDEX
from insa.params import fraction
from insa.rules import income_tax as core
from insa.yearend import engine_items as items
from insa.yearend.rules import Rules, rules_for
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


# ---------------------------------------------------------------- the settlement, stage by stage
#
# settle() has the stages of scalar.compute() under the same names, every case at once.


def settle(cols: Columns) -> dict[str, I64]:
    """All amounts for every case (int64 columns), the better of itemized and standard.

    The stages of the law in order, as :func:`insa.yearend.scalar.compute`: earned income,
    personal deductions, the other income deductions, the tax credits, then for each method
    the tax base, computed tax and determined tax; the lower determined tax wins, then the
    local tax and the balances.
    """
    r = rules_for(cols.year)
    on = dt.date(cols.year, 12, 31)
    inc = _income(cols, on)
    per = _personal(cols, inc, r)
    ded = _other_deductions(cols, inc, per, r)
    cr = _credits(cols, inc, per, r)
    it = _path(True, cols.n, inc, per, ded, cr, r, on)
    st = _path(False, cols.n, inc, per, ded, cr, r, on)
    use_std = st["determined_tax"] < it["determined_tax"]
    out = {key: np.where(use_std, st[key], it[key]) for key in it}
    bal = _balances(cols, out["determined_tax"], r)
    out |= _output(cols, inc, per, ded, cr, use_std, bal)
    return {k2: np.asarray(v, dtype=np.int64) for k2, v in out.items()}


@dataclass(frozen=True)
class _Income:
    s: I64  # 총급여
    eid: I64  # 근로소득공제
    e: I64  # 근로소득금액


def _income(cols: Columns, on: dt.date) -> _Income:
    """총급여 − 근로소득공제 = 근로소득금액 (ITA §47)."""
    s = cols.c["total_salary"]
    eid = core.earned_income_deduction(s, on)
    return _Income(s, eid, s - eid)


@dataclass(frozen=True)
class _Personal:
    basic: I64  # 기본공제
    extra: I64  # 추가공제
    children: I64  # basic-deduction children (card cap increase)
    children8: I64  # children for the child credit
    born: B  # per dependent: a basic-deduction child born or adopted this year


def _personal(cols: Columns, inc: _Income, r: Rules) -> _Personal:
    """인적공제: 기본공제 (ITA §50) and 추가공제 (ITA §51)."""
    n, c, y = cols.n, cols.c, cols.year
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
    children8 = _sum_by(k, ok & child_like & (age >= r["credits.child"]["min_age"]), n)
    has_spouse = _sum_by(k, spouse, n) > 0
    basic = basic_n * r["deductions.personal_basic"]
    single = (c["single_parent"] == 1) & (children > 0)
    woman = (
        ~single & (c["female"] == 1) & (inc.e <= add_p["woman_income_limit"])
        & (has_spouse | ((c["household_head"] == 1) & (eligible_n > 0)))
    )  # fmt: skip
    extra = (
        senior * add_p["senior_70"] + disabled * add_p["disabled"]
        + np.where(single, add_p["single_parent"], np.where(woman, add_p["woman"], 0))
    )  # fmt: skip
    return _Personal(basic, extra, children, children8, ok & child_like & cols.dep_born)


@dataclass(frozen=True)
class _Deductions:
    pension: I64  # 연금보험료공제
    premiums: I64  # health, long-term care and employment insurance (itemized only)
    sub: I64  # 주택청약저축
    lease: I64  # 주택임차차입금 원리금 (itemized only)
    mortgage: I64  # 장기주택저당차입금 이자 (itemized only)
    cards_before_cap: I64  # 신용카드 등, before the overall cap


def _other_deductions(cols: Columns, inc: _Income, per: _Personal, r: Rules) -> _Deductions:
    """연금보험료공제 (ITA §51-3), the insurance premiums and housing funds of the special
    income deduction (ITA §52), 주택청약저축 (RTSA §87) and the card deduction (RTSA §126-2)."""
    c = cols.c
    premiums = c["health"] + c["long_term_care"] + c["employment"]
    sub, lease, mortgage = _housing(c, inc.s, r)
    cards_before_cap = items.card_deduction(c, inc.s, per.children, r)
    return _Deductions(c["pension"], premiums, sub, lease, mortgage, cards_before_cap)


def _housing(c: dict[str, I64], s: I64, r: Rules) -> tuple[I64, I64, I64]:
    """(subscription savings, lease loan, mortgage interest) deductions."""
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
    # the mortgage-interest cap covers the three housing deductions together (ITA §52⑤)
    mortgage = np.where(
        head,
        np.minimum(c["mortgage"], np.maximum(hp["mortgage_interest_cap"] - sub - lease, 0)),
        0,
    )
    return sub, lease, mortgage


@dataclass(frozen=True)
class _Credits:
    """The credits that do not depend on the method, and the itemized-only ones."""

    child: I64  # 자녀세액공제 (ITA §59-2)
    birth: I64  # 출산·입양
    pension_account: I64  # 연금계좌 (ITA §59-3)
    political: I64  # 정치자금기부금 (RTSA §76)
    hometown: I64  # 고향사랑기부금 (RTSA §58)
    marriage: I64  # 결혼 (RTSA §92)
    insurance: I64  # itemized only, from here on (ITA §59-4)
    medical: I64
    education: I64
    donation: I64
    rent: I64  # 월세 (RTSA §95-2)


def _credits(cols: Columns, inc: _Income, per: _Personal, r: Rules) -> _Credits:
    """Every tax credit but the earned-income one (which needs the computed tax)."""
    n, c, s = cols.n, cols.c, inc.s
    ch = r["credits.child"]
    per_child, n8 = ch["per_child"], per.children8
    child = np.where(
        n8 == 0, 0, np.where(n8 == 1, per_child[0], per_child[1] + (n8 - 2) * per_child[2])
    )
    order = np.clip(cols.dep_order, 1, 3) - 1
    birth_amount = np.where(per.born, np.asarray(ch["birth"], dtype=np.int64)[order], 0)
    birth = _sum_by(cols.dep_case, birth_amount, n)
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
    political, hometown, general_don = items.donation_credits(c, inc.e, r["credits.donations"])
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
    medical = items.medical_credit(c, s, r["credits.medical"])
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
    married = (c["married_this_year"] == 1) & (cols.year <= mg["until_year"])
    marriage = np.where(married, mg["amount"], 0)
    return _Credits(
        child, birth, pension_acct, political, hometown, marriage,
        insurance, medical, education, general_don, rent,
    )  # fmt: skip


def _path(
    itemized: bool,
    n: int,
    inc: _Income,
    per: _Personal,
    ded: _Deductions,
    cr: _Credits,
    r: Rules,
    on: dt.date,
) -> dict[str, I64]:
    """One method: itemized (special income deductions and special credits) or standard.

    The overall cap on the housing and card deductions (RTSA §132-2), the tax base, the
    computed tax (ITA §55), the earned-income credit (ITA §59), the credits, and the
    determined tax.
    """
    zero = np.zeros(n, dtype=np.int64)
    housing_special = ded.lease + ded.mortgage if itemized else zero
    cap = r["deductions.special_cap"]
    cards = np.minimum(ded.cards_before_cap, np.maximum(cap - ded.sub - housing_special, 0))
    special_income = ded.premiums + housing_special if itemized else zero
    base = np.maximum(
        inc.e - per.basic - per.extra - ded.pension - special_income - ded.sub - cards, 0
    )
    computed = core.progressive_tax(base, on)
    eic = core.earned_income_credit(computed, inc.s, on)
    special = cr.insurance + cr.medical + cr.education + cr.donation if itemized else zero
    rent = cr.rent if itemized else zero
    standard = zero if itemized else np.full(n, r["credits.standard"], dtype=np.int64)
    common = cr.child + cr.birth + cr.pension_account + cr.political + cr.hometown + cr.marriage
    credits = eic + common + special + rent + standard
    return {
        "special_income_deduction": special_income, "card_deduction": cards, "tax_base": base, "computed_tax": computed,
        "earned_income_credit": eic, "insurance_credit": cr.insurance if itemized else zero,
        "medical_credit": cr.medical if itemized else zero, "education_credit": cr.education if itemized else zero,
        "donation_credit": cr.donation if itemized else zero, "monthly_rent_credit": rent,
        "standard_credit": standard, "total_credits": credits, "determined_tax": np.maximum(computed - credits, 0),
    }  # fmt: skip


@dataclass(frozen=True)
class _Balances:
    local: I64  # 지방소득세
    income_tax: I64  # 차감징수세액 (소득세), negative: a refund
    local_tax: I64  # 차감징수세액 (지방소득세)


def _balances(cols: Columns, determined: I64, r: Rules) -> _Balances:
    """The local income tax (10 %) of the determined tax, and what is left to collect or refund."""
    c = cols.c
    lb = r["income_tax.local_and_balance"]
    local = core.mul_rate(determined, lb["local_rate"])
    return _Balances(
        local,
        core.truncate(determined - c["withheld_income_tax"], lb["balance_unit"]),
        core.truncate(local - c["withheld_local_tax"], lb["balance_unit"]),
    )


def _output(
    cols: Columns,
    inc: _Income,
    per: _Personal,
    ded: _Deductions,
    cr: _Credits,
    use_std: B,
    bal: _Balances,
) -> dict[str, I64]:
    """The columns besides those of the chosen method, in the order of the output."""
    c = cols.c
    return {
        "total_salary": inc.s, "earned_income_deduction": inc.eid, "earned_income_amount": inc.e,
        "basic_deduction": per.basic, "additional_deduction": per.extra, "pension_deduction": ded.pension,
        "insurance_premium_deduction": np.where(use_std, 0, ded.premiums),
        "housing_deduction": np.where(use_std, 0, ded.lease + ded.mortgage) + ded.sub,
        "housing_subscription_deduction": ded.sub, "child_credit": cr.child,
        "birth_credit": cr.birth, "pension_account_credit": cr.pension_account,
        "political_donation_credit": cr.political, "hometown_donation_credit": cr.hometown,
        "marriage_credit": cr.marriage, "standard_method": use_std.astype(np.int64), "local_tax": bal.local,
        "withheld_income_tax": c["withheld_income_tax"], "withheld_local_tax": c["withheld_local_tax"],
        "balance_income_tax": bal.income_tax, "balance_local_tax": bal.local_tax,
    }  # fmt: skip
