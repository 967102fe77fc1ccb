"""The formulas of single items for the vectorised engine (:mod:`insa.yearend.engine`), every
case at once as int64 columns: the card deduction, and the medical and donation credits.

They mirror :mod:`insa.yearend.scalar_items` under the same names, written apart on purpose: the
two engines are checked against each other to the won.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from insa.rules import income_tax as core
from insa.yearend.rules import Rules

I64 = npt.NDArray[np.int64]


def card_deduction(c: dict[str, I64], s: I64, children: I64, r: Rules) -> I64:
    """The card deduction before the overall cap."""
    # the threshold is used by credit first, then debit / cash / culture, then market / transit
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
    out: I64 = general_cards + np.minimum(np.minimum(total_cards - general_cards, pool), add_cap)
    return out


def medical_credit(c: dict[str, I64], s: I64, p: dict[str, Any]) -> I64:
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


def donation_credits(c: dict[str, I64], e: I64, dp: dict[str, Any]) -> tuple[I64, I64, I64]:
    """(political, hometown, general and religious) credits."""
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
    return political, hometown, general_don
