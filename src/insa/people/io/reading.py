"""Reading CSV and XLSX files into sheets of rows, with the header checked.

A file (or each sheet of a workbook) is either an employee list or a dependent list, told
apart by its headers. Problems of the file itself (encoding, broken CSV, unknown or missing
columns) are reported as :class:`RowError`; the values are checked later.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from insa.people.io.format import (
    DEPENDENT_COLUMNS,
    DEPENDENT_REQUIRED,
    EMPLOYEE_COLUMNS,
    EMPLOYEE_REQUIRED,
    RowError,
    Sheet,
    file_label,
)
from insa.security.logs import redact


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _classify(label: str, header: list[str], errors: list[RowError]) -> str | None:
    hs = set(header)
    known: tuple[str, ...]
    required: tuple[str, ...]
    if "관계" in hs:
        kind, known, required = "dependents", DEPENDENT_COLUMNS, DEPENDENT_REQUIRED
    elif "기관코드" in hs:
        kind, known, required = "employees", EMPLOYEE_COLUMNS, EMPLOYEE_REQUIRED
    else:
        errors.append(
            RowError(label, 1, "-", "직원 목록(기관코드 열) 또는 부양가족 목록(관계 열)이 아닙니다")
        )
        return None
    for h in header:
        if h and h not in known:
            errors.append(RowError(label, 1, redact(h)[:40], "알 수 없는 열입니다"))
    for r in required:
        if r not in hs:
            errors.append(RowError(label, 1, r, "필수 열이 없습니다"))
    seen: set[str] = set()
    for h in header:
        if h in seen:
            errors.append(RowError(label, 1, h, "같은 열이 두 번 있습니다"))
        seen.add(h)
    return kind


def _read_csv(path: Path, errors: list[RowError]) -> list[Sheet]:
    label = file_label(path)
    try:
        raw = path.read_bytes()
    except OSError:
        errors.append(RowError(label, 0, "-", "파일을 읽을 수 없습니다"))
        return []
    for enc in ("utf-8-sig", "cp949"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        errors.append(RowError(label, 1, "-", "UTF-8 또는 CP949 텍스트가 아닙니다"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    try:
        for rec in reader:
            records.append((reader.line_num, rec))
    except csv.Error:
        errors.append(
            RowError(
                label,
                max(reader.line_num, 1),
                "-",
                "CSV 형식이 올바르지 않습니다 (따옴표나 너무 긴 값)",
            )
        )
        return []
    return _sheet_from_rows(label, records, errors, empty_ok=False)


def _sheet_from_rows(
    label: str, rows: Iterable[tuple[int, Iterable[Any]]], errors: list[RowError], *, empty_ok: bool
) -> list[Sheet]:
    """``rows`` are (row number, values); the first is the header."""
    it = iter(rows)
    try:
        _n, first = next(it)
        header = [_cell(h) for h in first]
    except StopIteration:
        if not empty_ok:
            errors.append(RowError(label, 1, "-", "빈 파일입니다"))
        return []
    if empty_ok and not any(header):
        return []  # an empty extra sheet of a workbook
    while header and header[-1] == "":
        header.pop()
    kind = _classify(label, header, errors)
    if kind is None:
        return []
    out: list[tuple[int, dict[str, str]]] = []
    for i, row in it:
        values = [_cell(v) for v in row]
        if not any(values):
            continue
        if len(values) > len(header) and any(values[len(header) :]):
            errors.append(RowError(label, i, "-", "머리글보다 값이 많습니다"))
        out.append((i, {h: (values[j] if j < len(values) else "") for j, h in enumerate(header)}))
    return [Sheet(label, kind, out)]


def _read_xlsx(path: Path, errors: list[RowError]) -> list[Sheet]:
    from openpyxl import load_workbook  # heavy: loaded only when a workbook is read

    label = file_label(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        errors.append(RowError(label, 1, "-", "XLSX 파일을 열 수 없습니다"))
        return []
    sheets: list[Sheet] = []
    try:
        for ws in wb.worksheets:
            rows = enumerate(ws.iter_rows(values_only=True), start=1)
            sheets += _sheet_from_rows(f"{label}[{redact(ws.title)}]", rows, errors, empty_ok=True)
    finally:
        wb.close()
    if not sheets and not any(e.file.startswith(label) for e in errors):
        errors.append(RowError(label, 1, "-", "직원 또는 부양가족 시트가 없습니다"))
    return sheets


def read_files(paths: list[Path], errors: list[RowError]) -> list[Sheet]:
    sheets: list[Sheet] = []
    for p in paths:
        if not p.is_file():
            errors.append(RowError(file_label(p), 0, "-", "파일이 없습니다"))
        elif p.suffix.lower() == ".xlsx":
            sheets += _read_xlsx(p, errors)
        elif p.suffix.lower() in (".csv", ".txt"):
            sheets += _read_csv(p, errors)
        else:
            errors.append(
                RowError(file_label(p), 0, "-", "CSV 또는 XLSX 파일만 가져올 수 있습니다")
            )
    return sheets
