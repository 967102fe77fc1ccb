"""Ages and months over date ordinals, vectorised (the calendar arithmetic the rules share)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


def month_starts(year: int) -> list[dt.date]:
    return [dt.date(year, m, 1) for m in range(1, 13)]


def age_on(birth_ord: npt.NDArray[np.int64], on: dt.date) -> I64:
    """Completed years on date ``on`` for birth dates given as ``date.toordinal()``."""
    births = [dt.date.fromordinal(int(b)) for b in birth_ord]
    return np.fromiter(
        (on.year - b.year - ((on.month, on.day) < (b.month, b.day)) for b in births),
        dtype=np.int64,
        count=len(births),
    )


def ages_by_month(birth_ord: npt.NDArray[np.int64], year: int) -> I64:
    """Completed age on the first day of each month: shape (n, 12). Vectorised via y/m/d."""
    dates = np.datetime64("0001-01-01", "D") + (birth_ord - 1).astype("timedelta64[D]")
    by = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    bm = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    bd = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    months = np.arange(1, 13)
    age = (
        year
        - by[:, None]
        - (
            (months[None, :] < bm[:, None]) | ((months[None, :] == bm[:, None]) & (1 < bd[:, None]))
        ).astype(np.int64)
    )
    return np.asarray(age, dtype=np.int64)
