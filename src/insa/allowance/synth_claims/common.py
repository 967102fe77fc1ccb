"""What the steps of the claims generator share: array types, relations, amounts, months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from insa.allowance.claims import month_index

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]
Bool = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]

RELATIONS = ("spouse", "child", "lineal_ascendant", "other")
SPOUSE, CHILD, ASCENDANT, OTHER = 0, 1, 2, 3
AMOUNT_SPOUSE, AMOUNT_OTHER = 40_000, 20_000
AMOUNT_CHILD = (50_000, 80_000, 120_000)  # 1st, 2nd, 3rd and later


@dataclass(frozen=True)
class AsOf:
    """The month of reference (``YYYY-MM``) in the forms the steps use."""

    text: str
    month: int  # month index (:func:`insa.allowance.claims.month_index`)
    last_day: int  # the last day of the month, in days since 1970-01-01
    child_floor: int  # days: children are born after this (under 19 throughout the month)

    @classmethod
    def parse(cls, as_of: str) -> AsOf:
        year, month = (int(x) for x in as_of.split("-"))
        return cls(
            text=as_of,
            month=month_index(as_of),
            last_day=days(dt.date(year + month // 12, month % 12 + 1, 1)) - 1,
            child_floor=days(dt.date(year - 19, month, 1)) + 31,
        )


def days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def month_of_days(days: I64) -> I64:
    m = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return m + 1970 * 12


def uniform_int(rng: np.random.Generator, lo: I64 | int, hi: I64 | int, n: int) -> I64:
    """Integers uniform in [lo, hi] (inclusive, elementwise)."""
    lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,))
    hi_a = np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,))
    span = np.maximum(hi_a - lo_a, 0) + 1
    out: I64 = lo_a + np.floor(rng.random(n) * span).astype(np.int64)
    return out


def split(total: int, shares: tuple[float, ...]) -> list[int]:
    """``total`` split by ``shares`` into whole numbers that add up to it."""
    raw = [total * s for s in shares]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    for i in sorted(range(len(raw)), key=lambda i: out[i] - raw[i])[:rest]:
        out[i] += 1
    return out
