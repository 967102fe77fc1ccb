"""Resident registration numbers with valid checksums, unique across the population."""

from __future__ import annotations

import numpy as np

from insa.people.synth.common import I64, Bool


def make_rrns(rng: np.random.Generator, birth_ord: I64, female: Bool, seen: set[int]) -> list[str]:
    """Valid-checksum resident numbers, unique across the population (``seen``)."""
    days = np.datetime64("0001-01-01", "D") + (birth_ord - 1).astype("timedelta64[D]")
    y = days.astype("datetime64[Y]").astype(np.int64) + 1970
    m = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    gender = np.where(y >= 2000, 3, 1) + female.astype(np.int64)
    head = ((y % 100) * 10000 + m * 100 + d) * 10 + gender  # 7 digits
    out = np.zeros(len(birth_ord), dtype=np.int64)
    todo = np.arange(len(birth_ord))
    weights = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], dtype=np.int64)
    while len(todo):
        region = rng.integers(0, 96, len(todo))
        rest = rng.integers(0, 1000, len(todo))
        first12 = head[todo] * 100000 + region * 1000 + rest
        digits = (first12[:, None] // 10 ** np.arange(11, -1, -1)[None, :]) % 10
        check = (11 - (digits * weights).sum(axis=1) % 11) % 10
        full = first12 * 10 + check
        retry = []
        for i, value in zip(todo.tolist(), full.tolist(), strict=True):
            if value in seen:
                retry.append(i)
            else:
                seen.add(value)
                out[i] = value
        todo = np.array(retry, dtype=np.int64)
    return [f"{v:013d}" for v in out.tolist()]
