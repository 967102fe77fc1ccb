from __future__ import annotations

import datetime as dt

import pytest

from insa.params import ParameterError, _parse_file, fraction, load


@pytest.mark.parametrize("domain", ["people", "rules", "allowance", "yearend", "travel"])
def test_every_value_has_a_reference_and_a_confirmed_flag(domain: str) -> None:
    pset = load(domain)
    assert pset.names()
    for name in pset.names():
        p = pset[name]
        assert p.description and p.unit, name
        for v in p.values:
            assert v.reference.get("title") and v.reference.get("article"), name
            assert isinstance(v.confirmed, bool)


def test_values_are_taken_by_effective_date() -> None:
    meal = load("people")["pay.meal_allowance"]
    assert meal(dt.date(2025, 12, 31)) == 140_000
    assert meal(dt.date(2026, 1, 1)) == 160_000
    with pytest.raises(ParameterError, match="no value in force"):
        meal(dt.date(2019, 1, 1))


def test_unconfirmed_values_say_so() -> None:
    se = load("people")["pay.senior_executive_annual"].entry(dt.date(2025, 6, 1))
    assert se.confirmed is False and "UNCONFIRMED" in se.note


def test_rates_are_exact_fractions_never_floats() -> None:
    assert fraction("0.03545").denominator == 20000
    with pytest.raises(ParameterError):
        fraction(0.1)


def test_a_file_without_references_is_refused() -> None:
    with pytest.raises(ParameterError, match="reference"):
        _parse_file("x", "description: d\nunit: u\nvalues:\n  2025-01-01: {value: 1}\n", "x.yaml")
