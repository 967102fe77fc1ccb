"""Database tests: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from insa.db.migrate import alembic_config, current_revision, downgrade, upgrade
from insa.domains import metadata
from insa.people.models import Agency, Dependent, Employee, Payroll, SeedPlant
from insa.people.seed import SeedError, seed
from insa.people.synth import SeedConfig
from insa.security.audit import record
from insa.security.crypto import RRNCipher
from insa.security.models import AuditLog


def test_migrations_empty_to_head_to_base(db: Engine) -> None:
    assert current_revision(db) is None
    head = ScriptDirectory.from_config(alembic_config(db)).get_current_head()
    upgrade(db)
    assert current_revision(db) == head
    tables = set(inspect(db).get_table_names())
    assert {
        "agencies",
        "employees",
        "dependents",
        "payroll",
        "audit_log",
        "users",
        "roles",
    } <= tables
    with db.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata()
        )
        roles = conn.scalar(text("SELECT count(*) FROM roles"))
    assert diff == [], diff  # the models and the migration agree
    assert roles == 7
    downgrade(db)
    assert set(inspect(db).get_table_names()) <= {"alembic_version"}
    upgrade(db)  # and back up again, then one step down and up
    assert current_revision(db) == head
    downgrade(db, "-1")
    upgrade(db)
    assert current_revision(db) == head


def test_audit_log_is_append_only(migrated: Engine) -> None:
    with migrated.begin() as conn:
        record(conn, actor="t", action="test.read", target_type="employee", target_id=1)
    with pytest.raises(DBAPIError, match="append-only"), migrated.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'x'"))
    with pytest.raises(DBAPIError, match="append-only"), migrated.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
    with migrated.connect() as conn:
        assert conn.scalar(select(AuditLog.actor)) == "t"


def _snapshot(engine: Engine, cipher: RRNCipher) -> dict[str, object]:
    with engine.connect() as conn:
        emps = conn.execute(
            select(Employee.employee_no, Employee.name, Employee.rrn_pseudonym, Employee.birth_date,
                   Employee.grade_id, Employee.step, Employee.org_unit_id).order_by(Employee.id)
        ).all()  # fmt: skip
        deps = conn.execute(
            select(
                Dependent.employee_id,
                Dependent.relation,
                Dependent.rrn_pseudonym,
                Dependent.allowance_from,
            ).order_by(Dependent.id)
        ).all()
        pay = conn.execute(
            select(
                func.sum(Payroll.gross_pay),
                func.sum(Payroll.income_tax),
                func.sum(Payroll.family_allowance),
            )
        ).one()
        first = conn.scalar(select(Employee.rrn_encrypted).order_by(Employee.id).limit(1))
    return {
        "emps": emps,
        "deps": deps,
        "pay": tuple(pay),
        "first_rrn": cipher.decrypt(first).reveal(),
    }


def test_seed_is_deterministic_complete_and_replaceable(
    migrated: Engine, cipher: RRNCipher
) -> None:
    cfg = SeedConfig(employees=1200, seed=7, chunk_size=500)
    r1 = seed(migrated, cfg, cipher)
    assert r1.employees == 1200 and r1.dependents > 1200 and r1.payroll > 1200 * 10
    a = _snapshot(migrated, cipher)
    with pytest.raises(SeedError, match="--replace"):
        seed(migrated, cfg, cipher)
    seed(migrated, cfg, cipher, replace=True)
    assert _snapshot(migrated, cipher) == a  # same seed, same people and pay
    seed(migrated, SeedConfig(employees=1200, seed=8, chunk_size=500), cipher, replace=True)
    assert _snapshot(migrated, cipher)["emps"] != a["emps"]
    with migrated.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Employee)) == 1200
        kinds = set(conn.scalars(select(SeedPlant.kind)))
        assert {"couple_double_child", "sibling_double_parent"} <= kinds
        # planted double claims really are two claimants on one dependent pseudonym
        plant = conn.execute(
            select(SeedPlant).where(SeedPlant.kind == "couple_double_child").limit(1)
        ).one()
        claimants = conn.scalars(
            select(Dependent.employee_id).where(
                Dependent.rrn_pseudonym == plant.dependent_pseudonym,
                Dependent.allowance_from.is_not(None),
            )
        ).all()
        assert {plant.employee_id, plant.other_employee_id} <= set(claimants)
        audit = conn.scalars(select(AuditLog.action)).all()
        assert audit.count("people.seed") == 3
        # every payroll row adds up and every agency is a registry agency
        bad = conn.scalar(
            select(func.count()).select_from(Payroll).where(
                Payroll.gross_pay != Payroll.base_pay + Payroll.position_allowance + Payroll.longevity_allowance
                + Payroll.longevity_bonus + Payroll.holiday_bonus + Payroll.family_allowance
                + Payroll.overtime_allowance + Payroll.meal_allowance
            )
        )  # fmt: skip
        assert bad == 0
        assert conn.scalar(select(func.count()).select_from(Agency)) == 71


def test_new_rows_after_seed_get_fresh_ids(migrated: Engine, cipher: RRNCipher) -> None:
    seed(migrated, SeedConfig(employees=300, seed=1), cipher)
    with migrated.begin() as conn:
        record(conn, actor="t", action="x")
        before = conn.scalar(select(func.max(Employee.id)))
        row = conn.execute(select(Employee).limit(1)).mappings().one()
        values = {k: v for k, v in row.items() if k != "id"} | {
            "employee_no": "X1",
            "rrn_pseudonym": "f" * 64,
        }
        new_id = conn.execute(Employee.__table__.insert().values(**values)).inserted_primary_key[0]
    assert new_id == before + 1


def test_a_renamed_agency_code_updates_its_row_in_place(migrated: Engine) -> None:
    """국가교육위원회 was NEC (the code now of the election commission, outside insa): a
    database synced before the rename keeps the row's id and takes the new code."""
    from sqlalchemy import update

    from insa.domains import sync_reference_data

    with migrated.begin() as conn:
        conn.execute(update(Agency).where(Agency.code == "NEDC").values(code="NEC"))
    with migrated.begin() as conn:
        before = conn.scalar(select(func.count()).select_from(Agency))
        sync_reference_data(conn)
        after = conn.scalar(select(func.count()).select_from(Agency))
        row = conn.execute(select(Agency.id, Agency.name_ko).where(Agency.code == "NEDC")).one()
        assert conn.scalar(select(Agency.id).where(Agency.code == "NEC")) is None
    assert before == after and row == (64, "국가교육위원회")


def test_statistics_are_refreshed_after_a_bulk_load(migrated: Engine, cipher: RRNCipher) -> None:
    from insa.db.bulk import BULK_ROWS, refresh_statistics

    seed(migrated, SeedConfig(employees=300, seed=3), cipher)
    refresh_statistics(migrated, ["employees", "org_units"], BULK_ROWS)  # VACUUM on PostgreSQL
    with migrated.connect() as conn:
        if migrated.dialect.name == "postgresql":
            vacuumed = conn.scalar(text(
                "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables"
                " WHERE relid = 'employees'::regclass"
            ))  # fmt: skip
            assert vacuumed
        else:
            stats = conn.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'employees'"))
            assert stats and stats > 0


def test_a_web_worker_keeps_ten_connections() -> None:
    """Ten concurrent requests in one worker reuse kept PostgreSQL connections instead of
    opening one for every other request (SQLAlchemy's default pool keeps five)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from insa.db.engine import make_engine
    from tests.conftest import PG_ADMIN_URL

    engine = make_engine(PG_ADMIN_URL)
    pids: set[int] = set()
    together = threading.Barrier(
        10, timeout=30
    )  # all ten hold a connection at once, however loaded

    def one(_: int) -> None:
        with engine.connect() as conn:
            pids.add(int(conn.scalar(text("SELECT pg_backend_pid()")) or 0))
            together.wait()

    try:
        with ThreadPoolExecutor(10) as pool:
            list(pool.map(one, range(10)))
        first = set(pids)
        with ThreadPoolExecutor(10) as pool:
            list(pool.map(one, range(10)))
    finally:
        engine.dispose()
    assert len(first) == 10 and pids == first  # the second round reused all ten


def test_a_kept_connection_is_checked_only_after_resting(monkeypatch: pytest.MonkeyPatch) -> None:
    """No round trip to check a connection returned moments ago; one that rested is checked,
    and one the server ended while it rested is replaced before the caller sees it."""
    from insa.db import engine as engine_module
    from insa.db.engine import make_engine
    from tests.conftest import PG_ADMIN_URL

    engine = make_engine(PG_ADMIN_URL, pool_size=1, max_overflow=0)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or real_ping(c))
    try:
        with engine.connect() as conn:
            first = conn.scalar(text("SELECT pg_backend_pid()"))
        for _ in range(5):
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT pg_backend_pid()")) == first
        assert pings == []  # busy connections: never checked
        with create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT").connect() as admin:
            assert admin.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": first})
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE", 0.0)  # it has rested long enough
        with engine.connect() as conn:
            again = conn.scalar(text("SELECT pg_backend_pid()"))
        assert pings and again != first  # checked, found dead, replaced
    finally:
        engine.dispose()
