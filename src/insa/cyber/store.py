"""The control tower's event store: Parquet files partitioned by day and ministry
(``day=2026-12-02/ministry=MPM/part-….parquet``, written by pyarrow, each file whole or not
at all) and queried with DuckDB (the embedded default) — by time, ministry, field and free
text; days older than the retention removed. Dead letters (lines that are not events, with
why) are kept beside them in the same layout. Plain functions over a folder."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insa.cyber.ecs import Event

# the fields kept as columns (searchable by name, typed); the rest of an event goes to ``extra``
COLUMNS: dict[str, str] = {
    "@timestamp": "timestamp", "event.id": "string", "organization.id": "string", "event.category": "string",
    "event.action": "string", "event.outcome": "string", "event.dataset": "string", "log.format": "string",
    "source.ip": "string", "source.port": "int", "destination.ip": "string", "destination.port": "int",
    "user.name": "string", "host.name": "string", "process.name": "string", "url.original": "string",
    "url.domain": "string", "url.path": "string", "url.query": "string", "http.request.method": "string",
    "http.response.status_code": "int", "user_agent.original": "string", "dns.question.name": "string",
    "network.transport": "string", "message": "string",
}  # fmt: skip
SEARCHABLE = tuple(k for k in COLUMNS if k not in ("@timestamp", "message"))


class StoreError(ValueError):
    """A search that cannot be answered (Korean)."""


def _schema() -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]

    kinds = {"timestamp": pa.timestamp("ms", tz="UTC"), "string": pa.string(), "int": pa.int64()}
    return pa.schema([(k, kinds[v]) for k, v in COLUMNS.items()] + [("extra", pa.string())])


def _int(v: Any) -> int | None:
    try:
        return None if v is None or isinstance(v, bool) else int(v)
    except (TypeError, ValueError):
        return None


def _write(table: Any, folder: Path, stem: str) -> Path:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{stem}.parquet"
    tmp = folder / f".{stem}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)
    return final


def _table(rows: Sequence[Event], schema: Any) -> Any:
    """The rows as an Arrow table: a column at a time (fast), each value made the column's
    type where a sender gave another (a port as text)."""
    import orjson
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    text_schema = pa.schema(
        [
            pa.field(k, pa.string()) if kind == "timestamp" else schema.field(k)
            for k, kind in COLUMNS.items()
        ]
    )
    try:
        table = pa.Table.from_pylist(list(rows), schema=text_schema)  # in C++, a row at a time
        arrays = [table.column(k) for k in COLUMNS]
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
    ):  # a sender's odd type somewhere: a column at a time
        arrays = []
        for k, kind in COLUMNS.items():
            values = [e.get(k) for e in rows]
            typ = pa.string() if kind in ("string", "timestamp") else pa.int64()
            try:
                arrays.append(pa.array(values, typ))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                fixed = (
                    [_int(v) for v in values]
                    if kind == "int"
                    else [None if v is None else str(v) for v in values]
                )
                arrays.append(pa.array(fixed, typ))
    stamp = list(COLUMNS).index("@timestamp")
    arrays[stamp] = pc.cast(arrays[stamp], pa.timestamp("ms", tz="UTC"))
    extra = []
    for e in rows:
        rest = {k: v for k, v in e.items() if k not in COLUMNS}
        extra.append(orjson.dumps(rest, default=str).decode() if rest else None)
    arrays.append(pa.array(extra, pa.string()))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_events(root: Path, events: Sequence[Event], stem: str | None = None) -> list[Path]:
    """The events, a file for each day and ministry among them. ``stem`` names the files
    (``part-<stem>``): writing the same batch again (after a crash) replaces its files, so one
    copy is kept — the last, whose event ids the incidents refer to."""

    groups: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in events:  # normalised times are UTC ISO-8601: the day is their first ten characters
        groups[(str(e["@timestamp"])[:10], str(e.get("organization.id", "")))].append(e)
    name = stem or f"{dt.datetime.now(dt.UTC):%H%M%S}-{uuid.uuid4().hex[:10]}"
    out = []
    schema = _schema()
    for (day, ministry), rows in groups.items():
        folder = root / f"day={day}" / f"ministry={ministry}"
        table = _table(rows, schema)
        out.append(_write(table, folder, f"part-{name}"))
    return out


def write_dead(
    root: Path, letters: Iterable[tuple[dt.datetime, str, str, str, str]], stem: str | None = None
) -> None:
    """Dead letters: (received, ministry, input, error, line)."""
    import pyarrow as pa

    groups: dict[tuple[str, str], list[tuple[dt.datetime, str, str, str, str]]] = defaultdict(list)
    for row in letters:
        groups[(row[0].strftime("%Y-%m-%d"), row[1] or "-")].append(row)
    name = stem or f"{dt.datetime.now(dt.UTC):%H%M%S}-{uuid.uuid4().hex[:10]}"
    schema = pa.schema([("received", pa.timestamp("ms", tz="UTC")), ("ministry", pa.string()), ("input", pa.string()),
                        ("error", pa.string()), ("line", pa.string())])  # fmt: skip
    for (day, ministry), rows in groups.items():
        folder = root / f"day={day}" / f"ministry={ministry}"
        if (folder / f"dead-{name}.parquet").exists():
            continue
        table = pa.table({"received": [r[0] for r in rows], "ministry": [r[1] for r in rows], "input": [r[2] for r in rows],
                          "error": [r[3] for r in rows], "line": [r[4][:65536] for r in rows]}, schema=schema)  # fmt: skip
        _write(table, folder, f"dead-{name}")


def retain(root: Path, days: int, today: dt.date | None = None) -> list[str]:
    """Remove the day partitions older than ``days``; the days removed."""
    if not root.exists():
        return []
    limit = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=days)
    gone = []
    for d in sorted(root.glob("day=*")):
        try:
            day = dt.date.fromisoformat(d.name[4:])
        except ValueError:
            continue
        if day < limit:
            shutil.rmtree(d)
            gone.append(d.name[4:])
    return gone


@dataclass
class Found:
    rows: list[dict[str, Any]]
    total: int


def _files(
    root: Path, start: dt.datetime, end: dt.datetime, ministries: Sequence[str] | None, prefix: str
) -> list[str]:
    """The partition files a search must read (pruned by day and ministry here, so DuckDB
    opens only those)."""
    out = []
    day = start.astimezone(dt.UTC).date()
    while day <= end.astimezone(dt.UTC).date():
        folder = root / f"day={day.isoformat()}"
        if folder.is_dir():
            for m in sorted(folder.glob("ministry=*")):
                if ministries is None or m.name[9:] in ministries:
                    out += [str(p) for p in sorted(m.glob(f"{prefix}-*.parquet"))]
        day += dt.timedelta(days=1)
    return out


def search(root: Path, start: dt.datetime, end: dt.datetime, *, ministries: Sequence[str] | None = None,
           fields: Mapping[str, str] | None = None, text: str = "", ids: Sequence[str] | None = None,
           limit: int = 100, offset: int = 0) -> Found:  # fmt: skip
    """Events between ``start`` and ``end`` (UTC), of the given ministries (None: all), whose
    fields equal the given values, whose raw message holds ``text`` (case-insensitive),
    newest first."""
    import duckdb

    if end < start:
        raise StoreError("끝 시각이 시작 시각보다 앞섭니다")
    for k in fields or {}:
        if k not in SEARCHABLE:
            raise StoreError(f"검색할 수 없는 필드입니다: {k}")
    files = _files(root, start, end, ministries, "part")
    if not files:
        return Found([], 0)
    where = ['"@timestamp" >= ? AND "@timestamp" < ?']
    params: list[Any] = [start, end]
    if ministries is not None:
        where.append('"organization.id" IN (' + ",".join("?" * len(ministries)) + ")")
        params += list(ministries)
    for k, v in (fields or {}).items():
        if COLUMNS[k] == "int":
            try:
                params.append(int(v))
            except ValueError:
                raise StoreError(f"{k}는 숫자입니다: {v}") from None
        else:
            params.append(v)
        where.append(f'"{k}" = ?')
    if text.strip():
        where.append("message ILIKE ? ESCAPE '\\'")
        params.append(
            "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    if ids is not None:
        if not ids:
            return Found([], 0)
        where.append('"event.id" IN (' + ",".join("?" * len(ids)) + ")")
        params += list(ids)
    cond = " AND ".join(where)
    with duckdb.connect() as con:
        src = "read_parquet(?, union_by_name=true)"
        total = con.execute(f"SELECT count(*) FROM {src} WHERE {cond}", [files, *params]).fetchone()
        cur = con.execute(f'SELECT * EXCLUDE (extra), extra FROM {src} WHERE {cond} ORDER BY "@timestamp" DESC, "event.id" '
                          f"LIMIT ? OFFSET ?", [files, *params, limit, offset])  # fmt: skip
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r.pop("day", None)
        r.pop("ministry", None)  # the partition's names, as DuckDB reads them from the path
        if r.get("extra"):
            r.update(json.loads(r.pop("extra")))
        else:
            r.pop("extra", None)
    return Found(rows, int(total[0]) if total else 0)


def dead_letters(root: Path, start: dt.datetime, end: dt.datetime, ministries: Sequence[str] | None = None,
                 limit: int = 100) -> list[dict[str, Any]]:  # fmt: skip
    import duckdb

    files = _files(root, start, end, ministries, "dead")
    if not files:
        return []
    with duckdb.connect() as con:
        cur = con.execute("SELECT * FROM read_parquet(?) WHERE received >= ? AND received < ? ORDER BY received DESC LIMIT ?",
                          [files, start, end, limit])  # fmt: skip
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def iter_events(root: Path, start: dt.datetime, end: dt.datetime, ministries: Sequence[str] | None = None,
                chunk: int = 10_000) -> Iterable[dict[str, Any]]:  # fmt: skip
    """Every stored event between ``start`` and ``end``, oldest first, as ECS dotted keys
    (the columns and ``extra`` together), a chunk at a time."""
    import duckdb

    files = _files(root, start, end, ministries, "part")
    if not files:
        return
    with duckdb.connect() as con:
        cur = con.execute('SELECT * FROM read_parquet(?, union_by_name=true) WHERE "@timestamp" >= ? AND "@timestamp" < ? '
                          'ORDER BY "@timestamp", "event.id"', [files, start, end])  # fmt: skip
        names = [d[0] for d in cur.description]
        while rows := cur.fetchmany(chunk):
            for r in rows:
                e = {
                    k: v
                    for k, v in zip(names, r, strict=True)
                    if v is not None and k not in ("day", "ministry")
                }
                if e.get("extra"):
                    e.update(json.loads(e.pop("extra")))
                e.pop("extra", None)
                at = e["@timestamp"]
                e["@timestamp"] = (
                    at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
                )
                yield e


def elastic_bulk(events: Iterable[Mapping[str, Any]], index: str = "insa-events") -> Iterable[str]:
    """The events in Elasticsearch's (and OpenSearch's) bulk format: an ``index`` action line
    (a daily index, the event's id as the document's, so sending twice stores once) then the
    document, its dotted keys nested as ECS objects."""
    for e in events:
        doc: dict[str, Any] = {}
        for k, v in e.items():
            if k == "@timestamp":
                doc[k] = v
                continue
            node = doc
            parts = k.split(".")
            for p in parts[:-1]:
                nxt = node.get(p)
                if not isinstance(nxt, dict):
                    nxt = node[p] = {} if nxt is None else {"value": nxt}
                node = nxt
            node[parts[-1]] = v
        day = str(e["@timestamp"])[:10].replace("-", ".")
        action = {
            "index": {
                "_index": f"{index}-{day}",
                **({"_id": str(e["event.id"])} if e.get("event.id") else {}),
            }
        }
        yield json.dumps(action, ensure_ascii=False)
        yield json.dumps(doc, ensure_ascii=False, default=str)
