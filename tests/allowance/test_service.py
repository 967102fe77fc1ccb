"""insa's own data through the verification: export-claims → verify finds the seeded plants;
entitlement finds the over-age children. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import csv
import datetime as dt
from pathlib import Path

import duckdb
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from insa.allowance.claims import load_claims, month_index
from insa.allowance.exchange import differences
from insa.allowance.verify import verify
from insa.cli import app
from insa.people.models import Dependent, Employee, Payroll, SeedPlant
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher


def test_exported_claims_reveal_every_planted_double_claim(
    migrated: Engine, cipher: RRNCipher, tmp_path: Path
) -> None:
    seed(migrated, SeedConfig(employees=3000, seed=13, year=2025), cipher)
    key_file = tmp_path / "shared.key"
    key_file.write_text(base64.urlsafe_b64encode(b"s" * 32).decode(), encoding="ascii")
    out = tmp_path / "claims"
    r = CliRunner().invoke(
        app,
        ["allowance", "export-claims", str(out), "--key-file", str(key_file), "--as-of", "2025-12"],
    )
    assert r.exit_code == 0, r.output
    text = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.csv"))
    with migrated.connect() as conn:
        numbers = dict(conn.execute(select(Employee.id, Employee.employee_no)).all())
        plants = conn.execute(
            select(SeedPlant.kind, SeedPlant.employee_id, SeedPlant.other_employee_id).where(
                SeedPlant.kind.in_(["couple_double_child", "sibling_double_parent"])
            )
        ).all()
        some_rrn = cipher.decrypt(
            conn.scalar(select(Employee.rrn_encrypted).limit(1))  # type: ignore[arg-type]
        ).reveal()
    assert some_rrn not in text  # keys only
    assert plants
    con = duckdb.connect()
    load_claims(con, out)
    report = verify(con, month_index("2025-12"), probabilistic=False)
    pairs = set()
    for f in report.findings:
        if f.kind == "double_claim":
            a = f.claim_a.split(":", 1)[1].split("-")[0]
            b = f.claim_b.split(":", 1)[1].split("-")[0]
            pairs.add(frozenset((a, b)))
    planted = {frozenset((numbers[p.employee_id], numbers[p.other_employee_id])) for p in plants}
    found = planted & pairs
    recall = len(found) / len(planted)
    precision = len(found) / len(pairs) if pairs else 0.0
    print(
        f"seeded plants: {len(planted)}, findings: {len(pairs)}, recall {recall:.3f}, precision {precision:.3f}"
    )
    assert recall == 1.0, planted - pairs
    assert precision == 1.0, pairs - planted


def test_entitlement_flags_the_children_paid_past_19(
    migrated: Engine, cipher: RRNCipher, tmp_path: Path
) -> None:
    seed(migrated, SeedConfig(employees=3000, seed=13, year=2025), cipher)
    with migrated.connect() as conn:
        diffs = differences(conn, 2025, None)
        plants = conn.execute(
            select(Employee.employee_no, Employee.id, Dependent.birth_date)
            .join(SeedPlant, SeedPlant.employee_id == Employee.id)
            .join(
                Dependent,
                (Dependent.employee_id == Employee.id)
                & (Dependent.rrn_pseudonym == SeedPlant.dependent_pseudonym),
            )
            .where(SeedPlant.kind == "overage_child")
        ).all()
        paid_months = {
            (eid, m)
            for eid, m in conn.execute(
                select(Payroll.employee_id, Payroll.month).where(
                    Payroll.year == 2025, Payroll.family_allowance > 0
                )
            )
        }
    # a child who is 19 on the first of a month is no longer due that month (the rules count
    # age on the first day): overpaid if the employee was still paid in such a month of 2025
    # (not, say, an employee on leave since before the birthday)
    overage = set()
    for no, eid, born in plants:
        nineteen = dt.date(born.year + 19, born.month, min(born.day, 28))
        if any((eid, m) in paid_months and dt.date(2025, m, 1) >= nineteen for m in range(1, 13)):
            overage.add(no)
    over_paid = {d.employee_no for d in diffs if d.difference > 0}
    assert overage and overage <= over_paid
    out = tmp_path / "diff.csv"
    r = CliRunner().invoke(app, ["allowance", "entitlement", "--year", "2025", "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {row["employee_no"] for row in rows} >= overage
    assert all(int(row["paid"]) - int(row["due"]) == int(row["difference"]) for row in rows)
