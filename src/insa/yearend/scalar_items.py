"""The formulas of single items for the scalar engine (:mod:`insa.yearend.scalar`), in plain
Python integers: the earned-income deduction, the progressive tax, the earned-income credit,
the dependent tests, the card deduction, and the medical and donation credits.

Every intermediate amount drops fractions of a won.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from insa.params import fraction
from insa.yearend.rules import Rules, mul
from insa.yearend.schemas import Case, Dependent

CHILD_LIKE = ("child", "grandchild", "foster_child")
ASCENDANTS = ("parent", "grandparent")


# The three core formulas below are written again here on purpose, in plain integers, apart
# from the array versions in insa.rules.income_tax: the two engines are checked against each
# other, and a shared formula would make that check blind to its own mistakes.


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
