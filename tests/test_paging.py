"""paginate: the page, the total (counted, capped, or read off a short last page)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, event, select
from sqlalchemy.orm import Session

from insa.db.paging import paginate

meta = MetaData()
numbers = Table("numbers", meta, Column("n", Integer, primary_key=True))
ROWS = 57


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = create_engine("sqlite://")
    meta.create_all(eng)
    with eng.begin() as conn:
        conn.execute(numbers.insert(), [{"n": i} for i in range(ROWS)])
    yield eng
    eng.dispose()


def _counts(eng: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(eng, "before_cursor_execute",
                 lambda _c, _cur, sql, *_a: seen.append(sql) if "count(" in sql else None)  # fmt: skip
    return seen


@settings(max_examples=120, deadline=None)
@given(
    upto=st.integers(0, ROWS),
    page=st.integers(1, 8),
    size=st.integers(1, 25),
    cap=st.one_of(st.none(), st.integers(0, 70)),
)
def test_page_and_total(engine: Engine, upto: int, page: int, size: int, cap: int | None) -> None:
    stmt = select(numbers.c.n).where(numbers.c.n < upto).order_by(numbers.c.n)
    with Session(engine) as db:
        found = paginate(db, stmt, page=page, size=size, cap=cap, scalars=True)
    assert found.items == list(range(upto))[(page - 1) * size : page * size]
    if cap is not None and upto > cap and not (0 < len(found.items) < size):
        assert (found.total, found.more) == (cap, True)
    else:  # counted, or read off the short last page (which is exact even past the cap)
        assert (found.total, found.more) == (upto, False)


def test_a_short_page_is_not_counted(engine: Engine) -> None:
    counts = _counts(engine)
    stmt = select(numbers.c.n).order_by(numbers.c.n)
    with Session(engine) as db:
        assert paginate(db, stmt.where(numbers.c.n < 7), size=20, scalars=True).total == 7
        assert counts == []
        assert paginate(db, stmt.where(numbers.c.n < 0), size=20, scalars=True).total == 0
        assert counts == []
        # a full page, or a page past the end, has to count
        assert paginate(db, stmt, size=20, scalars=True).total == ROWS
        assert len(counts) == 1
        past = paginate(db, stmt, page=9, size=20, scalars=True)
        assert (past.items, past.total, len(counts)) == ([], ROWS, 2)
