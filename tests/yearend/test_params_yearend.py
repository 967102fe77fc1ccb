"""Every year-end rule is dated data with its legal source and an explicit confirmed flag."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from insa.params import load
from insa.yearend.rules import SHARED_ONLY, rules_for, tax_years

YEARS = (2024, 2025, 2026)


def _files() -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    out = []
    for package in ("insa.yearend", "insa.rules"):
        root = resources.files(package).joinpath("params")
        for group in root.iterdir():
            if group.is_dir():
                for f in group.iterdir():
                    if f.name.endswith(".yaml"):
                        name = f"{package}/{group.name}/{f.name}"
                        out.append((name, yaml.safe_load(f.read_text("utf-8"))))
    return out


@pytest.mark.parametrize(("name", "doc"), _files(), ids=lambda x: x if isinstance(x, str) else "")
def test_each_dated_value_names_its_law_article_and_says_if_confirmed(name: str, doc: dict) -> None:  # type: ignore[type-arg]
    assert doc.get("description") and doc.get("unit"), name
    for date, entry in doc["values"].items():
        ref = entry["reference"]
        assert ref.get("title") and ref.get("article"), (name, date)
        assert isinstance(entry.get("confirmed"), bool), (name, date, "confirmed: true/false")
        if not entry["confirmed"]:
            assert entry.get("note"), (name, date, "an unconfirmed value says why")


@pytest.mark.parametrize("year", YEARS)
def test_every_parameter_has_a_value_in_force_for_each_tax_year(year: int) -> None:
    r = rules_for(year)
    shared = {n for n in load("rules").names() if not n.startswith(SHARED_ONLY)}
    assert set(r.values) == set(load("yearend").names()) | shared
    assert {"deductions.earned_income", "income_tax.rates"} <= shared
    assert year in tax_years()


def test_a_new_year_is_new_dated_values() -> None:
    # the 2025 child credit differs from 2024 only through a dated value
    assert rules_for(2024)["credits.child"]["per_child"] == [150_000, 350_000, 300_000]
    assert rules_for(2025)["credits.child"]["per_child"] == [250_000, 550_000, 400_000]
    assert "(확인 필요)" in rules_for(2026).source("deductions.cards")
