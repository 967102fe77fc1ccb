"""The family-allowance claims exchange format — a fixed public contract.

One CSV (UTF-8, header row) or Parquet file per reporting organisation, one row per claim,
with exactly the columns of :data:`COLUMNS`. ``claimant_key`` / ``dependent_key`` are the
lowercase hex HMAC-SHA256 of the 13-digit resident registration number under the key the
organisations share; ``dependent_key`` may be empty where an organisation has no resident
numbers. Months are ``YYYY-MM``; an empty ``end_month`` means the claim is ongoing.

At national scale an organisation sends a **delivery**: a directory named after it holding
Parquet files with those columns and a ``manifest.json`` (organisation, period, row count,
each file's name, rows and SHA-256), checked before anything is read — a delivery whose
manifest does not match its files is refused whole.

Files are read and validated in DuckDB (set-based, so millions of rows are checked in seconds);
every bad value is reported as ``file:row:column: message`` (row = the line in a CSV, the
header being line 1; the record number in a Parquet file).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from insa.errors import RowErrors
from insa.files import sha256_file
from insa.security.crypto import pseudonym
from insa.security.rrn import RRN, InvalidRRN
from insa.spreadsheets import csv_writer

COLUMNS: tuple[str, ...] = (
    "claim_id", "source_org", "claimant_key", "claimant_name", "claimant_birth_date",
    "dependent_key", "dependent_name", "dependent_birth_date", "relation", "child_order",
    "start_month", "end_month", "monthly_amount",
)  # fmt: skip
RELATIONS = ("spouse", "child", "lineal_ascendant", "other")
MAX_MONTHLY = 10_000_000  # far above any family allowance; guards the integer arithmetic

# (column, SQL condition that is TRUE for a bad value, message). Values are VARCHAR.
# 64 lowercase hex digits (the same test as a full match of [0-9a-f]{64}, a third cheaper)
_HEX64 = "(length({c}) = 64 AND NOT regexp_matches({c}, '[^0-9a-f]'))"
_MONTH = "regexp_full_match({c}, '[0-9]{{4}}-(0[1-9]|1[0-2])')"
_DATE = "(regexp_full_match({c}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND try_strptime({c}, '%Y-%m-%d') IS NOT NULL)"
_FORMULA = "left(ltrim(coalesce({c}, '')), 1) IN ('=', '+', '@', '＝', '＋', '＠', '-', '－')"
_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("claim_id", "coalesce(trim(claim_id), '') = ''", "claim_id is empty"),
    ("source_org", "coalesce(trim(source_org), '') = ''", "source_org is empty"),
    ("claimant_key", f"NOT coalesce({_HEX64.format(c='claimant_key')}, false)",
     "claimant_key must be 64 lowercase hex digits (HMAC-SHA256)"),
    ("claimant_name", "coalesce(trim(claimant_name), '') = ''", "claimant_name is empty"),
    ("claimant_name", _FORMULA.format(c="claimant_name"),
     "claimant_name starts like a spreadsheet formula (=, +, -, @)"),
    ("claimant_birth_date", f"NOT coalesce({_DATE.format(c='claimant_birth_date')}, false)",
     "claimant_birth_date must be a date YYYY-MM-DD"),
    ("dependent_key",
     f"coalesce(dependent_key, '') <> '' AND NOT {_HEX64.format(c='dependent_key')}",
     "dependent_key must be empty or 64 lowercase hex digits (HMAC-SHA256)"),
    ("dependent_name", "coalesce(trim(dependent_name), '') = ''", "dependent_name is empty"),
    ("dependent_name", _FORMULA.format(c="dependent_name"),
     "dependent_name starts like a spreadsheet formula (=, +, -, @)"),
    ("dependent_birth_date", f"NOT coalesce({_DATE.format(c='dependent_birth_date')}, false)",
     "dependent_birth_date must be a date YYYY-MM-DD"),
    ("relation", f"coalesce(relation, '') NOT IN {RELATIONS!r}",
     "relation must be one of spouse, child, lineal_ascendant, other"),
    ("child_order",
     "coalesce(child_order, '') <> '' AND NOT regexp_full_match(child_order, '[1-9][0-9]?')",
     "child_order must be empty or a whole number from 1"),
    ("start_month", f"NOT coalesce({_MONTH.format(c='start_month')}, false)",
     "start_month must be YYYY-MM"),
    ("end_month", f"coalesce(end_month, '') <> '' AND NOT {_MONTH.format(c='end_month')}",
     "end_month must be empty or YYYY-MM"),
    ("end_month",
     f"coalesce(end_month, '') <> '' AND {_MONTH.format(c='end_month')} AND "
     f"coalesce({_MONTH.format(c='start_month')}, false) AND end_month < start_month",
     "end_month is before start_month"),
    ("monthly_amount",
     f"NOT coalesce(regexp_full_match(monthly_amount, '[0-9]{{1,8}}'), false) "
     f"OR try_cast(monthly_amount AS BIGINT) > {MAX_MONTHLY}",
     f"monthly_amount must be whole won from 0 to {MAX_MONTHLY:,}"),
)  # fmt: skip


def connect(memory_limit: str = "2GB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for a verification run: bounded memory, spilling to a temp dir."""
    import os
    import tempfile

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/insa-duckdb-{os.getpid()}'")
    con.execute(f"SET threads = {max(os.cpu_count() or 1, 1)}")
    return con


class ClaimsError(RowErrors):
    pass


@dataclass
class LoadReport:
    files: list[str]
    rows: int
    bad_files: dict[str, list[str]]  # file → its errors (skipped with skip_bad_files)


MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Source:
    """What one organisation sent: a claims file, or a delivery (a directory of Parquet files
    checked against its manifest)."""

    name: str  # as errors name it: the file's name, or the delivery's directory
    paths: tuple[Path, ...]
    org: str | None = None  # a delivery's organisation: every row's source_org must be it

    @property
    def parquet(self) -> bool:
        return self.paths[0].suffix.lower() == ".parquet"


def check_delivery(folder: Path, as_of: str | None = None) -> tuple[Source | None, list[str]]:
    """A delivery directory against its manifest, before any of its data is read: the
    manifest's shape, the organisation (the directory's name), the period (``as_of``), every
    listed file present with its SHA-256 and its row count (from the Parquet footer), no file
    that is not listed, the total. Any mismatch refuses the delivery whole."""
    import json

    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    where = f"{folder.name}/{MANIFEST}"
    path = folder / MANIFEST
    if not path.is_file():
        return None, [f"{folder.name}: {MANIFEST}이 없습니다 (전달 폴더에는 파일 목록이 있어야 합니다)",
                      f"{folder.name}: 전달분 전체를 받지 않습니다"]  # fmt: skip
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [
            f"{where}: JSON이 아닙니다 ({exc})",
            f"{folder.name}: 전달분 전체를 받지 않습니다",
        ]
    errors: list[str] = []
    if (
        not isinstance(doc, dict)
        or set(doc) - {"organisation", "period", "rows", "files"}
        or not isinstance(doc.get("files"), list)
    ):
        return None, [f"{where}: organisation, period, rows, files만 있어야 합니다",
                      f"{folder.name}: 전달분 전체를 받지 않습니다"]  # fmt: skip
    org, period, rows = doc.get("organisation"), doc.get("period"), doc.get("rows")
    if org != folder.name:
        errors.append(f"{where}: organisation이 {org!r}인데 폴더는 {folder.name!r}입니다")
    if as_of is not None and period != as_of:
        errors.append(f"{where}: period가 {period!r}인데 이번 검증의 기준월은 {as_of}입니다")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        errors.append(f"{where}: rows는 정수여야 합니다")
    listed: list[Path] = []
    total = 0
    for i, f in enumerate(doc["files"]):
        if (
            not isinstance(f, dict)
            or set(f) != {"name", "rows", "sha256"}
            or not isinstance(f.get("name"), str)
        ):
            errors.append(f"{where}: files[{i}]에는 name, rows, sha256만 있어야 합니다")
            continue
        name = f["name"]
        p = folder / name
        if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".parquet"):
            errors.append(
                f"{where}: files[{i}]: {name!r}는 전달 폴더 안 Parquet 파일의 이름이 아닙니다"
            )
            continue
        if not p.is_file():
            errors.append(f"{folder.name}/{name}: 목록에 있으나 파일이 없습니다")
            continue
        listed.append(p)
        digest = sha256_file(p)
        if digest != str(f["sha256"]).lower():
            errors.append(
                f"{folder.name}/{name}: SHA-256이 {digest}인데 목록에는 {f['sha256']}입니다"
            )
        try:
            n = pq.read_metadata(p).num_rows
        except Exception as exc:  # a file that is no Parquet  # noqa: BLE001
            errors.append(
                f"{folder.name}/{name}: Parquet 파일이 아닙니다 ({str(exc).splitlines()[0]})"
            )
            continue
        if n != f["rows"]:
            errors.append(f"{folder.name}/{name}: {n:,}행인데 목록에는 {f['rows']}행입니다")
        total += n
    unlisted = sorted(
        p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST and p not in listed
    )
    errors += [f"{folder.name}/{name}: 목록에 없는 파일입니다" for name in unlisted]
    if isinstance(rows, int) and not errors and total != rows:
        errors.append(f"{where}: rows가 {rows:,}인데 파일에는 {total:,}행이 있습니다")
    if not listed and not errors:
        errors.append(f"{where}: 파일을 하나도 싣지 않았습니다")
    if errors:
        return None, [*errors, f"{folder.name}: 전달분 전체를 받지 않습니다"]
    return Source(folder.name, tuple(listed), org=str(org)), []


def write_manifest(folder: Path, org: str, period: str) -> dict[str, Any]:
    """The manifest of the Parquet files in ``folder`` (written whole, then renamed)."""
    import json
    import os

    import pyarrow.parquet as pq

    files: list[dict[str, Any]] = []
    total = 0
    for p in sorted(folder.glob("*.parquet")):
        n = int(pq.read_metadata(p).num_rows)
        total += n
        files.append({"name": p.name, "rows": n, "sha256": sha256_file(p)})
    doc = {"organisation": org, "period": period, "rows": total, "files": files}
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)
    return doc


def claim_sources(
    directory: Path, as_of: str | None = None
) -> tuple[list[Source], dict[str, list[str]]]:
    """The files and the deliveries in ``directory``, and the deliveries refused (by name,
    with why)."""
    if not directory.is_dir():
        raise ClaimsError([f"{directory}: not a directory"])
    import os
    from concurrent.futures import ThreadPoolExecutor

    out: list[Source] = []
    refused: dict[str, list[str]] = {}
    entries = sorted(directory.iterdir())
    folders = [p for p in entries if p.is_dir() and not p.name.startswith(".")]
    # the deliveries' files hashed side by side (hashlib lets go of the GIL)
    with ThreadPoolExecutor(max(min(os.cpu_count() or 1, 8), 1)) as pool:
        checked = dict(
            zip(folders, pool.map(lambda f: check_delivery(f, as_of), folders), strict=True)
        )
    for p in entries:
        if p.is_file() and p.suffix.lower() in (".csv", ".parquet"):
            out.append(Source(p.name, (p,)))
        elif p in checked:
            src, errors = checked[p]
            if src is None:
                refused[p.name] = errors
            else:
                out.append(src)
    if not out and not refused:
        raise ClaimsError([f"{directory}: 청구 파일(*.csv, *.parquet)도 전달 폴더도 없습니다"])
    return out, refused


def claim_files(directory: Path) -> list[Path]:
    """The single claims files in ``directory`` (deliveries aside)."""
    return [s.paths[0] for s in claim_sources(directory)[0] if s.org is None]


def _header(path: Path) -> list[str]:
    """The file's columns, read from its first line (CSV) or its footer (Parquet): no data."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    with path.open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader([f.readline()]), [])


def _read_many(paths: list[Path]) -> str:
    """One scan over several files of one kind, each row with its file's name."""
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
    if paths[0].suffix.lower() == ".parquet":
        return f"read_parquet([{files}], filename=true, file_row_number=true, union_by_name=true)"
    return (
        f"read_csv([{files}], header=true, all_varchar=true, delim=',', quote='\"', escape='\"', "
        "encoding='utf-8', null_padding=false, strict_mode=true, filename=true, union_by_name=true)"
    )


@dataclass
class _Group:
    """Files staged together in one table (one scan): each file's name for errors, its first
    row in the table and its first line in the file."""

    table: str
    names: dict[str, str]  # path → name
    orgs: dict[str, str | None]  # path → the delivery's organisation
    first: dict[str, int] = field(default_factory=dict)  # file as DuckDB names it → first rowid
    files: dict[str, str] = field(default_factory=dict)  # file as DuckDB names it → path
    subs: list[_Group] = field(
        default_factory=list
    )  # when one file spoiled the scan: a group a file
    line0: int = 2  # a CSV's first data row is line 2; a Parquet file's record 1
    view: bool = False  # Parquet: read where it lies (a view), not copied into a table

    @property
    def line(self) -> str:
        """The SQL of a row's line (CSV) or record number (Parquet) in its file."""
        return "_rn + 1" if self.view else f"t.rowid - first_row + {self.line0}"

    @property
    def order(self) -> str:
        return "_file, _rn" if self.view else "t.rowid"


def _header_errors(path: Path, name: str) -> list[str]:
    try:
        cols = _header(path)
    except Exception as exc:  # unreadable, or no Parquet  # noqa: BLE001
        return [f"{name}: cannot be read: {str(exc).splitlines()[0]}"]
    missing = [c for c in COLUMNS if c not in cols]
    extra = [c for c in cols if c not in COLUMNS]
    if not (missing or extra):
        return []
    parts = []
    if missing:
        parts.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        parts.append(f"unknown column(s) {', '.join(extra)}")
    return [f"{name}:1: {'; '.join(parts)} (the header must be exactly: {','.join(COLUMNS)})"]


def _stage_group(con: duckdb.DuckDBPyConnection, g: _Group) -> dict[str, list[str]]:
    """The group's files in one scan — CSV copied into ``g.table`` as text, Parquet read where
    it lies through a view (a national run's 5,000,000 rows are not copied before they are
    checked) —; every check in one pass, and the rows of a check that fails looked up;
    duplicate ``claim_id`` within a file (or a delivery). Errors by path (an empty list: the
    file is good)."""
    paths = list(g.names)
    g.view = Path(paths[0]).suffix.lower() == ".parquet"
    select_cols = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in COLUMNS)
    source = _read_many([Path(p) for p in paths])
    try:
        if g.view:
            con.execute(f"CREATE OR REPLACE TEMP VIEW {g.table} AS SELECT {select_cols}, "
                        f"filename AS _file, file_row_number AS _rn FROM {source}")  # fmt: skip
            listed = con.execute(f"SELECT DISTINCT _file FROM {g.table}").fetchall()
            g.first = {str(f): 0 for (f,) in listed}
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {g.table} AS SELECT {select_cols}, "
                        f"filename AS _file FROM {source}")  # fmt: skip
            g.first = {
                str(f): int(r)
                for f, r in con.execute(
                    f"SELECT _file, min(rowid) FROM {g.table} GROUP BY _file"
                ).fetchall()
            }
        return _check_group(con, g, paths)
    except duckdb.Error as exc:
        _drop(con, g)
        if len(paths) == 1:
            return {paths[0]: [f"{g.names[paths[0]]}: cannot be read: {str(exc).splitlines()[0]}"]}
        out: dict[str, list[str]] = {}
        g.files = {}
        for i, p in enumerate(paths):  # one file spoils the scan: find which, a file at a time
            sub = _Group(f"{g.table}_{i}", {p: g.names[p]}, {p: g.orgs[p]}, line0=g.line0)
            out.update(_stage_group(con, sub))
            g.subs.append(sub)  # kept for the insert: the good files among them are read from there
        return out


def _drop(con: duckdb.DuckDBPyConnection, g: _Group) -> None:
    con.execute(f"DROP {'VIEW' if g.view else 'TABLE'} IF EXISTS {g.table}")
    con.execute(f"DROP TABLE IF EXISTS {g.table}_f")


def _check_group(
    con: duckdb.DuckDBPyConnection, g: _Group, paths: list[str]
) -> dict[str, list[str]]:
    """Every check of :data:`_CHECKS` over the staged group, and the organisation of a
    delivery; the rows of a failing check looked up (1,000 at most)."""
    # the files as DuckDB names them, to ours (once: the insert reads it too)
    g.files = by_file = {
        f: p for f in g.first for p in paths if f == p or f.endswith(p) or p.endswith(f)
    }
    # each file's organisation (a delivery's), name and first row, joined rather than spelt
    # out per row: a national run stages hundreds of files in one scan
    con.execute(f"CREATE OR REPLACE TEMP TABLE {g.table}_f "
                "(_file VARCHAR, org VARCHAR, shown VARCHAR, first_row BIGINT)")  # fmt: skip
    con.executemany(
        f"INSERT INTO {g.table}_f VALUES (?, ?, ?, ?)",
        [(f, g.orgs[p], g.names[p], g.first[f]) for f, p in by_file.items()],
    )
    src = f"{g.table} t JOIN {g.table}_f USING (_file)"
    errors: dict[str, list[str]] = {p: [] for p in paths}
    checks = list(_CHECKS)
    if any(g.orgs.values()):
        checks.append(("source_org", "org IS NOT NULL AND trim(source_org) <> org",
                       "source_org가 전달 기관이 아닙니다:"))  # fmt: skip
    flags = ", ".join(f"count(*) FILTER (WHERE {bad})" for _, bad, _ in checks)
    counts = con.execute(f"SELECT {flags} FROM {src}").fetchone() or ()
    for (column, bad, message), n in zip(checks, counts, strict=True):
        if not n:
            continue
        rows = con.execute(
            f"SELECT _file, {g.line} FROM {src} WHERE {bad} ORDER BY {g.order} LIMIT 1000"
        ).fetchall()
        for f, ln in rows:
            p = by_file[f]
            org = g.orgs[p]
            text = (
                f"{message} {org}"
                if column == "source_org" and org and message.endswith(":")
                else message
            )
            errors[p].append(f"{g.names[p]}:{ln}:{column}: {text}")
    # claim_id once in a file, and once in a delivery (whose files share one organisation):
    # the repeated ids first (one grouping), then where each first appears (only for them)
    keys = con.execute(f"SELECT coalesce(org, _file) AS s, claim_id, count(*) AS n FROM {src} "
                       "GROUP BY s, claim_id HAVING count(*) > 1 LIMIT 1000").fetchall()  # fmt: skip
    if keys:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {g.table}_d (s VARCHAR, claim_id VARCHAR, n BIGINT)"
        )
        con.executemany(f"INSERT INTO {g.table}_d VALUES (?, ?, ?)", keys)
        dups = con.execute(
            f"""SELECT d.claim_id, first(_file ORDER BY {g.order}), first({g.line} ORDER BY {g.order}), d.n
            FROM {src} JOIN {g.table}_d d ON coalesce(org, _file) = d.s AND t.claim_id = d.claim_id
            GROUP BY d.s, d.claim_id, d.n ORDER BY 2, 3"""
        ).fetchall()
        con.execute(f"DROP TABLE {g.table}_d")
        for claim, f, ln, n in dups:
            p = by_file[f]
            errors[p].append(f"{g.names[p]}:{ln}:claim_id: {claim!r} appears {n} times in this "
                             f"{'delivery' if g.orgs[p] else 'file'}")  # fmt: skip
    return errors


def _insert(con: duckdb.DuckDBPyConnection, g: _Group, good: list[str]) -> None:
    """The group's good files' rows into the typed ``claims`` table, in one statement."""
    for sub in g.subs:
        _insert(con, sub, good)
    by_file = g.files
    drop = [f for f, p in by_file.items() if p not in good]
    if len(drop) == len(by_file):
        return
    if drop:
        con.executemany(f"DELETE FROM {g.table}_f WHERE _file = ?", [(f,) for f in drop])
    con.execute(
        f"""INSERT INTO claims SELECT trim(claim_id), trim(source_org), claimant_key,
        trim(claimant_name), CAST(claimant_birth_date AS DATE),
        nullif(coalesce(dependent_key, ''), ''), trim(dependent_name),
        CAST(dependent_birth_date AS DATE), relation,
        CAST(nullif(coalesce(child_order, ''), '') AS INTEGER),
        {_month_index("start_month")},
        CASE WHEN coalesce(end_month, '') = '' THEN NULL ELSE {_month_index("end_month")} END,
        CAST(monthly_amount AS BIGINT), shown, {g.line}
        FROM {g.table} t JOIN {g.table}_f USING (_file)"""
    )


def load_claims(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    *,
    skip_bad_files: bool = False,
    on_file: Callable[[int, int, str], None] | None = None,
    as_of: str | None = None,
) -> LoadReport:
    """Read and validate every file and delivery into the typed table ``claims``.

    A bad file, or a delivery whose manifest does not match (checked first, for the period
    ``as_of`` when given), stops the run (``ClaimsError`` with every error) unless
    ``skip_bad_files``, when the run goes on without it and the report says which.
    """
    files, refused = claim_sources(directory, as_of)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE claims (claim_id VARCHAR, source_org VARCHAR, "
        "claimant_key VARCHAR, claimant_name VARCHAR, claimant_birth_date DATE, "
        "dependent_key VARCHAR, dependent_name VARCHAR, dependent_birth_date DATE, "
        "relation VARCHAR, child_order INTEGER, start_m INTEGER, end_m INTEGER, "
        "monthly_amount BIGINT, file VARCHAR, line BIGINT)"
    )
    bad: dict[str, list[str]] = dict(refused)
    used: list[str] = []
    # one scan for the CSV files, one for every Parquet file (single or in a delivery)
    groups: list[tuple[_Group, list[Source]]] = []
    for kind, line0 in ((".csv", 2), (".parquet", 1)):
        members = [src for src in files if src.paths[0].suffix.lower() == kind]
        if not members:
            continue
        names = {
            str(p): (f"{m.name}/{p.name}" if m.org else m.name) for m in members for p in m.paths
        }
        orgs = {str(p): m.org for m in members for p in m.paths}
        groups.append((_Group(f"staged_{kind[1:]}", names, orgs, line0=line0), members))
    done = 0
    for g, members in groups:
        if on_file:
            on_file(
                done,
                len(files),
                ", ".join(m.name for m in members[:3]) + (" …" if len(members) > 3 else ""),
            )
        good: list[str] = []
        for p, name in list(g.names.items()):  # a wrong header: the file is left out of the scan
            wrong = _header_errors(Path(p), name)
            if wrong:
                src = next(m for m in members if str(p) in map(str, m.paths))
                bad.setdefault(src.name, []).extend(wrong)
                del g.names[p]
        if g.names:
            found = _stage_group(con, g)
            for src in members:
                errs = [e for p in map(str, src.paths) for e in found.get(p, [])]
                if errs or src.name in bad:
                    bad.setdefault(src.name, []).extend(errs)
                else:
                    good += [str(p) for p in src.paths]
                    used.append(src.name)
            _insert(con, g, good)
            for staged in [g, *g.subs]:
                _drop(con, staged)
        done += len(members)
    for errs in bad.values():
        errs.sort(
            key=lambda e: (
                e.split(":")[0],
                int(e.split(":")[1]) if len(e.split(":")) > 1 and e.split(":")[1].isdigit() else 0,
            )
        )
    used.sort()
    if on_file:
        on_file(len(files), len(files), "")
    if bad and not skip_bad_files:
        raise ClaimsError([e for errs in bad.values() for e in errs])
    # a claim in two files (of one organisation): only deliveries, each checked whole for its
    # organisation in its scan, cannot have one
    dup = (
        []
        if all(src.org for src in files)
        else con.execute(
            "SELECT source_org, claim_id, string_agg(file, ', ') FROM claims "
            "GROUP BY source_org, claim_id HAVING count(*) > 1 LIMIT 20"
        ).fetchall()
    )
    if dup:
        raise ClaimsError(
            [f"{d[2]}: claim {d[0]}:{d[1]} is reported in more than one file" for d in dup]
        )
    rows = int(con.execute("SELECT count(*) FROM claims").fetchone()[0])  # type: ignore[index]
    return LoadReport(used, rows, bad)


def _month_index(col: str) -> str:
    """YYYY-MM → year × 12 + month − 1 (an integer that orders and subtracts months)."""
    return f"(CAST(substr({col}, 1, 4) AS INTEGER) * 12 + CAST(substr({col}, 6, 2) AS INTEGER) - 1)"


def month_index(ym: str) -> int:
    year, month = ym.split("-")
    return int(year) * 12 + int(month) - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# ------------------------------------------------------------------ pseudonymisation


def read_key_file(path: Path) -> bytes:
    """The shared HMAC key: url-safe base64 text (as ``insa keys generate`` prints), ≥ 32 bytes."""
    import base64
    import binascii

    try:
        text = path.read_text(encoding="ascii").strip()
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (OSError, UnicodeDecodeError, binascii.Error, ValueError) as exc:
        raise ClaimsError([f"{path}: cannot read the key ({exc})"]) from None
    if len(key) < 32:
        raise ClaimsError([f"{path}: the key must be at least 32 bytes (url-safe base64)"])
    return key


key_of = pseudonym  # the exchange key: lowercase hex HMAC-SHA256 of the 13 digits (no hyphen)


PSEUDONYMIZE_IN = tuple(
    "claimant_rrn" if c == "claimant_key" else "dependent_rrn" if c == "dependent_key" else c
    for c in COLUMNS
)


def pseudonymize(src: Path, dst: Path, key: bytes) -> int:
    """A claims file with ``claimant_rrn`` / ``dependent_rrn`` → the exchange format.

    Every resident number is checked (``insa.security.rrn.RRN``: python-stdnum, and the
    numbers issued since October 2020 without region code or check digit) before anything is
    written; an error names the row and column, never the number. The output holds keys
    only. Returns the number of rows.
    """
    errors: list[str] = []
    rows: list[dict[str, str]] = []
    name = src.name
    try:
        with src.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = tuple(reader.fieldnames or ())
            if set(header) != set(PSEUDONYMIZE_IN):
                missing = [c for c in PSEUDONYMIZE_IN if c not in header]
                extra = [c for c in header if c not in PSEUDONYMIZE_IN]
                raise ClaimsError(
                    [f"{name}:1: header must be {','.join(PSEUDONYMIZE_IN)}"
                     f" (missing: {', '.join(missing) or '—'}; unknown: {', '.join(extra) or '—'})"]
                )  # fmt: skip
            for line, row in enumerate(reader, start=2):
                rows.append(row)
                for col, required in (("claimant_rrn", True), ("dependent_rrn", False)):
                    value = (row.get(col) or "").strip()
                    if not value and not required:
                        continue
                    try:
                        RRN(value)
                    except InvalidRRN:
                        errors.append(
                            f"{name}:{line}:{col}: not a valid resident registration number"
                        )
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimsError([f"{name}: cannot be read ({exc})"]) from None
    if errors:
        raise ClaimsError(errors)

    def keyed(row: dict[str, str]) -> list[str]:
        out = dict(row)
        out["claimant_key"] = key_of(key, row["claimant_rrn"].strip())
        dep = (row.get("dependent_rrn") or "").strip()
        out["dependent_key"] = key_of(key, dep) if dep else ""
        return [out[c] for c in COLUMNS]

    return write_csv_atomic(dst, COLUMNS, (keyed(r) for r in rows))


def write_claims_csv(path: Path, rows: Iterator[tuple[Any, ...]]) -> int:
    """Write exchange-format rows (in :data:`COLUMNS` order), all or nothing."""
    return write_csv_atomic(path, COLUMNS, (["" if v is None else v for v in r] for r in rows))


def write_csv_atomic(path: Path, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """A CSV file that appears only when complete (written beside it as ``.part``, then
    renamed; the partial file is removed if writing fails). Returns the number of rows."""
    tmp = path.with_name(path.name + ".part")
    n = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            writer = csv_writer(f)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                n += 1
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n
