"""One-click settlement on SQLite and PostgreSQL: import, run, re-run, scope, atomicity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update
from typer.testing import CliRunner

from insa.cli import app
from insa.people.models import Agency, Dependent, Employee, Payroll
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.security.models import AuditLog
from insa.security.principal import Principal
from insa.yearend import settlement
from insa.yearend.batch import case_at, load_batch
from insa.yearend.models import RESULT_AMOUNTS, nts_table, runs_table
from insa.yearend.models import results_table as rt
from insa.yearend.nts import NtsImportError, import_nts
from insa.yearend.scalar import compute
from insa.yearend.synth import dependent_counts, employee_numbers, generate

YEAR = 2025


@pytest.fixture
def seeded(migrated: Engine, cipher: RRNCipher, tmp_path: Path) -> Engine:
    seed(migrated, SeedConfig(employees=600, seed=11, year=YEAR), cipher)
    with migrated.connect() as conn:
        numbers = employee_numbers(conn)
        dependents = dependent_counts(conn, numbers)
    generate(numbers, YEAR, 3, tmp_path / "nts.jsonl", dependents=dependents)
    import_nts(migrated, tmp_path / "nts.jsonl")
    return migrated


def _results(engine: Engine) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        return {r.employee_id: dict(r._mapping) for r in conn.execute(select(rt))}


def test_run_stores_everyone_and_every_stored_amount_is_the_scalar_engines(
    seeded: Engine,
) -> None:
    report = settlement.run_settlement(seeded, YEAR, agency_id=None)
    stored = _results(seeded)
    with seeded.connect() as conn:
        paid = conn.scalar(
            select(func.count(func.distinct(Payroll.employee_id))).where(Payroll.year == YEAR)
        )
        assert report.employees == len(stored) and len(stored) >= paid - 5
        assert report.determined_tax == sum(r["determined_tax"] for r in stored.values())
        numbers = dict(conn.execute(select(Employee.id, Employee.employee_no)).all())
        # the vectorised batch and the scalar explanation agree to the won, employee by employee
        for eid in sorted(stored)[::20]:
            ex = settlement.explain(conn, eid, YEAR, numbers[eid])
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
    settlement.run_settlement(seeded, YEAR, agency_id=None)
    first = _results(seeded)
    again = settlement.run_settlement(seeded, YEAR, agency_id=None)
    second = _results(seeded)
    assert again.version == 2 and set(first) == set(second)
    assert all(second[e]["version"] == 2 for e in second)
    assert all(first[e][k] == second[e][k] for e in first for k in RESULT_AMOUNTS)  # idempotent
    with seeded.connect() as conn:
        aid = conn.scalar(
            select(Employee.agency_id).group_by(Employee.agency_id).order_by(func.count().desc())
        )
    one = settlement.run_settlement(seeded, YEAR, agency_id=aid)
    third = _results(seeded)
    assert one.version == 3 and 0 < one.employees < len(third)  # labelled as its rows
    for r in third.values():
        assert r["version"] == (3 if r["agency_id"] == aid else 2)
    with seeded.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(runs_table)) == 3
        actions = conn.scalars(select(AuditLog.action)).all()
        assert actions.count("yearend.run") == 3


def test_a_run_is_recorded_and_audited_as_its_principal(seeded: Engine) -> None:
    with seeded.connect() as conn:
        aid = conn.scalar(select(Employee.agency_id).limit(1))
    officer = Principal(7, "hr-x", "HR X", "hr_officer", aid, None, client_addr="10.0.0.9")
    report = settlement.run_settlement(seeded, YEAR, agency_id=aid, principal=officer)
    with seeded.connect() as conn:
        run_actor = conn.scalar(select(runs_table.c.actor).where(runs_table.c.id == report.run_id))
        run = conn.execute(select(AuditLog).where(AuditLog.action == "yearend.run")).one()
        nts = conn.execute(select(AuditLog).where(AuditLog.action == "yearend.import_nts")).one()
    assert run_actor == "hr-x"
    assert (run.actor, run.actor_role, run.client_addr) == ("hr-x", "hr_officer", "10.0.0.9")
    assert (run.target_type, run.target_id, run.agency_id) == (
        "yearend_run",
        str(report.run_id),
        aid,
    )
    assert run.detail == {"tax_year": YEAR, "employees": report.employees, "version": 1}
    # a command's batch is the operator's
    assert nts.actor.startswith("cli:") and nts.actor_role == "cli" and nts.client_addr is None


def test_a_failed_background_run_is_audited_as_whoever_started_it(seeded: Engine) -> None:
    import threading

    from insa.yearend import jobs

    officer = Principal(7, "hr-x", "HR X", "hr_officer", None, None, client_addr="10.0.0.9")
    job = jobs.start(seeded, 2019, None, principal=officer)  # nobody was paid in 2019
    for thread in threading.enumerate():
        if thread.name == f"yearend-{job.id}":
            thread.join(30)
    assert job.status == "failed" and job.actor == "hr-x"
    with seeded.connect() as conn:
        row = conn.execute(select(AuditLog).where(AuditLog.action == "yearend.run_failed")).one()
    assert (row.actor, row.actor_role, row.client_addr) == ("hr-x", "hr_officer", "10.0.0.9")
    assert row.target_type == "yearend_run" and row.agency_id is None
    assert row.detail == {"tax_year": 2019, "error": job.error}


def test_a_failed_store_changes_nothing(seeded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    settlement.run_settlement(seeded, YEAR, agency_id=None)
    before = _results(seeded)

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(settlement, "bulk_writer", lambda conn: type("W", (), {"write": boom})())
    with pytest.raises(RuntimeError, match="disk full"):
        settlement.run_settlement(seeded, YEAR, agency_id=None)
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
        ea = settlement.explain(conn, a, YEAR, numbers[a])
        eb = settlement.explain(conn, b, YEAR, numbers[b])
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
        import_nts(seeded, d)
    errors = exc.value.errors
    assert any(e.startswith("b.jsonl:1:cards.credit:") for e in errors)
    assert any(e.startswith("b.jsonl:2: invalid JSON") for e in errors)
    assert any(e.startswith("b.jsonl:3:employee_no: no employee 0000000000") for e in errors)
    assert any(e.startswith("b.jsonl:4:medical.dental:") for e in errors)
    with seeded.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(nts_table)) == before
    # the good file alone imports; the same again changes nothing; a change replaces
    (d / "b.jsonl").unlink()
    r1 = import_nts(seeded, d)
    r2 = import_nts(seeded, d)
    assert (r1.inserted, r2.unchanged, r2.inserted) == (1, 1, 0)
    good["cards"] = {"credit": 2_000_000}
    (d / "a.json").write_text(json.dumps(good), encoding="utf-8")
    assert import_nts(seeded, d).replaced == 1
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
        batch = load_batch(conn, YEAR)
    from insa.yearend.engine import settle

    out = settle(batch.cols)
    for i in range(0, batch.n, 37):
        s = compute(case_at(batch, i, str(i)))
        for k in RESULT_AMOUNTS:
            assert int(out[k][i]) == s[k], (i, k)


def test_an_employee_who_moved_keeps_a_result_until_the_new_agency_settles(
    seeded: Engine,
) -> None:
    settlement.run_settlement(seeded, YEAR, agency_id=None)
    with seeded.begin() as conn:
        a, b = (
            conn.execute(
                select(Employee.agency_id)
                .group_by(Employee.agency_id)
                .order_by(func.count().desc())
            )
            .scalars()
            .all()[:2]
        )
        mover = conn.scalar(select(Employee.id).where(Employee.agency_id == a).limit(1))
        conn.execute(update(Employee).where(Employee.id == mover).values(agency_id=b))
    settlement.run_settlement(seeded, YEAR, agency_id=a)  # the old agency
    stored = _results(seeded)
    assert stored[mover]["agency_id"] == a and stored[mover]["version"] == 1
    settlement.run_settlement(seeded, YEAR, agency_id=b)  # the new agency
    stored = _results(seeded)
    assert stored[mover]["agency_id"] == b and stored[mover]["version"] == 2


def test_birth_order_counts_a_child_the_spouse_deducts(seeded: Engine, cipher: RRNCipher) -> None:
    """Child 1 is deducted by the spouse; the newborn is still this employee's 2nd child."""
    import datetime as dt

    from insa.security.rrn import RRN

    with seeded.begin() as conn:
        me, spouse = conn.scalars(select(Employee.id).order_by(Employee.id).limit(2)).all()
        conn.execute(delete(Dependent).where(Dependent.employee_id.in_([me, spouse])))
        kids = [("2015-03-01", "1503013"), ("2025-06-01", "2506014")]
        for born, head in kids:
            digits = head + "00000"
            rrn = _valid_rrn(digits)
            for owner in (me, spouse) if born.startswith("2015") else (me,):
                conn.execute(
                    insert(Dependent).values(
                        employee_id=owner, relation="child", name="아이",
                        rrn_encrypted=cipher.encrypt(RRN(rrn)),
                        rrn_pseudonym=cipher.pseudonym(RRN(rrn)),
                        birth_date=dt.date.fromisoformat(born), sex="M",
                        disabled=False, same_household=True, annual_income=0,
                        public_servant=False,
                    )
                )  # fmt: skip
        # make the spouse the higher earner, so the spouse deducts the first child
        conn.execute(
            update(Payroll)
            .where(Payroll.employee_id == spouse)
            .values(taxable_pay=Payroll.taxable_pay + 10_000_000)
        )
    with seeded.connect() as conn:
        ex = settlement.explain(conn, me, YEAR, "me")
    assert ex is not None
    assert [d.relation for d in ex.case.dependents] == ["child"]
    newborn = ex.case.dependents[0]
    assert newborn.born_or_adopted_this_year and newborn.birth_order == 2
    assert ex.result["birth_credit"] == 500_000  # 2nd child (ITA §59-2 ③)
    assert len(ex.excluded) == 1


def _valid_rrn(first12: str) -> str:
    from insa.security.rrn import check_digit

    return first12[:12] + check_digit(first12[:12])


def test_simplified_data_reaches_the_engine_field_by_field(seeded: Engine, tmp_path: Path) -> None:
    """Every simplified-data amount lands in its own place: distinct values, read back."""
    with seeded.connect() as conn:
        eid, no = conn.execute(select(Employee.id, Employee.employee_no).limit(1)).one()
    doc = {
        "employee_no": no, "tax_year": YEAR,
        "declaration": {"disabled": True, "single_parent": False, "household_head": True, "married_this_year": True},
        "contributions": {"employment": 101},
        "cards": {"credit": 102, "debit": 103, "cash_receipt": 104, "culture": 105, "traditional_market": 106, "public_transport": 107},
        "insurance": {"general": 108, "disabled": 109},
        "medical": {"self_senior_disabled_child6": 110, "other_dependents": 111, "infertility": 112, "premature": 113, "reimbursed": 114},
        "education": {"self": 115, "preschool_school": [116, 117], "university": [118], "disabled": 119},
        "donations": {"political": 120, "hometown": 121, "general": 122, "religious": 123},
        "monthly_rent": 124,
        "pension_account": {"pension_savings": 125, "irp": 126},
        "housing": {"subscription_savings": 127, "lease_loan_repayment": 128, "mortgage_interest": 129},
    }  # fmt: skip
    (tmp_path / "one.json").write_text(json.dumps(doc), encoding="utf-8")
    import_nts(seeded, tmp_path / "one.json")
    with seeded.connect() as conn:
        batch = load_batch(conn, YEAR, employee_ids=[eid])
    case = case_at(batch, 0, no).model_dump(mode="json")
    for group in (
        "cards",
        "insurance",
        "medical",
        "education",
        "donations",
        "pension_account",
        "housing",
    ):
        assert case[group] == doc[group], group
    assert case["monthly_rent"] == 124 and case["contributions"]["employment"] == 101
    assert {k: case["taxpayer"][k] for k in doc["declaration"]} == doc["declaration"]
