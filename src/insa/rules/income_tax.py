"""Income-tax formulas over int64 arrays (exact integer won, fractions dropped).

Every function takes the parameters in force (``insa.params.load("rules")``) on a date
and works element-wise on NumPy int64 arrays; scalars are 0-d arrays. Used by monthly
withholding (payroll) and by the year-end engine.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from insa.params import fraction, load

I64 = npt.NDArray[np.int64]


def _as_i64(x: npt.ArrayLike) -> I64:
    arr = np.asarray(x)
    if arr.dtype.kind == "f":
        raise TypeError("money must be integer won, not float")
    return arr.astype(np.int64, copy=False)


def mul_rate(amount: npt.ArrayLike, rate: object) -> I64:
    """amount × rate, fractions below 1 won dropped (toward zero for non-negative amounts)."""
    f = fraction(rate)
    return (_as_i64(amount) * f.numerator) // f.denominator


def earned_income_deduction(total_salary: npt.ArrayLike, on: dt.date) -> I64:
    """근로소득공제 (ITA §47)."""
    p = load("rules").get("deductions.earned_income", on)
    s = _as_i64(total_salary)
    out = np.zeros_like(s)
    for lower, fixed, rate in p["bands"]:
        band = s > lower if lower else s >= 0
        out = np.where(band, fixed + mul_rate(np.maximum(s - lower, 0), rate), out)
    return np.asarray(np.minimum(out, p["cap"]), dtype=np.int64)


def progressive_tax(tax_base: npt.ArrayLike, on: dt.date) -> I64:
    """산출세액 (ITA §55): base × rate − quick deduction of the band the base falls in."""
    rows = load("rules").get("income_tax.rates", on)
    base = np.maximum(_as_i64(tax_base), 0)
    out = np.zeros_like(base)
    lower = -1
    for upper, rate, quick in rows:
        band = (base > lower) if upper is None else (base > lower) & (base <= upper)
        out = np.where(band, mul_rate(base, rate) - quick, out)
        lower = upper if upper is not None else lower
    return np.maximum(out, 0)


def earned_income_credit(
    computed_tax: npt.ArrayLike, total_salary: npt.ArrayLike, on: dt.date
) -> I64:
    """근로소득세액공제 (ITA §59), capped by total salary."""
    p = load("rules").get("credits.earned_income", on)
    t = _as_i64(computed_tax)
    s = _as_i64(total_salary)
    credit = np.where(
        t <= p["threshold"],
        mul_rate(t, p["rate_below"]),
        p["base_above"] + mul_rate(t - p["threshold"], p["rate_above"]),
    )
    cap = np.zeros_like(s)
    prev = 0
    for upper, start, reduce_rate, floor in p["caps"]:
        band = (s > prev) if upper is None else (s > prev) & (s <= upper)
        if prev == 0:
            band = band | (s <= 0)
        cap = np.where(
            band, np.maximum(start - mul_rate(np.maximum(s - prev, 0), reduce_rate), floor), cap
        )
        prev = upper if upper is not None else prev
    return np.minimum(credit, cap)


def truncate(amount: npt.ArrayLike, unit: int) -> I64:
    """Drop the part below ``unit`` won, toward zero (−101,658 → −101,650 with unit 10)."""
    a = _as_i64(amount)
    return np.asarray(np.sign(a) * (np.abs(a) // unit) * unit, dtype=np.int64)


def monthly_withholding(
    monthly_taxable: I64, monthly_pension: I64, monthly_insurance: I64, family: I64, year: int
) -> I64:
    """Income tax withheld for a month (approximation of the simplified withholding table).

    Annualises the month's taxable pay and contributions, computes the year's tax as the
    table's formula does, and takes a twelfth, truncated below 10 won.
    """
    on = dt.date(year, 12, 31)
    basic = int(load("rules").get("deductions.personal_basic", on))
    salary = monthly_taxable * 12
    base = (
        salary
        - earned_income_deduction(salary, on)
        - basic * family
        - monthly_pension * 12
        - monthly_insurance * 12
    )
    computed = progressive_tax(np.maximum(base, 0), on)
    tax = np.maximum(computed - earned_income_credit(computed, salary, on), 0)
    return truncate(tax // 12, 10)
