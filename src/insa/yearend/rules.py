"""The rules in force for a tax year, read once from the dated parameters.

Both engines (the scalar one that explains, and the vectorised one that settles everyone)
read their numbers from here, so they cannot disagree about a rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from insa.clock import today_kst
from insa.params import Parameter, ParameterError, fraction, load

# shared parameters that are not income tax (payroll's, read by their own rules)
SHARED_ONLY = ("family_allowance.",)


@dataclass(frozen=True)
class Rules:
    year: int
    values: dict[str, Any]
    sources: dict[str, str]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def rate(self, name: str, key: str) -> Fraction:
        return fraction(self.values[name][key])

    def source(self, name: str) -> str:
        return self.sources[name]


def _source(p: Parameter, on: dt.date) -> str:
    e = p.entry(on)
    ref = e.reference
    text = f"{ref.get('title', '')} {ref.get('article', '')}".strip()
    return text if e.confirmed else f"{text} (확인 필요)"


@cache
def rules_for(year: int) -> Rules:
    """Parameters in force at the end of ``year`` (year-end settlement uses the year's law)."""
    on = dt.date(year, 12, 31)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    # the year-end's own parameters and the shared income-tax law (rules/params): one
    # namespace, no name in both
    for pset in (load("rules"), load("yearend")):
        for name in pset.names():
            if name in values:
                raise ParameterError(f"{pset.domain}/params/{name}: also in the shared rules")
            if name.startswith(SHARED_ONLY):
                continue
            values[name] = pset.get(name, on)
            sources[name] = _source(pset[name], on)
    return Rules(year, values, sources)


def mul(amount: int, rate: Fraction) -> int:
    """amount × rate with fractions of a won dropped (amounts are never negative here)."""
    return amount * rate.numerator // rate.denominator


def truncate(amount: int, unit: int) -> int:
    """Toward zero to a multiple of ``unit`` (−101,658 → −101,650)."""
    return -((-amount) // unit * unit) if amount < 0 else amount // unit * unit


def tax_years(today: dt.date | None = None) -> list[int]:
    """Tax years the parameters cover, up to this year, newest first."""
    last = (today or today_kst()).year
    out = []
    for year in range(last, 2019, -1):
        try:
            rules_for(year)
        except LookupError:
            continue
        out.append(year)
    return out
