"""Scenario files (YAML: name, input, output) collected by one runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from insa.yearend.compute import compute_cases

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def _load() -> list[Any]:
    out = []
    for f in SCENARIOS:
        for sc in yaml.safe_load(f.read_text(encoding="utf-8")):
            out.append(pytest.param(sc, id=f"{f.stem}: {sc['name']}"))
    return out


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    return str(x) if hasattr(x, "isoformat") else x


@pytest.mark.parametrize("scenario", _load())
def test_scenario(scenario: dict[str, Any]) -> None:
    results, failed = compute_cases([_jsonable(scenario["input"])])
    assert failed == 0, results
    got = results[0]
    for key, expected in scenario["output"].items():
        assert got[key] == expected, key
