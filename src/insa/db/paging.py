"""One page of a longer list, and the query that cuts it (``paginate``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import ceil
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
AnySelect = Select[*tuple[Any, ...]]  # a select of any columns
U = TypeVar("U")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    """``items`` of page ``page`` (1-based) of ``size``; ``total`` matched in all (at most a
    cap: ``more`` says more matched); ``totals``: aggregates over everything matched."""

    items: list[T]
    total: int
    page: int
    size: int
    more: bool = False
    totals: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.size))

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        return Page([fn(i) for i in self.items], self.total, self.page, self.size, self.more,
                    self.totals)  # fmt: skip


def clamp(page: int, size: int, max_size: int = MAX_PAGE_SIZE) -> tuple[int, int]:
    return max(1, page), max(1, min(size, max_size))


def paginate(
    db: Session,
    stmt: AnySelect,
    *,
    page: int = 1,
    size: int = 20,
    max_size: int = MAX_PAGE_SIZE,
    count: AnySelect | None = None,
    total: int | None = None,
    cap: int | None = None,
    scalars: bool = False,
    totals: dict[str, Any] | None = None,
) -> Page[Any]:
    """Page ``page`` of the ordered ``stmt``. The total is counted over ``count`` (a cheaper
    statement matching the same rows) or ``stmt``, stopping past ``cap`` when given, unless
    the caller already knows it (``total``) or the page says it: a page shorter than ``size``
    (not empty) is the last, so the total is the rows before it and on it — a search for a
    full name or an employee number then costs one query, not two. ``scalars``: items are
    the first column."""
    page, size = clamp(page, size, max_size)
    more = False
    cut = stmt.limit(size).offset((page - 1) * size)
    items: list[Any] = list(db.scalars(cut)) if scalars else list(db.execute(cut).all())
    if total is None and (0 < len(items) < size or (page == 1 and not items)):
        total = (page - 1) * size + len(items)  # a short page is the last: nothing to count
    if total is None:
        counted = count if count is not None else stmt
        if cap is not None:
            counted = counted.limit(cap + 1)
        total = db.scalar(select(func.count()).select_from(counted.subquery())) or 0
        if cap is not None and total > cap:
            total, more = cap, True
    return Page(items, int(total), page, size, more, totals or {})
