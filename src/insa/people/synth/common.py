"""What the steps of the synthetic government share: array types and date arithmetic.

Dates are proleptic Gregorian ordinals (:meth:`datetime.date.toordinal`), as NumPy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
Columns = dict[str, list[Any]]


def dates(ordinals: I64) -> list[str]:
    """Ordinals → ISO dates."""
    days = np.datetime64("0001-01-01", "D") + (ordinals - 1).astype("timedelta64[D]")
    return [str(d) for d in days.astype("datetime64[D]").tolist()]


def birthdays(birth_ord: I64, years: int) -> I64:
    """Ordinal of the ``years``-th birthday (29 February → 1 March)."""
    days = np.datetime64("0001-01-01", "D") + (birth_ord - 1).astype("timedelta64[D]")
    y = days.astype("datetime64[Y]")
    month_day = days - days.astype("datetime64[M]")
    m = days.astype("datetime64[M]") - y.astype("datetime64[M]")
    target_m = (y + np.timedelta64(years, "Y")).astype("datetime64[M]") + m
    target = target_m.astype("datetime64[D]") + month_day
    overflow = target.astype("datetime64[M]") != target_m  # 29 Feb in a common year
    target = np.where(overflow, (target_m + np.timedelta64(1, "M")).astype("datetime64[D]"), target)
    return np.asarray(
        (target - np.datetime64("0001-01-01", "D")).astype(np.int64) + 1, dtype=np.int64
    )


def month_before(ordinals: I64) -> I64:
    """Last day of the month before the one containing each date."""
    days = np.datetime64("0001-01-01", "D") + (ordinals - 1).astype("timedelta64[D]")
    first = days.astype("datetime64[M]").astype("datetime64[D]")
    return np.asarray(
        (first - np.datetime64("0001-01-01", "D")).astype(np.int64), dtype=np.int64
    )  # (first − 1 day) + 1


def years(ordinals: I64) -> I64:
    """The calendar year of each date."""
    days = np.datetime64("0001-01-01", "D") + (ordinals - 1).astype("timedelta64[D]")
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def group_positions(counts: I64) -> I64:
    """0, 1, …, c−1 for each group of size c, concatenated."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts
