"""One person's settlement in plain Python integers, with an explanation line for every won.

This is the reference path: it reads like the law, produces the ``lines`` of the public
output, and must agree exactly with the vectorised engine (a property test checks it).
Every intermediate amount drops fractions of a won. :func:`compute` goes through the stages of
the law one function each, under the same names as :func:`insa.yearend.engine.settle`; the
formulas of single items are in :mod:`insa.yearend.scalar_items` (importable from here too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from insa.params import fraction
from insa.yearend.rules import Rules, mul, rules_for, truncate
from insa.yearend.scalar_items import (
    ASCENDANTS,
    CHILD_LIKE,
    DependentStatus,
    card_deduction,
    dependent_status,
    donation_credits,
    earned_income_credit,
    earned_income_deduction,
    is_senior,
    medical_credit,
    progressive_tax,
)
from insa.yearend.schemas import Case

__all__ = [
    "ASCENDANTS", "CHILD_LIKE", "DependentStatus", "Explainer", "card_deduction", "compute",
    "dependent_status", "donation_credits", "earned_income_credit", "earned_income_deduction",
    "is_senior", "medical_credit", "progressive_tax", "won",
]  # fmt: skip


@dataclass
class Explainer:
    rules: Rules
    lines: list[dict[str, Any]] = field(default_factory=list)

    def add(self, item: str, amount: int, rule: str, param: str | None) -> int:
        self.lines.append(
            {
                "item": item,
                "amount": amount,
                "rule": rule,
                "source": self.rules.source(param) if param else "",
                "parameter": param or "",
            }
        )
        return amount


def won(n: int) -> str:
    return f"{n:,}원"


# ---------------------------------------------------------------- the settlement, stage by stage
#
# compute() follows the statute; engine.settle() has the same stages under the same names.


def compute(case: Case) -> dict[str, Any]:
    """Settle one case; returns the public output (fixed fields, intermediates and lines).

    The stages of the law in order: earned income, personal deductions, the other income
    deductions, the tax credits, then for each method (itemized, standard) the tax base,
    computed tax and determined tax; the lower determined tax wins, then the local tax and
    the balances. The explanation lines follow the same order.
    """
    r = rules_for(case.tax_year)
    x = Explainer(r)
    inc = _income(case, r, x)
    per = _personal(case, inc, r, x)
    ded = _other_deductions(case, inc, per, r, x)
    cr = _credits(case, inc, per, r)
    itemized = _path(True, inc, per, ded, cr, r)
    standard = _path(False, inc, per, ded, cr, r)
    use_standard = standard["determined_tax"] < itemized["determined_tax"]
    chosen = standard if use_standard else itemized
    _explain_tax_base(x, chosen, ded, use_standard, r)
    _explain_credits(x, chosen, itemized, standard, use_standard)
    bal = _balances(case, chosen["determined_tax"], r, x)
    return _output(case, inc, per, ded, chosen, "standard" if use_standard else "itemized", bal, x)


@dataclass(frozen=True)
class _Income:
    s: int  # 총급여
    eid: int  # 근로소득공제
    e: int  # 근로소득금액


def _income(case: Case, r: Rules, x: Explainer) -> _Income:
    """총급여 − 근로소득공제 = 근로소득금액 (ITA §47)."""
    s = case.wages.total_salary
    x.add("총급여", s, "근로소득 총액에서 비과세소득을 뺀 금액", None)
    eid = x.add(
        "근로소득공제",
        earned_income_deduction(s, r),
        "총급여 구간별 공제율, 한도 2,000만 원",
        "deductions.earned_income",
    )
    e = s - eid
    x.add("근로소득금액", e, "총급여 − 근로소득공제", None)
    return _Income(s, eid, e)


@dataclass(frozen=True)
class _Personal:
    basic: int  # 기본공제
    extra: int  # 추가공제
    woman: bool  # 부녀자공제
    single: bool  # 한부모공제
    children: int  # basic-deduction children (card cap increase)
    children8: int  # children for the child credit
    births: list[int]  # birth orders of the children born or adopted this year


def _personal(case: Case, inc: _Income, r: Rules, x: Explainer) -> _Personal:
    """인적공제: 기본공제 (ITA §50) and 추가공제 (ITA §51)."""
    add_p = r["deductions.personal_additional"]
    basic_each = r["deductions.personal_basic"]
    y, t = case.tax_year, case.taxpayer
    basic_n = 1
    senior = int(is_senior(t.birth_date, y, r))
    disabled = int(t.disabled)
    children = 0
    children8 = 0
    births: list[int] = []
    has_spouse = False
    eligible_dependents = 0
    for d in case.dependents:
        st = dependent_status(d, y, r)
        has_spouse = has_spouse or d.relation == "spouse"
        if not st.basic:
            continue
        basic_n += 1
        eligible_dependents += 1
        senior += int(st.senior)
        disabled += int(st.disabled)
        if d.relation in CHILD_LIKE:
            children += 1
            children8 += int(st.child_credit)
            if st.birth:
                births.append(d.birth_order)
    basic = x.add(
        "기본공제",
        basic_n * basic_each,
        f"{basic_n}명 × {won(basic_each)}",
        "deductions.personal_basic",
    )
    extra = senior * add_p["senior_70"] + disabled * add_p["disabled"]
    single = t.single_parent and children > 0
    woman = (
        not single and t.sex == "F" and inc.e <= add_p["woman_income_limit"]
        and (has_spouse or (t.household_head and eligible_dependents > 0))
    )  # fmt: skip
    extra += add_p["single_parent"] if single else add_p["woman"] if woman else 0
    x.add(
        "추가공제", extra,
        f"경로우대 {senior}명, 장애인 {disabled}명" + (", 한부모" if single else ", 부녀자" if woman else ""),
        "deductions.personal_additional",
    )  # fmt: skip
    return _Personal(basic, extra, woman, single, children, children8, births)


@dataclass(frozen=True)
class _Deductions:
    pension: int  # 연금보험료공제
    premiums: int  # health, long-term care and employment insurance (itemized only)
    head: bool  # the housing deductions apply (household head, or not required)
    sub: int  # 주택청약저축
    lease: int  # 주택임차차입금 원리금 (itemized only)
    mortgage: int  # 장기주택저당차입금 이자 (itemized only)
    cards_before_cap: int  # 신용카드 등, before the overall cap


def _other_deductions(
    case: Case, inc: _Income, per: _Personal, r: Rules, x: Explainer
) -> _Deductions:
    """연금보험료공제 (ITA §51-3), the insurance premiums and housing funds of the special
    income deduction (ITA §52), 주택청약저축 (RTSA §87) and the card deduction (RTSA §126-2)."""
    pension = x.add(
        "연금보험료공제", case.contributions.pension, "공무원연금 등 본인 기여금 전액", None
    )
    c = case.contributions
    premiums = c.health + c.long_term_care + c.employment
    head, sub, lease, mortgage = _housing(case, inc.s, r)
    cards_before_cap, _pool = card_deduction(case, inc.s, per.children, r)
    return _Deductions(pension, premiums, head, sub, lease, mortgage, cards_before_cap)


def _housing(case: Case, s: int, r: Rules) -> tuple[bool, int, int, int]:
    """(household head, subscription savings, lease loan, mortgage interest) deductions."""
    hp = r["deductions.housing"]
    head = case.taxpayer.household_head or not hp["household_head_required"]
    sub = (
        mul(
            min(case.housing.subscription_savings, hp["subscription_paid_cap"]),
            fraction(hp["subscription_rate"]),
        )
        if s <= hp["subscription_salary_limit"] and head
        else 0
    )
    lease = mul(case.housing.lease_loan_repayment, fraction(hp["lease_rate"])) if head else 0
    lease = min(lease, max(hp["combined_cap"] - sub, 0))
    sub = min(sub, hp["combined_cap"])
    # the mortgage-interest cap covers the three housing deductions together (ITA §52⑤)
    mortgage = (
        min(case.housing.mortgage_interest, max(hp["mortgage_interest_cap"] - sub - lease, 0))
        if head
        else 0
    )
    return head, sub, lease, mortgage


@dataclass(frozen=True)
class _Credits:
    """The credits that do not depend on the method, and the itemized-only ones."""

    child: int  # 자녀세액공제 (ITA §59-2)
    birth: int  # 출산·입양
    pension_account: int  # 연금계좌 (ITA §59-3)
    political: int  # 정치자금기부금 (RTSA §76)
    hometown: int  # 고향사랑기부금 (RTSA §58)
    marriage: int  # 결혼 (RTSA §92)
    insurance: int  # itemized only, from here on (ITA §59-4)
    medical: int
    education: int
    donation: int
    rent: int  # 월세 (RTSA §95-2)


def _credits(case: Case, inc: _Income, per: _Personal, r: Rules) -> _Credits:
    """Every tax credit but the earned-income one (which needs the computed tax)."""
    s, t = inc.s, case.taxpayer
    ch = r["credits.child"]
    per_child, n8 = ch["per_child"], per.children8
    child = 0 if n8 == 0 else per_child[0] if n8 == 1 else per_child[1] + (n8 - 2) * per_child[2]
    birth = sum(ch["birth"][min(max(o, 1), 3) - 1] for o in per.births)
    pa = r["credits.pension_account"]
    pa_base = min(
        min(case.pension_account.pension_savings, pa["savings_cap"]) + case.pension_account.irp,
        pa["total_cap"],
    )
    pension_acct = mul(
        pa_base, fraction(pa["rate_low"] if s <= pa["salary_limit"] else pa["rate_high"])
    )
    political, hometown, general_don = donation_credits(case, inc.e, r)
    ins = r["credits.insurance"]
    insurance = mul(
        min(case.insurance.general, ins["general_cap"]), fraction(ins["general_rate"])
    ) + mul(min(case.insurance.disabled, ins["disabled_cap"]), fraction(ins["disabled_rate"]))
    ed = r["credits.education"]
    edu_base = (
        case.education.self + case.education.disabled
        + sum(min(v, ed["preschool_school_cap"]) for v in case.education.preschool_school)
        + sum(min(v, ed["university_cap"]) for v in case.education.university)
    )  # fmt: skip
    education = mul(edu_base, fraction(ed["rate"]))
    medical = medical_credit(case, s, r)
    mr = r["credits.monthly_rent"]
    rent = 0
    if s <= mr["salary_limit"] and (t.household_head or not mr["household_head_required"]):
        rent = mul(
            min(case.monthly_rent, mr["cap"]),
            fraction(mr["rate_low"] if s <= mr["rate_limit"] else mr["rate_high"]),
        )
    mg = r["credits.marriage"]
    marriage = mg["amount"] if t.married_this_year and case.tax_year <= mg["until_year"] else 0
    return _Credits(
        child, birth, pension_acct, political, hometown, marriage,
        insurance, medical, education, general_don, rent,
    )  # fmt: skip


def _path(
    itemized: bool, inc: _Income, per: _Personal, ded: _Deductions, cr: _Credits, r: Rules
) -> dict[str, int]:
    """One method: itemized (special income deductions and special credits) or standard.

    The overall cap on the housing and card deductions (RTSA §132-2), the tax base, the
    computed tax (ITA §55), the earned-income credit (ITA §59), the credits, and the
    determined tax.
    """
    housing_special = ded.lease + ded.mortgage if itemized else 0
    # 소득공제 종합한도: housing and card deductions together (RTSA §132-2); cards give way
    cap = r["deductions.special_cap"]
    cards = min(ded.cards_before_cap, max(cap - ded.sub - housing_special, 0))
    special_income = ded.premiums + housing_special if itemized else 0
    base = max(inc.e - per.basic - per.extra - ded.pension - special_income - ded.sub - cards, 0)
    computed = progressive_tax(base, r)
    eic = earned_income_credit(computed, inc.s, r)
    special = cr.insurance + cr.medical + cr.education + cr.donation if itemized else 0
    rent = cr.rent if itemized else 0
    standard = 0 if itemized else r["credits.standard"]
    credits = (
        eic + cr.child + cr.birth + cr.pension_account + cr.political + cr.hometown
        + cr.marriage + special + rent + standard
    )  # fmt: skip
    return {
        "special_income_deduction": special_income, "card_deduction": cards, "tax_base": base, "computed_tax": computed,
        "earned_income_credit": eic, "child_credit": cr.child, "birth_credit": cr.birth,
        "pension_account_credit": cr.pension_account, "political_donation_credit": cr.political,
        "hometown_donation_credit": cr.hometown, "marriage_credit": cr.marriage,
        "insurance_credit": cr.insurance if itemized else 0, "medical_credit": cr.medical if itemized else 0,
        "education_credit": cr.education if itemized else 0, "donation_credit": cr.donation if itemized else 0,
        "monthly_rent_credit": rent, "standard_credit": standard, "total_credits": credits,
        "determined_tax": max(computed - credits, 0),
    }  # fmt: skip


def _explain_tax_base(
    x: Explainer, chosen: dict[str, int], ded: _Deductions, use_standard: bool, r: Rules
) -> None:
    """The lines of the deductions that depend on the method, and the tax base."""
    hp = r["deductions.housing"]
    x.add(
        "특별소득공제",
        chosen["special_income_deduction"],
        "건강·장기요양·고용보험료, 주택임차차입금, 장기주택저당차입금 이자"
        + (" (표준세액공제 선택으로 미적용)" if use_standard else ""),
        "deductions.housing",
    )
    x.add(
        "주택청약저축 소득공제",
        ded.sub,
        f"납입액(한도 {won(hp['subscription_paid_cap'])})의 40%, 총급여 7천만 원 이하 무주택 세대주"
        + ("" if ded.head else " — 세대주가 아니어서 미적용"),
        "deductions.housing",
    )
    x.add(
        "신용카드 등 소득공제",
        chosen["card_deduction"],
        "총급여의 25% 초과 사용분 × 수단별 공제율, 기본·추가 한도, 주택자금과 합산 종합한도",
        "deductions.cards",
    )
    x.add("과세표준", chosen["tax_base"], "근로소득금액 − 소득공제 합계", None)


_CREDIT_LINES = (
    ("earned_income_credit", "근로소득세액공제", "credits.earned_income"),
    ("child_credit", "자녀세액공제", "credits.child"),
    ("birth_credit", "출산·입양 세액공제", "credits.child"),
    ("pension_account_credit", "연금계좌세액공제", "credits.pension_account"),
    ("insurance_credit", "보험료세액공제", "credits.insurance"),
    ("medical_credit", "의료비세액공제", "credits.medical"),
    ("education_credit", "교육비세액공제", "credits.education"),
    ("donation_credit", "기부금세액공제", "credits.donations"),
    ("political_donation_credit", "정치자금기부금 세액공제", "credits.donations"),
    ("hometown_donation_credit", "고향사랑기부금 세액공제", "credits.donations"),
    ("monthly_rent_credit", "월세세액공제", "credits.monthly_rent"),
    ("marriage_credit", "결혼세액공제", "credits.marriage"),
    ("standard_credit", "표준세액공제", "credits.standard"),
)


def _explain_credits(
    x: Explainer,
    chosen: dict[str, int],
    itemized: dict[str, int],
    standard: dict[str, int],
    use_standard: bool,
) -> None:
    """The computed tax, every credit granted, and why this method was chosen."""
    x.add("산출세액", chosen["computed_tax"], "과세표준 × 기본세율 − 누진공제", "income_tax.rates")
    for key, label, param in _CREDIT_LINES:
        if chosen[key]:
            x.add(label, chosen[key], "", param)
    why = (
        f"표준세액공제를 적용한 결정세액 {won(standard['determined_tax'])}이 항목별 공제 {won(itemized['determined_tax'])}보다 적어 표준세액공제를 선택"
        if use_standard
        else f"항목별 공제(특별소득·특별세액공제)를 적용한 결정세액 {won(itemized['determined_tax'])}이 표준세액공제 {won(standard['determined_tax'])}보다 적거나 같아 항목별 공제를 선택"
    )
    x.add("공제 방법 선택", 0, why, "credits.standard")


@dataclass(frozen=True)
class _Balances:
    determined: int  # 결정세액
    local: int  # 지방소득세
    income_tax: int  # 차감징수세액 (소득세), negative: a refund
    local_tax: int  # 차감징수세액 (지방소득세)


def _balances(case: Case, determined_tax: int, r: Rules, x: Explainer) -> _Balances:
    """결정세액, the local income tax (10 %), and what is left to collect or refund."""
    determined = x.add("결정세액", determined_tax, "산출세액 − 세액공제 합계 (0 미만은 0)", None)
    lb = r["income_tax.local_and_balance"]
    local = x.add(
        "지방소득세",
        mul(determined, fraction(lb["local_rate"])),
        "결정세액의 10%, 원 미만 절사",
        "income_tax.local_and_balance",
    )
    w = case.withheld
    bal = truncate(determined - w.income_tax, lb["balance_unit"])
    bal_local = truncate(local - w.local_tax, lb["balance_unit"])
    x.add(
        "차감징수세액 (소득세)",
        bal,
        f"결정세액 − 기납부세액 {won(w.income_tax)}, 10원 미만 절사 (음수는 환급)",
        "income_tax.local_and_balance",
    )
    x.add(
        "차감징수세액 (지방소득세)",
        bal_local,
        f"지방소득세 − 기납부 {won(w.local_tax)}, 10원 미만 절사",
        "income_tax.local_and_balance",
    )
    return _Balances(determined, local, bal, bal_local)


def _output(
    case: Case,
    inc: _Income,
    per: _Personal,
    ded: _Deductions,
    chosen: dict[str, int],
    method: str,
    bal: _Balances,
    x: Explainer,
) -> dict[str, Any]:
    """The public output, its fields in the contract's order."""
    add_p = x.rules["deductions.personal_additional"]
    itemized = method == "itemized"
    return {
        "id": case.id,
        "tax_year": case.tax_year,
        "total_salary": inc.s,
        "earned_income_deduction": inc.eid,
        "earned_income_amount": inc.e,
        "basic_deduction": per.basic,
        "additional_deduction": per.extra,
        "pension_deduction": ded.pension,
        "insurance_premium_deduction": ded.premiums if itemized else 0,
        "housing_deduction": (ded.lease + ded.mortgage if itemized else 0) + ded.sub,
        "housing_subscription_deduction": ded.sub,
        # the parts of the totals above that the filing file itemises
        "woman_deduction": add_p["woman"] if per.woman else 0,
        "single_parent_deduction": add_p["single_parent"] if per.single else 0,
        "employment_insurance_deduction": case.contributions.employment if itemized else 0,
        "lease_loan_deduction": ded.lease if itemized else 0,
        "mortgage_interest_deduction": ded.mortgage if itemized else 0,
        **{k: v for k, v in chosen.items() if k != "determined_tax"},
        "method": method,
        "determined_tax": bal.determined,
        "local_tax": bal.local,
        "withheld_income_tax": case.withheld.income_tax,
        "withheld_local_tax": case.withheld.local_tax,
        "balance_income_tax": bal.income_tax,
        "balance_local_tax": bal.local_tax,
        "lines": x.lines,
    }
