"""Reference data every database carries: the agency registry, grades and positions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, select, text, update

from insa.people.grades import GRADES, POSITIONS
from insa.people.models import Agency, Grade, Position
from insa.people.paytable import general_table
from insa.people.registry import agencies


def sync(conn: Connection) -> dict[str, int]:
    """The people package's reference data (the registry entry for ``insa db upgrade``)."""
    return sync_reference_data(conn)


def sync_reference_data(conn: Connection, on: dt.date | None = None) -> dict[str, int]:
    """Insert missing registry rows and refresh names; ids follow the registry. Idempotent."""
    added = {"agencies": 0, "grades": 0, "positions": 0}
    # rows are matched by their permanent id, so a renamed code (국가교육위원회: NEC → NEDC)
    # updates its row in place; codes that change are first set aside, since a code may
    # move from one row to another
    stored: dict[int, str] = {
        int(i): str(c) for i, c in conn.execute(select(Agency.id, Agency.code))
    }
    for a in agencies():
        if a.id in stored and stored[a.id] != a.code:
            conn.execute(update(Agency).where(Agency.id == a.id).values(code=f"~{a.id}"))
    existing = {a.code: a.id for a in agencies() if a.id in stored}
    by_code = {a.code: a for a in agencies()}
    for a in agencies():
        values = {
            "code": a.code,
            "name_ko": a.name_ko,
            "name_en": a.name_en,
            "kind": a.kind,
            "valid_from": a.valid_from,
            "valid_until": a.valid_until,
            "domain": a.domain,
        }
        if a.id in stored:
            conn.execute(update(Agency).where(Agency.id == a.id).values(**values))
        else:
            conn.execute(insert(Agency).values(id=a.id, **values))
            existing[a.code] = a.id
            added["agencies"] += 1
    for a in agencies():  # links once every row exists
        conn.execute(
            update(Agency)
            .where(Agency.id == existing[a.code])
            .values(
                parent_id=existing[a.parent] if a.parent in by_code else None,
                predecessor_id=existing[a.predecessor] if a.predecessor in by_code else None,
            )
        )
    _table, max_step, _ = general_table(on or dt.date.today())
    have_g = set(conn.scalars(select(Grade.code)))
    for i, g in enumerate(GRADES):
        if g.code not in have_g:
            conn.execute(
                insert(Grade).values(
                    id=i + 1,
                    code=g.code,
                    name_ko=g.name_ko,
                    pay_family=g.pay_family,
                    rank=g.rank,
                    max_step=max_step.get(g.code),
                )
            )
            added["grades"] += 1
    have_p = set(conn.scalars(select(Position.code)))
    for i, p in enumerate(POSITIONS):
        if p.code not in have_p:
            conn.execute(
                insert(Position).values(
                    id=i + 1, code=p.code, name_ko=p.name_ko, is_manager=p.is_manager
                )
            )
            added["positions"] += 1
    if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for table in ("agencies", "grades", "positions"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            )
    return added
