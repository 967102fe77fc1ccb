"""The tax authority's simplified data (연말정산 간소화 자료), imported per employee.

Format (docs/yearend.md): one JSON object per employee — either one ``*.json`` file each, or
many in a ``*.jsonl`` file, one per line — keyed by ``employee_no`` and ``tax_year``, with the
items of the NTS simplified-data service grouped as the stateless contract groups them
(``cards``, ``insurance``, ``medical``, ``education``, ``donations``, ``monthly_rent``,
``pension_account``, ``housing``, ``contributions.employment``) and the employee's
declaration (``declaration``: disabled, single_parent, household_head, married_this_year).

An import validates every document first and writes nothing if any is bad; errors read
``file:line:field: message``. Re-importing the same data changes nothing (a content hash per
employee and year); changed data replaces the employee's row for that year.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Engine, delete, func, select, tuple_

from insa.codes import EMPLOYEE_NO_PATTERN
from insa.db.bulk import bulk_writer
from insa.db.locks import batch_lock
from insa.errors import RowErrors
from insa.people.models import Dependent, Employee
from insa.security.context import over_connection
from insa.security.principal import Principal
from insa.yearend.models import NTS_AMOUNTS, NTS_FLAGS, nts_table
from insa.yearend.schemas import Declaration, SimplifiedItems, Won


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmployeeContributions(_M):
    employment: Won = 0  # 고용보험료 (civil servants pay none; contract staff do)


class _DocumentHead(_M):
    """The fields of ``NtsDocument`` before the simplified-data items."""

    employee_no: Annotated[str, Field(pattern=EMPLOYEE_NO_PATTERN)]
    tax_year: Annotated[int, Field(ge=2000, le=2100, strict=True)]
    declaration: Declaration = Declaration()
    contributions: EmployeeContributions = EmployeeContributions()


class NtsDocument(SimplifiedItems, _DocumentHead):
    # one employee's simplified data for one year: the head fields, then the same items as
    # Case (no docstring: it would become the JSON schema's description)
    pass


def document_row(doc: NtsDocument) -> dict[str, Any]:
    """The table row (engine column names) for one document, without ids."""
    c, i, m, ed, d, pa, h = (
        doc.cards, doc.insurance, doc.medical, doc.education, doc.donations,
        doc.pension_account, doc.housing,
    )  # fmt: skip
    amounts = (
        doc.contributions.employment, c.credit, c.debit, c.cash_receipt, c.culture,
        c.traditional_market, c.public_transport, i.general, i.disabled,
        m.self_senior_disabled_child6, m.other_dependents, m.infertility, m.premature,
        m.reimbursed, ed.self, ed.disabled, d.political, d.hometown, d.general, d.religious,
        doc.monthly_rent, pa.pension_savings, pa.irp, h.subscription_savings,
        h.lease_loan_repayment, h.mortgage_interest,
    )  # fmt: skip
    row: dict[str, Any] = dict(zip(NTS_AMOUNTS, amounts, strict=True))
    decl = doc.declaration
    row |= dict(
        zip(
            NTS_FLAGS,
            (decl.disabled, decl.single_parent, decl.household_head, decl.married_this_year),
            strict=True,
        )
    )
    items = {}
    if ed.preschool_school:
        items["preschool_school"] = list(ed.preschool_school)
    if ed.university:
        items["university"] = list(ed.university)
    row["education_items"] = json.dumps(items, separators=(",", ":"))
    return row


def content_hash(doc: NtsDocument) -> str:
    canonical = json.dumps(doc.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class NtsImportError(RowErrors):
    pass


@dataclass
class NtsImportReport:
    files: int
    documents: int
    inserted: int
    replaced: int
    unchanged: int


@dataclass
class _Parsed:
    where: str  # file:line
    doc: NtsDocument


def input_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl"))
        if not files:
            raise NtsImportError([f"{path}: no *.json or *.jsonl files"])
        return files
    if not path.exists():
        raise NtsImportError([f"{path}: no such file or directory"])
    return [path]


# Bounds of a simplified-data document (docs/yearend.md, "Limits"): a real one is a few
# hundred bytes, three levels deep, with one education item per dependent.
MAX_DOCUMENT_BYTES = 64 * 1024  # one document (a line of a .jsonl file, or a .json file's item)
MAX_FILE_BYTES = 2 * 1024**3  # one file
MAX_DEPTH = 6  # nesting of objects and arrays (a document uses 3; a .json array adds one)
MAX_AMOUNT = 1_000_000_000  # one amount of one employee's year: 10억 원, far above any real one
MAX_ITEMS = 20  # education items of one kind (birth order is at most 20 too)


_BIG_NUMBER = re.compile(rb"[:\[,]\s*\d{10,}")  # a bare number of ten digits or more


def _depth(raw: bytes) -> int:
    """The deepest nesting of ``{`` and ``[`` in ``raw`` (brackets inside strings count too,
    which can only overstate it), computed without parsing: a running sum over the bytes."""
    if not raw:
        return 0
    return int(np.cumsum(_BRACKET_STEP[np.frombuffer(raw, dtype=np.uint8)], dtype=np.int32)
               .max(initial=0))  # fmt: skip


_BRACKET_STEP = np.zeros(256, dtype=np.int8)  # byte → +1 for { and [, −1 for } and ]
_BRACKET_STEP[[0x7B, 0x5B]], _BRACKET_STEP[[0x7D, 0x5D]] = 1, -1


def _line_depths(data: bytes) -> Any:
    """The deepest nesting of each ``\\n``-separated line of ``data``, for the whole file in
    one vectorised pass (a running sum per line would cost tens of microseconds a line)."""
    b = np.frombuffer(data, dtype=np.uint8)
    if not len(b):
        return np.zeros(0, dtype=np.int64)
    depth = np.cumsum(_BRACKET_STEP[b], dtype=np.int32)
    starts = np.concatenate(([0], np.flatnonzero(b == 0x0A) + 1))
    starts = starts[starts < len(b)]
    before = np.where(starts > 0, depth[np.maximum(starts - 1, 0)], 0)
    return np.maximum.reduceat(depth, starts) - before


def _shape_problem(raw: bytes, limit: int, depth: int, measured: int | None = None) -> str | None:
    if len(raw) > limit:
        return f"문서가 너무 큽니다 (최대 {limit:,}바이트) / document too large"
    if (measured if measured is not None else _depth(raw)) > depth:
        return f"문서가 너무 깊게 중첩되어 있습니다 (최대 {depth}단계) / nested too deeply"
    return None


def _loads(raw: bytes | str) -> tuple[Any, str | None]:
    try:
        return json.loads(raw), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg}, column {exc.colno})"
    except (ValueError, RecursionError) as exc:  # a number of 5,000 digits, say
        return None, f"읽을 수 없는 값입니다 / unreadable value ({str(exc)[:60]})"


def _objects(path: Path) -> Iterator[tuple[int, Any, str | None, bytes]]:
    """(line, object, problem, raw bytes) for every document in a file; a document over the
    size or depth limits is refused before it is parsed."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            yield (
                0,
                None,
                f"파일이 너무 큽니다 (최대 {MAX_FILE_BYTES:,}바이트) / file too large",
                b"",
            )
            return
        data = path.read_bytes()
        data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield 0, None, str(exc), b""
        return
    if path.suffix == ".jsonl":
        depths = _line_depths(data)
        for n, line in enumerate(data.split(b"\n"), start=1):
            if not line.strip():
                continue
            problem = _shape_problem(line, MAX_DOCUMENT_BYTES, MAX_DEPTH - 1, int(depths[n - 1]))
            obj, problem = (None, problem) if problem else _loads(line)
            yield n, obj, problem, line
        return
    problem = _shape_problem(data, MAX_FILE_BYTES, MAX_DEPTH)
    obj, problem = (None, problem) if problem else _loads(data)
    if problem:
        yield 1, None, problem, b""
    elif isinstance(obj, list):  # a JSON array of documents is accepted too
        for n, item in enumerate(obj, start=1):
            raw = json.dumps(item, ensure_ascii=False).encode()
            problem = _shape_problem(raw, MAX_DOCUMENT_BYTES, MAX_DEPTH - 1)
            yield n, None if problem else item, problem, raw
    else:
        yield 1, obj, _shape_problem(data, MAX_DOCUMENT_BYTES, MAX_DEPTH - 1), data


def _amount_problems(doc: NtsDocument) -> Iterator[tuple[str, str]]:
    """(field, message) for every amount above :data:`MAX_AMOUNT` (asked only of a document
    whose text holds a number of ten digits or more)."""

    def walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, f"{path}.{k}" if path else k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from walk(v, f"{path}.{i}")
        elif isinstance(value, int) and not isinstance(value, bool) and value > MAX_AMOUNT:
            yield path, (f"금액이 너무 큽니다 (한 항목 최대 {MAX_AMOUNT:,}원) / "
                         "amount above the plausible maximum")  # fmt: skip

    items = doc.model_dump(exclude={"employee_no", "tax_year"})
    yield from walk(items, "")


def parse(files: list[Path], errors: list[str]) -> list[_Parsed]:
    out: list[_Parsed] = []
    for f in files:
        for line, obj, problem, raw in _objects(f):
            where = f"{f.name}:{line}"
            if problem is not None:
                errors.append(f"{where}: {problem}")
                continue
            try:
                doc = NtsDocument.model_validate(obj)
            except ValidationError as exc:
                for e in exc.errors():
                    field = ".".join(str(p) for p in e["loc"]) or "(document)"
                    errors.append(f"{where}:{field}: {e['msg']}")
                continue
            bad = ([f"{where}:{field}: {msg}" for field, msg in _amount_problems(doc)]
                   if _BIG_NUMBER.search(raw) else [])  # fmt: skip
            errors.extend(bad)
            if not bad:
                out.append(_Parsed(where, doc))
    return out


def import_nts(
    engine: Engine,
    path: Path,
    *,
    principal: Principal | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> NtsImportReport:
    """Validate every document, then store them in one transaction (or nothing at all).
    Audited as ``principal`` (the operator running the command by default). One import at a
    time (a database lock): a second one refuses with :class:`insa.db.locks.BatchBusy`."""
    with batch_lock(engine, "yearend.nts", "간소화 자료 가져오기"):
        return _import(engine, path, principal=principal, on_progress=on_progress)


def _import(
    engine: Engine,
    path: Path,
    *,
    principal: Principal | None,
    on_progress: Callable[[int, int], None] | None,
) -> NtsImportReport:
    files = input_files(path)
    errors: list[str] = []
    parsed = parse(files, errors)
    with engine.begin() as conn:
        ids = _employee_ids(conn, {p.doc.employee_no for p in parsed})
        _check_education_items(conn, parsed, ids, errors)
        seen: dict[tuple[str, int], str] = {}
        for p in parsed:
            key = (p.doc.employee_no, p.doc.tax_year)
            if p.doc.employee_no not in ids:
                errors.append(f"{p.where}:employee_no: no employee {p.doc.employee_no}")
            elif key in seen:
                errors.append(
                    f"{p.where}:employee_no: {key[0]} for {key[1]} again (first at {seen[key]})"
                )
            else:
                seen[key] = p.where
        if errors:
            raise NtsImportError(errors)
        return _store(conn, parsed, ids, files, principal=principal, on_progress=on_progress)


def _check_education_items(
    conn: Connection, parsed: list[_Parsed], ids: dict[str, int], errors: list[str]
) -> None:
    """One education item (preschool to high school, or university) per dependent: a
    document cannot have more items than the employee has dependents on record."""
    many = {p.doc.employee_no: p for p in parsed
            if p.doc.education.preschool_school or p.doc.education.university}  # fmt: skip
    wanted = sorted({ids[no] for no in many if no in ids})
    counts: dict[int, int] = {}
    for i in range(0, len(wanted), 5000):
        chunk = wanted[i : i + 5000]
        counts.update(conn.execute(
            select(Dependent.employee_id, func.count()).where(Dependent.employee_id.in_(chunk))
            .group_by(Dependent.employee_id)
        ).all())  # fmt: skip
    for p in parsed:
        e = p.doc.education
        items = len(e.preschool_school) + len(e.university)
        if not items or p.doc.employee_no not in ids:
            continue
        have = counts.get(ids[p.doc.employee_no], 0)
        if items > have:
            errors.append(f"{p.where}:education: 교육비 항목 {items}개가 등록된 부양가족 "
                          f"수({have}명)보다 많습니다 / more education items than dependents")  # fmt: skip


def _employee_ids(conn: Connection, numbers: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    wanted = sorted(numbers)
    for i in range(0, len(wanted), 5000):
        chunk = wanted[i : i + 5000]
        rows = conn.execute(
            select(Employee.employee_no, Employee.id).where(Employee.employee_no.in_(chunk))
        )
        out.update({str(r[0]): int(r[1]) for r in rows})
    return out


def _store(
    conn: Connection,
    parsed: list[_Parsed],
    ids: dict[str, int],
    files: list[Path],
    *,
    principal: Principal | None,
    on_progress: Callable[[int, int], None] | None,
) -> NtsImportReport:
    years = sorted({p.doc.tax_year for p in parsed})
    existing: dict[tuple[int, int], str] = {}
    for year in years:
        rows = conn.execute(
            select(nts_table.c.employee_id, nts_table.c.content_hash).where(
                nts_table.c.tax_year == year
            )
        )
        existing.update({(eid, year): h for eid, h in rows})
    now = dt.datetime.now(dt.UTC)
    columns: dict[str, list[Any]] = {
        k: []
        for k in (
            "employee_id", "tax_year", *NTS_AMOUNTS, *NTS_FLAGS, "education_items",
            "content_hash", "source_file", "imported_at",
        )
    }  # fmt: skip
    replace: list[tuple[int, int]] = []
    unchanged = 0
    for n, p in enumerate(parsed, start=1):
        eid = ids[p.doc.employee_no]
        key = (eid, p.doc.tax_year)
        h = content_hash(p.doc)
        old = existing.get(key)
        if old == h:
            unchanged += 1
            continue
        if old is not None:
            replace.append(key)
        row = document_row(p.doc)
        row |= {
            "employee_id": eid, "tax_year": p.doc.tax_year, "content_hash": h,
            "source_file": p.where.rsplit(":", 1)[0][:255], "imported_at": now,
        }  # fmt: skip
        for k, v in row.items():
            columns[k].append(v)
        if on_progress and n % 20000 == 0:
            on_progress(n, len(parsed))
    for i in range(0, len(replace), 2000):
        conn.execute(
            delete(nts_table).where(
                tuple_(nts_table.c.employee_id, nts_table.c.tax_year).in_(replace[i : i + 2000])
            )
        )
    bulk_writer(conn).write(nts_table.name, columns)
    if on_progress:
        on_progress(len(parsed), len(parsed))
    report = NtsImportReport(
        files=len(files),
        documents=len(parsed),
        inserted=len(columns["employee_id"]) - len(replace),
        replaced=len(replace),
        unchanged=unchanged,
    )
    with over_connection(conn, principal) as ctx:
        ctx.audit(
            "yearend.import_nts",
            target_type="yearend_nts_data",
            detail={"files": [f.name for f in files][:50], "years": years, **report.__dict__},
        )
    return report
