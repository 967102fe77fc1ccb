"""The general-service pay table (봉급표) as a dense array, built from dated parameters."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import numpy.typing as npt

from insa.params import load
from insa.people.grades import GRADE_CODES


@cache
def general_table(on: dt.date) -> tuple[npt.NDArray[np.int64], dict[str, int], bool]:
    """Monthly base pay as ``table[grade_index, step]`` (won), the max step per grade code,
    and whether the table is approximate (interpolated between published anchor steps).

    ``grade_index`` follows :data:`insa.people.grades.GRADE_CODES`; the SCS row is zero
    (senior executives are on an annual salary). Interpolated steps are rounded to 100 won.
    """
    p = load("people").get("pay.base_pay_general", on)
    max_step: dict[str, int] = {str(k): int(v) for k, v in p["max_step"].items()}
    width = max(max_step.values()) + 1
    table = np.zeros((len(GRADE_CODES), width), dtype=np.int64)
    for gi, code in enumerate(GRADE_CODES):
        anchors = p["anchors"].get(code)
        if anchors is None:
            continue
        points = sorted(
            (max_step[code] if str(k) == "max" else int(k), int(v)) for k, v in anchors.items()
        )
        for (s0, v0), (s1, v1) in zip(points, points[1:], strict=False):
            for s in range(s0, s1 + 1):
                num = (v1 - v0) * (s - s0)
                value = v0 + (num + (s1 - s0) * 50) // ((s1 - s0) * 100) * 100 if s1 > s0 else v0
                table[gi, s] = v0 if s == s0 else (v1 if s == s1 else value)
    return table, max_step, bool(p.get("approximate", False))
