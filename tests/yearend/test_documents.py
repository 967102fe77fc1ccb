"""Documents from the database: the agency filing file and the receipts, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner

from insa.cli import app
from insa.db.engine import session_scope
from insa.people.models import Agency, Employee, Payroll
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.yearend import settlement
from insa.yearend.documents import DocumentUnavailable, filing_for_agency, receipt_data
from insa.yearend.filing import parse_filing, write_filing
from insa.yearend.models import results_table as rt
from insa.yearend.nts import import_nts
from insa.yearend.synth import dependent_counts, employee_numbers, generate

YEAR = 2025


@pytest.fixture
def settled(migrated: Engine, cipher: RRNCipher, tmp_path: Path) -> tuple[Engine, int]:
    seed(migrated, SeedConfig(employees=500, seed=21, year=YEAR), cipher)
    with migrated.connect() as conn:
        numbers = employee_numbers(conn)
        generate(numbers, YEAR, 5, tmp_path / "nts.jsonl",
                 dependents=dependent_counts(conn, numbers))  # fmt: skip
        aid = conn.scalar(
            select(Employee.agency_id).group_by(Employee.agency_id).order_by(func.count().desc())
        )
    import_nts(migrated, tmp_path / "nts.jsonl")
    settlement.run_settlement(migrated, YEAR, agency_id=None)
    assert aid is not None
    return migrated, aid


def test_filing_file_holds_every_stored_result_and_reads_back_identically(
    settled: tuple[Engine, int], cipher: RRNCipher
) -> None:
    engine, aid = settled
    with session_scope(engine) as db:
        data, name = filing_for_agency(db, cipher, aid, YEAR)
        stored = {
            r.employee_id: r
            for r in db.execute(select(rt).where(rt.c.agency_id == aid, rt.c.tax_year == YEAR))
        }
        rrns = {
            cipher.decrypt(e.rrn_encrypted).reveal(): e.id
            for e in db.scalars(select(Employee).where(Employee.agency_id == aid))
        }
    assert name.startswith("C") and len(name) == 12
    sub = parse_filing(data, YEAR)
    assert write_filing(sub, YEAR) == data  # the reader gives back what the writer wrote
    employees = sub.agents[0].employees
    assert len(employees) == len(stored)
    for e in employees:
        row = stored[rrns[e.rrn]]
        for key in ("total_salary", "determined_tax", "local_tax", "balance_income_tax"):
            assert e.amounts[key] == getattr(row, key), key
        assert e.dependents[0].relation == "0" and e.dependents[0].rrn == e.rrn
    refund = [e for e in employees if e.amounts["balance_income_tax"] < 0]
    assert refund  # signed amounts survive the round trip


def test_filing_is_refused_when_the_data_changed_after_the_run(
    settled: tuple[Engine, int], cipher: RRNCipher
) -> None:
    engine, aid = settled
    with engine.begin() as conn:
        eid = conn.scalar(select(Employee.id).where(Employee.agency_id == aid).limit(1))
        conn.execute(
            update(Payroll)
            .where(Payroll.employee_id == eid, Payroll.month == 3)
            .values(income_tax=Payroll.income_tax + 1000)
        )
    with (
        session_scope(engine) as db,
        pytest.raises(DocumentUnavailable, match="run the settlement again"),
    ):
        filing_for_agency(db, cipher, aid, YEAR)
    settlement.run_settlement(engine, YEAR, agency_id=aid)
    with session_scope(engine) as db:
        assert filing_for_agency(db, cipher, aid, YEAR)[0]


def test_receipt_marks_each_dependent_as_the_settlement_counted_them(
    settled: tuple[Engine, int], cipher: RRNCipher
) -> None:
    engine, _ = settled
    with session_scope(engine) as db:
        # someone with children, one of them aged 8 or more
        emp = db.scalar(
            select(Employee)
            .join(rt, rt.c.employee_id == Employee.id)
            .where(rt.c.child_credit > 0)
            .limit(1)
        )
        assert emp is not None
        ex = settlement.explain(db, emp.id, YEAR, emp.employee_no)
        assert ex is not None
        data = receipt_data(db, cipher, emp, ex)
    assert data.dependents[0].relation == "본인" and "*" in data.dependents[0].masked_rrn
    assert any(d.child for d in data.dependents)
    basic = sum(d.basic for d in data.dependents)
    assert basic * 1_500_000 == ex.result["basic_deduction"]
    assert data.pay["salary"] + data.pay["bonus"] == ex.result["total_salary"]


def test_cli_filing_and_read_back(settled: tuple[Engine, int], tmp_path: Path) -> None:
    engine, aid = settled
    with engine.connect() as conn:
        code = conn.scalar(select(Agency.code).where(Agency.id == aid))
    out = tmp_path / "filing.dat"
    runner = CliRunner()
    r = runner.invoke(
        app, ["yearend", "filing", "--agency", code, "--year", "2025", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["yearend", "read-filing", str(out), "--year", "2025"])
    assert r.exit_code == 0, r.output
    assert "checks out" in r.output
    broken = tmp_path / "broken.dat"
    raw = out.read_bytes()
    broken.write_bytes(raw[:-7])  # the last record cut short
    assert (
        runner.invoke(app, ["yearend", "read-filing", str(broken), "--year", "2025"]).exit_code == 2
    )


def test_cli_receipts_of_strange_numbers_stay_in_their_folder(
    settled: tuple[Engine, int], tmp_path: Path
) -> None:
    engine, _ = settled
    with engine.begin() as conn:
        ids = conn.scalars(select(Employee.id).order_by(Employee.id).limit(2)).all()
        for eid, number in zip(ids, ("../../pwn", 'XQ"; x=y'), strict=True):
            conn.execute(update(Employee).where(Employee.id == eid).values(employee_no=number))
    out = tmp_path / "a" / "out2"
    r = CliRunner().invoke(app, ["yearend", "receipt", "../../pwn", 'XQ"; x=y', "--year", "2025",
                                 "-o", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["receipt-2025-XQ_x_y.pdf",
                                                      "receipt-2025-_pwn.pdf"]  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["out2"]
    assert not (tmp_path / "pwn.pdf").exists()
