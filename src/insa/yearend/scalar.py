"""One person's settlement in plain Python integers, with an explanation line for every won.

This is the reference path: it reads like the law, produces the ``lines`` of the public
output, and must agree exactly with the vectorised engine (a property test checks it).
Every intermediate amount drops fractions of a won.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from insa.params import fraction
from insa.yearend.rules import Rules, mul, rules_for, truncate
from insa.yearend.schemas import Case, Dependent

CHILD_LIKE = ("child", "grandchild", "foster_child")
ASCENDANTS = ("parent", "grandparent")


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


# The three core formulas below are written again here on purpose, in plain integers, apart
# from the array versions in core.py: the two engines are checked against each other, and a
# shared formula would make that check blind to its own mistakes.


def is_senior(birth_date: dt.date, year: int, r: Rules) -> bool:
    """경로우대: aged 70 or more as the law counts (tax year − birth year)."""
    return year - birth_date.year >= int(r["deductions.personal_additional"]["senior_age"])


def earned_income_deduction(s: int, r: Rules) -> int:
    p = r["deductions.earned_income"]
    out = 0
    for lower, fixed, rate in p["bands"]:
        if s > lower or lower == 0:
            out = fixed + mul(max(s - lower, 0), fraction(rate))
    return int(min(out, p["cap"]))


def progressive_tax(base: int, r: Rules) -> int:
    lower = -1
    for upper, rate, quick in r["income_tax.rates"]:
        if base > lower and (upper is None or base <= upper):
            return max(mul(base, fraction(rate)) - int(quick), 0)
        lower = upper
    return 0


def earned_income_credit(tax: int, s: int, r: Rules) -> int:
    p = r["credits.earned_income"]
    if tax <= p["threshold"]:
        credit = mul(tax, fraction(p["rate_below"]))
    else:
        credit = p["base_above"] + mul(tax - p["threshold"], fraction(p["rate_above"]))
    prev = 0
    cap = 0
    for upper, start, reduce_rate, floor in p["caps"]:
        if upper is None or s <= upper:
            cap = max(start - mul(max(s - prev, 0), fraction(reduce_rate)), floor)
            break
        prev = upper
    return int(min(credit, cap))


@dataclass(frozen=True)
class DependentStatus:
    """What one dependent qualifies for (the receipt's 인적공제 명세 marks)."""

    basic: bool  # 기본공제: the age and income tests
    senior: bool  # 경로우대 (70+)
    disabled: bool  # 장애인
    child_credit: bool  # 자녀세액공제 (child-like, basic, aged 8+)
    birth: bool  # 출산·입양


def dependent_status(d: Dependent, year: int, r: Rules) -> DependentStatus:
    tests = r["deductions.dependent_tests"]
    age = year - d.birth_date.year
    if d.relation == "spouse":
        ok_age = True
    elif d.relation in CHILD_LIKE:
        ok_age = age <= tests["descendant_max_age"] or d.disabled
    elif d.relation in ASCENDANTS:
        ok_age = age >= tests["ascendant_min_age"] or d.disabled
    else:
        ok_age = age <= tests["sibling_max_age"] or age >= tests["sibling_min_age"] or d.disabled
    basic = ok_age and d.income <= tests["income_limit"]
    child = basic and d.relation in CHILD_LIKE
    return DependentStatus(
        basic=basic,
        senior=basic and is_senior(d.birth_date, year, r),
        disabled=basic and d.disabled,
        child_credit=child and age >= r["credits.child"]["min_age"],
        birth=child and d.born_or_adopted_this_year,
    )


def card_deduction(case: Case, s: int, children: int, r: Rules) -> tuple[int, int]:
    """(deduction, the market/transit/culture part eligible for the additional cap)."""
    p = r["deductions.cards"]
    low = s <= p["salary_limit"]
    c = case.cards
    culture_ok = s <= p["culture_salary_limit"]
    rates = {k: fraction(v) for k, v in p["rates"].items()}
    # the threshold is used up by credit cards first, then debit / cash / culture, then market / transit
    order = [
        ("credit", c.credit + (0 if culture_ok else c.culture), rates["credit"]),
        ("debit", c.debit, rates["debit"]),
        ("cash_receipt", c.cash_receipt, rates["cash_receipt"]),
        ("culture", c.culture if culture_ok else 0, rates["culture"]),
        ("traditional_market", c.traditional_market, rates["traditional_market"]),
        ("public_transport", c.public_transport, rates["public_transport"]),
    ]
    remaining = mul(s, fraction(p["threshold_rate"]))
    parts: dict[str, int] = {}
    for name, amount, rate in order:
        used = min(amount, remaining)
        remaining -= used
        parts[name] = mul(amount - used, rate)
    total = sum(parts.values())
    level = "low" if low else "high"
    inc = p["child_cap_increase"][level]
    base_cap = p["base_cap"][level] + (inc[1] if children >= 2 else inc[0] if children == 1 else 0)
    general = min(total, base_cap)
    pool = (
        parts["traditional_market"] + parts["public_transport"] + (parts["culture"] if low else 0)
    )
    additional = min(total - general, pool, p["additional_cap"][level])
    return general + additional, pool


def medical_credit(case: Case, s: int, r: Rules) -> int:
    p = r["credits.medical"]
    m = case.medical
    general, special, prem, inf = (
        m.other_dependents,
        m.self_senior_disabled_child6,
        m.premature,
        m.infertility,
    )
    refund = m.reimbursed
    amounts = [general, special, prem, inf]
    for i in range(4):  # reimbursements reduce other dependents' expenses first
        take = min(amounts[i], refund)
        amounts[i] -= take
        refund -= take
    general, special, prem, inf = amounts
    threshold = mul(s, fraction(p["threshold_rate"]))
    if general >= threshold:
        general = min(general - threshold, p["other_cap"])
    else:
        short = threshold - general
        general = 0
        rest = [special, prem, inf]
        for i in range(3):  # the lowest rate absorbs the rest of the threshold first
            take = min(rest[i], short)
            rest[i] -= take
            short -= take
        special, prem, inf = rest
    return (
        mul(general + special, fraction(p["rate"]))
        + mul(prem, fraction(p["premature_rate"]))
        + mul(inf, fraction(p["infertility_rate"]))
    )


def donation_credits(case: Case, e: int, r: Rules) -> tuple[int, int, int]:
    """(political, hometown, general and religious) credits."""
    p = r["credits.donations"]
    num, den = p["full_ratio"]
    d = case.donations
    pol_full = min(d.political, p["political_full_upto"])
    pol_rest = d.political - pol_full
    # 25 % on the part of "the amount above 100,000 won" that exceeds 30,000,000 (RTSA §76)
    high_part = max(pol_rest - p["political_high_from"], 0)
    political = (
        pol_full * num // den
        + mul(pol_rest - high_part, fraction(p["political_rate"]))
        + mul(high_part, fraction(p["political_high_rate"]))
    )
    h = min(d.hometown, p["hometown_cap"])
    h_full = min(h, p["hometown_full_upto"])
    hometown = h_full * num // den + mul(h - h_full, fraction(p["hometown_rate"]))
    # limit (ITA §34③): 30 % of the income amount; with religious donations,
    # 10 % + min(20 %, the non-religious donations)
    if d.religious > 0:
        limit = mul(e, fraction(p["religious_limit_share"])) + min(
            mul(e, fraction(p["nonreligious_share_with_religious"])), d.general
        )
    else:
        limit = mul(e, fraction(p["general_limit_share"]))
    eligible = min(d.general + d.religious, limit)
    low = min(eligible, p["general_high_from"])
    top = max(eligible - p["general_top_from"], 0)
    mid = eligible - low - top
    general = (
        mul(low, fraction(p["general_rate"]))
        + mul(mid, fraction(p["general_high_rate"]))
        + mul(top, fraction(p["general_top_rate"]))
    )
    return political, hometown, general


def compute(case: Case) -> dict[str, Any]:
    """Settle one case; returns the public output (fixed fields, intermediates and lines)."""
    r = rules_for(case.tax_year)
    x = Explainer(r)
    y = case.tax_year
    s = case.wages.total_salary
    t = case.taxpayer
    x.add("총급여", s, "근로소득 총액에서 비과세소득을 뺀 금액", None)
    eid = x.add(
        "근로소득공제",
        earned_income_deduction(s, r),
        "총급여 구간별 공제율, 한도 2,000만 원",
        "deductions.earned_income",
    )
    e = s - eid
    x.add("근로소득금액", e, "총급여 − 근로소득공제", None)

    add_p = r["deductions.personal_additional"]
    basic_each = r["deductions.personal_basic"]
    basic_n = 1
    senior = int(is_senior(t.birth_date, y, r))
    disabled = int(t.disabled)
    children = 0  # basic-deduction children (card cap increase)
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
        not single and t.sex == "F" and e <= add_p["woman_income_limit"]
        and (has_spouse or (t.household_head and eligible_dependents > 0))
    )  # fmt: skip
    extra += add_p["single_parent"] if single else add_p["woman"] if woman else 0
    x.add(
        "추가공제", extra,
        f"경로우대 {senior}명, 장애인 {disabled}명" + (", 한부모" if single else ", 부녀자" if woman else ""),
        "deductions.personal_additional",
    )  # fmt: skip
    pension = x.add(
        "연금보험료공제", case.contributions.pension, "공무원연금 등 본인 기여금 전액", None
    )
    c = case.contributions
    premiums = c.health + c.long_term_care + c.employment
    hp = r["deductions.housing"]
    head = t.household_head or not hp["household_head_required"]
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
    cards_before_cap, _pool = card_deduction(case, s, children, r)
    cap = r["deductions.special_cap"]

    def path(itemized: bool) -> dict[str, int]:
        housing_special = lease + mortgage if itemized else 0
        # 소득공제 종합한도: housing and card deductions together (RTSA §132-2); cards give way
        cards = min(cards_before_cap, max(cap - sub - housing_special, 0))
        special_income = premiums + housing_special if itemized else 0
        base = max(e - basic - extra - pension - special_income - sub - cards, 0)
        computed = progressive_tax(base, r)
        eic = earned_income_credit(computed, s, r)
        ch = r["credits.child"]
        per = ch["per_child"]
        child = (
            0 if children8 == 0 else per[0] if children8 == 1 else per[1] + (children8 - 2) * per[2]
        )
        birth = sum(ch["birth"][min(max(o, 1), 3) - 1] for o in births)
        pa = r["credits.pension_account"]
        pa_base = min(
            min(case.pension_account.pension_savings, pa["savings_cap"]) + case.pension_account.irp,
            pa["total_cap"],
        )
        pension_acct = mul(
            pa_base, fraction(pa["rate_low"] if s <= pa["salary_limit"] else pa["rate_high"])
        )
        political, hometown, general_don = donation_credits(case, e, r)
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
        marriage = mg["amount"] if t.married_this_year and y <= mg["until_year"] else 0
        special = insurance + medical + education + general_don if itemized else 0
        rent = rent if itemized else 0
        standard = 0 if itemized else r["credits.standard"]
        credits = (
            eic
            + child
            + birth
            + pension_acct
            + political
            + hometown
            + marriage
            + special
            + rent
            + standard
        )
        return {
            "special_income_deduction": special_income, "card_deduction": cards, "tax_base": base, "computed_tax": computed,
            "earned_income_credit": eic, "child_credit": child, "birth_credit": birth,
            "pension_account_credit": pension_acct, "political_donation_credit": political,
            "hometown_donation_credit": hometown, "marriage_credit": marriage,
            "insurance_credit": insurance if itemized else 0, "medical_credit": medical if itemized else 0,
            "education_credit": education if itemized else 0, "donation_credit": general_don if itemized else 0,
            "monthly_rent_credit": rent, "standard_credit": standard, "total_credits": credits,
            "determined_tax": max(computed - credits, 0),
        }  # fmt: skip

    itemized = path(True)
    standard = path(False)
    use_standard = standard["determined_tax"] < itemized["determined_tax"]
    chosen = standard if use_standard else itemized
    method = "standard" if use_standard else "itemized"
    x.add(
        "특별소득공제",
        chosen["special_income_deduction"],
        "건강·장기요양·고용보험료, 주택임차차입금, 장기주택저당차입금 이자"
        + (" (표준세액공제 선택으로 미적용)" if use_standard else ""),
        "deductions.housing",
    )
    x.add(
        "주택청약저축 소득공제",
        sub,
        f"납입액(한도 {won(hp['subscription_paid_cap'])})의 40%, 총급여 7천만 원 이하 무주택 세대주"
        + ("" if head else " — 세대주가 아니어서 미적용"),
        "deductions.housing",
    )
    x.add(
        "신용카드 등 소득공제",
        chosen["card_deduction"],
        "총급여의 25% 초과 사용분 × 수단별 공제율, 기본·추가 한도, 주택자금과 합산 종합한도",
        "deductions.cards",
    )
    x.add("과세표준", chosen["tax_base"], "근로소득금액 − 소득공제 합계", None)
    x.add("산출세액", chosen["computed_tax"], "과세표준 × 기본세율 − 누진공제", "income_tax.rates")
    for key, label, param in (
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
    ):
        if chosen[key]:
            x.add(label, chosen[key], "", param)
    why = (
        f"표준세액공제를 적용한 결정세액 {won(standard['determined_tax'])}이 항목별 공제 {won(itemized['determined_tax'])}보다 적어 표준세액공제를 선택"
        if use_standard
        else f"항목별 공제(특별소득·특별세액공제)를 적용한 결정세액 {won(itemized['determined_tax'])}이 표준세액공제 {won(standard['determined_tax'])}보다 적거나 같아 항목별 공제를 선택"
    )
    x.add("공제 방법 선택", 0, why, "credits.standard")
    determined = x.add(
        "결정세액", chosen["determined_tax"], "산출세액 − 세액공제 합계 (0 미만은 0)", None
    )
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
    return {
        "id": case.id,
        "tax_year": y,
        "total_salary": s,
        "earned_income_deduction": eid,
        "earned_income_amount": e,
        "basic_deduction": basic,
        "additional_deduction": extra,
        "pension_deduction": pension,
        "insurance_premium_deduction": premiums if method == "itemized" else 0,
        "housing_deduction": (lease + mortgage if method == "itemized" else 0) + sub,
        "housing_subscription_deduction": sub,
        # the parts of the totals above that the filing file itemises
        "woman_deduction": add_p["woman"] if woman else 0,
        "single_parent_deduction": add_p["single_parent"] if single else 0,
        "employment_insurance_deduction": c.employment if method == "itemized" else 0,
        "lease_loan_deduction": lease if method == "itemized" else 0,
        "mortgage_interest_deduction": mortgage if method == "itemized" else 0,
        **{k: v for k, v in chosen.items() if k != "determined_tax"},
        "method": method,
        "determined_tax": determined,
        "local_tax": local,
        "withheld_income_tax": w.income_tax,
        "withheld_local_tax": w.local_tax,
        "balance_income_tax": bal,
        "balance_local_tax": bal_local,
        "lines": x.lines,
    }
