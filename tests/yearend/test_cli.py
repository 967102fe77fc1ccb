from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from insa.cli import app


def test_compute_contract_keeps_order_reports_bad_cases_and_fails(tmp_path: Path) -> None:
    cases = [
        {"id": "a", "tax_year": 2025, "taxpayer": {"birth_date": "1980-05-01"}, "wages": {"total_salary": 100_000_000},
         "dependents": [{"relation": "spouse", "birth_date": "1982-01-01"}]},
        {"id": "b", "tax_year": 2025, "taxpayer": {"birth_date": "1980-13-01"}, "wages": {"total_salary": 1.5}},
        {"id": "c", "tax_year": 2024, "taxpayer": {"birth_date": "1990-01-01"}, "wages": {"total_salary": 30_000_000}},
    ]  # fmt: skip
    src = tmp_path / "in.json"
    src.write_text(json.dumps(cases), encoding="utf-8")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["yearend", "compute", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert "in.json: case b: taxpayer.birth_date:" in result.output
    assert "in.json: case b: wages.total_salary:" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in data] == ["a", "b", "c"]
    for key in ("id", "total_salary", "earned_income_deduction", "tax_base", "computed_tax", "determined_tax",
                "local_tax", "balance_income_tax", "balance_local_tax", "lines"):  # fmt: skip
        assert key in data[0] and key in data[2]
    assert {e["field"] for e in data[1]["errors"]} == {"taxpayer.birth_date", "wages.total_salary"}
    assert all({"item", "amount", "rule", "source"} <= set(line) for line in data[0]["lines"])
    ok = CliRunner().invoke(app, ["yearend", "compute", str(src.with_name("only.json"))])
    assert ok.exit_code == 2


def test_an_absurd_amount_fails_its_own_case_only(tmp_path: Path) -> None:
    cases = [
        {"id": "huge", "tax_year": 2025, "taxpayer": {"birth_date": "1980-05-01"}, "wages": {"total_salary": 5 * 10**18}},
        {"id": "ok", "tax_year": 2025, "taxpayer": {"birth_date": "1980-05-01"}, "wages": {"total_salary": 50_000_000}},
    ]  # fmt: skip
    src = tmp_path / "in.json"
    src.write_text(json.dumps(cases), encoding="utf-8")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["yearend", "compute", str(src), "-o", str(out)])
    assert result.exit_code == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data[0]["errors"][0]["field"] == "wages.total_salary"
    assert data[1]["determined_tax"] == 3_387_500
