"""Monthly payroll (급여) for a year, vectorised over employees × 12 months, integer won.

Amounts follow the dated parameters in ``people/params``. Two parts are approximations and
say so: the 일반직 pay table between its published anchor steps, and the income-tax
withholding, which applies the formula the simplified withholding table
(근로소득 간이세액표, 소득세법 시행령 별표 2) is built from — annualised pay, earned income
deduction, personal deductions, pension and insurance deductions, progressive rates and the
earned income credit — instead of the 647-row table itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import holidays
import numpy as np
import numpy.typing as npt

from insa.params import load
from insa.people.grades import GRADE_CODES
from insa.people.paytable import general_table
from insa.rules import income_tax as tax_rules
from insa.rules.dates import ages_by_month

I64 = npt.NDArray[np.int64]

PAY_COLUMNS = (
    "base_pay",
    "position_allowance",
    "longevity_allowance",
    "longevity_bonus",
    "holiday_bonus",
    "family_allowance",
    "overtime_allowance",
    "meal_allowance",
    "gross_pay",
    "taxable_pay",
    "nontaxable_pay",
    "income_tax",
    "local_income_tax",
    "pension_contribution",
    "health_insurance",
    "long_term_care",
    "net_pay",
)
WITHHOLDING_IS_APPROXIMATE = True


@dataclass(frozen=True)
class PayInputs:
    """Per-employee inputs; shape (n,) unless noted."""

    grade: npt.NDArray[np.int8]  # index into GRADE_CODES
    step: npt.NDArray[np.int16]
    hire_ord: I64  # hire date as date.toordinal()
    scs_annual: I64  # base annual salary for senior executives (0 otherwise)
    overtime_hours: I64  # (n, 12) hours beyond the flat hours
    paid: npt.NDArray[np.bool_]  # (n, 12) on the payroll that month
    family_allowance: I64  # (n, 12) from insa.rules.family_allowance
    withholding_family: I64  # persons counted for withholding (self included)


@cache
def holiday_months(year: int) -> tuple[int, ...]:
    """Months of 설날 and 추석 (the main day), from the holidays package (lunar calendar)."""
    months: set[int] = set()
    for day, name in holidays.country_holidays("KR", years=year, language="ko").items():
        if name in ("설날", "추석"):
            months.add(day.month)
    return tuple(sorted(months))


def _step_lookup(rows: list[list[int]], values: I64) -> I64:
    out = np.zeros_like(values)
    for lower, amount in rows:
        out = np.where(values >= lower, amount, out)
    return np.asarray(out, dtype=np.int64)


def years_of_service(hire_ord: I64, year: int) -> I64:
    """Completed years of service on the first day of each month, shape (n, 12)."""
    # completed years on the first of the month = the age of the appointment on that day
    return np.maximum(ages_by_month(hire_ord, year), 0)


def compute(inputs: PayInputs, year: int) -> dict[str, I64]:
    """All payroll columns for ``year``, each an int64 array of shape (n, 12)."""
    on = dt.date(year, 1, 1)
    pay = _pay(inputs, year)
    gross = sum(pay.values(), np.zeros_like(pay["base_pay"]))
    meal_free = int(load("people").get("pay.meal_nontaxable_limit", on))
    nontaxable = np.minimum(pay["meal_allowance"], meal_free)
    taxable = gross - nontaxable
    pension, health, care = _contributions(taxable, inputs.paid, on)
    income_tax, local = _income_taxes(inputs, taxable, pension, health + care, year)
    net = gross - income_tax - local - pension - health - care
    cols = {
        **pay,
        "gross_pay": gross,
        "taxable_pay": taxable,
        "nontaxable_pay": nontaxable,
        "income_tax": income_tax,
        "local_income_tax": local,
        "pension_contribution": pension,
        "health_insurance": health,
        "long_term_care": care,
        "net_pay": net,
    }
    cols = {name: cols[name] for name in PAY_COLUMNS}
    n = len(inputs.grade)
    assert all(v.shape == (n, 12) and v.dtype == np.int64 for v in cols.values())
    return cols


def _pay(inputs: PayInputs, year: int) -> dict[str, I64]:
    """What is paid (보수와 수당): base pay and the allowances, in the order of the pay slip."""
    on = dt.date(year, 1, 1)
    pp = load("people")
    table, _max, _approx = general_table(on)
    grade = inputs.grade.astype(np.int64)
    scs = grade == GRADE_CODES.index("SCS")
    base_m = np.where(scs, inputs.scs_annual // 12, table[grade, inputs.step.astype(np.int64)])
    paid = inputs.paid
    base = np.where(paid, base_m[:, None], 0)

    pos = pp.get("pay.position_allowance", on)
    pos_by_grade = np.array([pos[c] for c in GRADE_CODES], dtype=np.int64)
    position = np.where(paid, pos_by_grade[grade][:, None], 0)

    yos = years_of_service(inputs.hire_ord, year)
    la = pp.get("pay.longevity_allowance", on)
    la_pct = _step_lookup(la["rates"], yos)
    month_no = np.arange(1, 13)[None, :]
    la_month = np.isin(month_no, la["months"])
    longevity = np.where(la_month & paid, base * la_pct // 100, 0)
    bonus = np.where(paid, _step_lookup(pp.get("pay.longevity_bonus", on), yos), 0)

    hol_pct = int(pp.get("pay.holiday_bonus", on))
    hol = np.isin(month_no, holiday_months(year))
    holiday = np.where(hol & paid, base * hol_pct // 100, 0)

    ot = pp.get("pay.overtime", on)
    ref = table[grade, ot["reference_step"]]
    junior = np.isin(grade, [GRADE_CODES.index(g) for g in ot["junior_grades"]])
    rate = np.where(junior, ot["junior_rate_percent"], ot["rate_percent"])
    hourly = ref * rate * ot["premium_permille"] // (100 * ot["monthly_hours_divisor"] * 1000)
    eligible = np.isin(grade, [GRADE_CODES.index(g) for g in ot["eligible_grades"]])
    hours = np.minimum(ot["flat_hours"] + np.maximum(inputs.overtime_hours, 0), ot["max_hours"])
    overtime = np.where(paid & eligible[:, None], hourly[:, None] * hours, 0)

    meal = np.where(paid, int(pp.get("pay.meal_allowance", on)), 0)
    family = np.where(paid, inputs.family_allowance, 0)
    return {
        "base_pay": base,
        "position_allowance": position,
        "longevity_allowance": longevity,
        "longevity_bonus": bonus,
        "holiday_bonus": holiday,
        "family_allowance": family,
        "overtime_allowance": overtime,
        "meal_allowance": meal,
    }


def _contributions(taxable: I64, paid: npt.NDArray[np.bool_], on: dt.date) -> tuple[I64, I64, I64]:
    """Pension, health insurance and long-term care, on the year's average monthly taxable
    pay (approximates 기준소득월액/보수월액)."""
    pp = load("people")
    months_paid = np.maximum(paid.sum(axis=1), 1)
    avg_taxable = taxable.sum(axis=1) // months_paid
    pen = pp.get("deductions.pension_contribution", on)
    pension_m = tax_rules.truncate(
        tax_rules.mul_rate(np.minimum(avg_taxable, pen["monthly_income_cap"]), pen["rate"]),
        pen["truncate_to"],
    )
    hi = pp.get("deductions.health_insurance", on)
    health_m = tax_rules.truncate(tax_rules.mul_rate(avg_taxable, hi["rate"]), hi["truncate_to"])
    ltc = pp.get("deductions.long_term_care", on)
    ltc_m = tax_rules.truncate(tax_rules.mul_rate(health_m, ltc["rate"]), ltc["truncate_to"])
    return (
        np.where(paid, pension_m[:, None], 0),
        np.where(paid, health_m[:, None], 0),
        np.where(paid, ltc_m[:, None], 0),
    )


def _income_taxes(
    inputs: PayInputs, taxable: I64, pension: I64, insurance: I64, year: int
) -> tuple[I64, I64]:
    """The month's income tax withheld and the local income tax on it."""
    income_tax = np.where(
        inputs.paid,
        tax_rules.monthly_withholding(
            taxable, pension, insurance, inputs.withholding_family[:, None], year
        ),
        0,
    )
    lt = load("people").get("deductions.local_income_tax", dt.date(year, 1, 1))
    local = tax_rules.truncate(tax_rules.mul_rate(income_tax, lt["rate"]), lt["truncate_to"])
    return income_tax, local
