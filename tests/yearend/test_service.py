"""One-click settlement on SQLite and PostgreSQL: import, run, re-run, scope, atomicity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from insa.cli import app
from insa.people.models import Agency, Dependent, Employee
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.security.models import AuditLog
from insa.yearend import service
from insa.yearend.models import RESULT_AMOUNTS, nts_table, runs_table
from insa.yearend.models import results_table as rt
from insa.yearend.nts import NtsImportError, import_nts
from insa.yearend.scalar import compute
from insa.yearend.synth import employee_numbers, generate

YEAR = 2025


@pytest.fixture
def seeded(migrated: Engine, cipher: RRNCipher, tmp_path: Path) -> Engine:
    seed(migrated, SeedConfig(employees=600, seed=11, year=YEAR), cipher)
    with migrated.connect() as conn:
        numbers = employee_numbers(conn)
    generate(numbers, YEAR, 3, tmp_path / "nts.jsonl")
    import_nts(migrated, tmp_path / "nts.jsonl", actor="test")
    return migrated


def _results(engine: Engine) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        return {r.employee_id: dict(r._mapping) for r in conn.execute(select(rt))}


def test_run_stores_everyone_and_every_stored_amount_is_the_scalar_engines(
    seeded: Engine,
) -> None:
    report = service.run_settlement(seeded, YEAR, agency_id=None, actor="test")
    stored = _results(seeded)
    with seeded.connect() as conn:
        paid = conn.scalar(select(func.count(func.distinct(Employee.id))))
        assert report.employees == len(stored) and len(stored) >= paid - 5
        assert report.determined_tax == sum(r["determined_tax"] for r in stored.values())
        numbers = dict(conn.execute(select(Employee.id, Employee.employee_no)).all())
        # the vectorised batch and the scalar explanation agree to the won, employee by employee
        for eid in sorted(stored)[::20]:
            ex = service.explain(conn, eid, YEAR, numbers[eid])
            assert ex is not None and not ex.stale
            for k in RESULT_AMOUNTS:
                assert ex.result[k] == stored[eid][k], (eid, k)
            assert ex.result["method"] == stored[eid]["method"]
    # the simplified data was used: some card, medical and donation credits exist
    assert sum(r["card_deduction"] > 0 for r in stored.values()) > 10
    assert sum(r["medical_credit"] > 0 for r in stored.values()) > 10
    assert all(r["balance_income_tax"] % 10 == 0 for r in stored.values())


def test_rerun_replaces_with_the_next_version_and_agency_runs_touch_only_their_agency(
    seeded: Engine,
) -> None:
    service.run_settlement(seeded, YEAR, agency_id=None, actor="test")
    first = _results(seeded)
    again = service.run_settlement(seeded, YEAR, agency_id=None, actor="test")
    second = _results(seeded)
    assert again.version == 2 and set(first) == set(second)
    assert all(second[e]["version"] == 2 for e in second)
    assert all(first[e][k] == second[e][k] for e in first for k in RESULT_AMOUNTS)  # idempotent
    with seeded.connect() as conn:
        aid = conn.scalar(
            select(Employee.agency_id).group_by(Employee.agency_id).order_by(func.count().desc())
        )
    one = service.run_settlement(seeded, YEAR, agency_id=aid, actor="test")
    third = _results(seeded)
    assert one.version == 1 and 0 < one.employees < len(third)
    for r in third.values():
        assert r["version"] == (3 if r["agency_id"] == aid else 2)
    with seeded.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(runs_table)) == 3
        actions = conn.scalars(select(AuditLog.action)).all()
        assert actions.count("yearend.run") == 3


def test_a_failed_store_changes_nothing(seeded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    service.run_settlement(seeded, YEAR, agency_id=None, actor="test")
    before = _results(seeded)

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "bulk_writer", lambda conn: type("W", (), {"write": boom})())
    with pytest.raises(RuntimeError, match="disk full"):
        service.run_settlement(seeded, YEAR, agency_id=None, actor="test")
    assert _results(seeded) == before
    with seeded.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(runs_table)) == 1


def test_a_dependent_listed_by_two_employees_is_deducted_once(seeded: Engine) -> None:
    with seeded.connect() as conn:
        shared = conn.execute(
            select(Dependent.rrn_pseudonym)
            .where(Dependent.relation == "child")
            .group_by(Dependent.rrn_pseudonym)
            .having(func.count(func.distinct(Dependent.employee_id)) == 2)
            .limit(1)
        ).scalar_one()
        a, b = conn.scalars(
            select(Dependent.employee_id).where(Dependent.rrn_pseudonym == shared)
        ).all()
        numbers = dict(conn.execute(select(Employee.id, Employee.employee_no)).all())
        ea = service.explain(conn, a, YEAR, numbers[a])
        eb = service.explain(conn, b, YEAR, numbers[b])
    assert ea is not None and eb is not None
    # exactly one of the two lost a child to the other, and says so
    losers = [e for e in (ea, eb) if any(x[0] == "child" for x in e.excluded)]
    assert len(losers) == 1
    loser = losers[0]
    winner = eb if loser is ea else ea
    assert winner.result["total_salary"] >= loser.result["total_salary"]
    assert any(line["item"] == "기본공제 제외" for line in loser.result["lines"])


def test_nts_import_reports_every_bad_row_and_writes_nothing(
    seeded: Engine, tmp_path: Path
) -> None:
    with seeded.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(nts_table))
        no = conn.scalar(select(Employee.employee_no).limit(1))
    d = tmp_path / "nts"
    d.mkdir()
    good = {"employee_no": no, "tax_year": 2024, "cards": {"credit": 1_000_000}}
    (d / "a.json").write_text(json.dumps(good), encoding="utf-8")
    (d / "b.jsonl").write_text(
        json.dumps({"employee_no": no, "tax_year": 2024, "cards": {"credit": -5}})
        + "\n{not json\n"
        + json.dumps({"employee_no": "0000000000", "tax_year": 2024})
        + "\n"
        + json.dumps({"employee_no": no, "tax_year": 2024, "medical": {"dental": 1}})
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(NtsImportError) as exc:
        import_nts(seeded, d, actor="test")
    errors = exc.value.errors
    assert any(e.startswith("b.jsonl:1:cards.credit:") for e in errors)
    assert any(e.startswith("b.jsonl:2: invalid JSON") for e in errors)
    assert any(e.startswith("b.jsonl:3:employee_no: no employee 0000000000") for e in errors)
    assert any(e.startswith("b.jsonl:4:medical.dental:") for e in errors)
    with seeded.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(nts_table)) == before
    # the good file alone imports; the same again changes nothing; a change replaces
    (d / "b.jsonl").unlink()
    r1 = import_nts(seeded, d, actor="test")
    r2 = import_nts(seeded, d, actor="test")
    assert (r1.inserted, r2.unchanged, r2.inserted) == (1, 1, 0)
    good["cards"] = {"credit": 2_000_000}
    (d / "a.json").write_text(json.dumps(good), encoding="utf-8")
    assert import_nts(seeded, d, actor="test").replaced == 1
    with seeded.connect() as conn:
        credit = conn.scalar(select(nts_table.c.credit).where(nts_table.c.tax_year == 2024))
    assert credit == 2_000_000


def test_cli_run_explain_and_bad_agency(seeded: Engine) -> None:
    runner = CliRunner()
    with seeded.connect() as conn:
        code = conn.scalar(
            select(Agency.code).join(Employee, Employee.agency_id == Agency.id).limit(1)
        )
        no = conn.scalar(
            select(Employee.employee_no).join(Agency).where(Agency.code == code).limit(1)
        )
    r = runner.invoke(app, ["yearend", "run", "--year", str(YEAR), "--agency", code])
    assert r.exit_code == 0, r.output
    assert "정산 인원" in r.output
    r = runner.invoke(app, ["yearend", "explain", no, "--year", str(YEAR), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["id"] == no and data["lines"][0]["item"] == "총급여"
    assert (
        runner.invoke(app, ["yearend", "run", "--year", "2025", "--agency", "NOPE"]).exit_code == 2
    )
    assert runner.invoke(app, ["yearend", "run", "--year", "1999"]).exit_code == 2


def test_scalar_of_a_case_rebuilt_from_the_database_matches_compute(seeded: Engine) -> None:
    with seeded.connect() as conn:
        batch = service.load_batch(conn, YEAR)
    from insa.yearend.engine import settle

    out = settle(batch.cols)
    for i in range(0, batch.n, 37):
        s = compute(service.case_at(batch, i, str(i)))
        for k in RESULT_AMOUNTS:
            assert int(out[k][i]) == s[k], (i, k)
