"""The record layouts: one YAML file per tax year under ``yearend/layouts/``, parsed and
validated into ``Layout`` (records of ``FieldSpec`` with their byte offsets)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from insa.yearend.filing.errors import LayoutError

_OBJECTS = ("submission", "submitter", "agent", "employee", "previous", "dependent")
_COMPUTED = (
    "tax_year",
    "agent_count",
    "agent_seq",
    "c_count",
    "d_count",
    "sum",
    "employee_seq",
    "previous_count",
    "previous_seq",
    "previous_wage_total",
    "effective_tax_rate",
    "e_record_seq",
)
_MODELLED = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: Literal["X", "9"]
    length: int
    offset: int  # 0-based byte offset in the record
    nts: str = ""
    const: str | None = None
    attr: str | None = None  # "object.attribute"
    source_key: str | None = None
    computed: str | None = None
    of: tuple[str, ...] = ()
    reserved: bool = False
    signed: bool = False
    date: bool = False
    when_true: str | None = None
    when_false: str | None = None
    truncate: bool = False
    pattern: str | None = None
    check: str | None = None
    sensitive: bool = False
    slot: int | None = None  # 1-based, in a repeated group
    group: str | None = None

    @property
    def fill(self) -> bytes:
        return (b" " if self.type == "X" else b"0") * self.length

    @property
    def attr_object(self) -> str:
        return (self.attr or "").split(".", 1)[0]

    @property
    def attr_name(self) -> str:
        return (self.attr or "").split(".", 1)[-1]


@dataclass(frozen=True)
class RecordSpec:
    type: str
    label: str
    fields: tuple[FieldSpec, ...]
    slots: int = 0  # people per record in the repeated group (E), else 0

    def __getitem__(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def slot_fields(self, slot: int) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.slot == slot)


@dataclass(frozen=True)
class Layout:
    year: int
    path: str
    source: str
    confirmed: bool
    notes: str
    record_length: int
    encoding: str
    separator: bytes
    records: Mapping[str, RecordSpec]
    not_modelled: Mapping[str, str]
    composites: Mapping[str, tuple[str, ...]]

    @property
    def amount_keys(self) -> tuple[str, ...]:
        """The source keys of the C record, in record order (each once)."""
        seen: dict[str, None] = {}
        for f in self.records["C"].fields:
            if f.source_key:
                seen.setdefault(f.source_key, None)
        return tuple(seen)


def _spec(
    path: str, rtype: str, raw: Any, offset: int, slot: int | None, group: str | None
) -> FieldSpec:
    if not isinstance(raw, Mapping):
        raise LayoutError(f"{path}: record {rtype}: a field must be a mapping, got {raw!r}")
    known = {
        "nts", "name", "label", "type", "length", "const", "attr", "source_key", "computed",
        "of", "reserved", "signed", "format", "when_true", "when_false", "truncate", "pattern",
        "check", "sensitive",
    }  # fmt: skip
    unknown = set(raw) - known
    name = str(raw.get("name", ""))
    where = f"{path}: record {rtype}, field {name or '?'}"
    if unknown:
        raise LayoutError(f"{where}: unknown key(s) {sorted(unknown)}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise LayoutError(f"{where}: name must be snake_case")
    ftype = str(raw.get("type", ""))
    if ftype not in ("X", "9"):
        raise LayoutError(f"{where}: type must be X or 9, got {raw.get('type')!r}")
    length = raw.get("length")
    if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
        raise LayoutError(f"{where}: length must be a positive integer, got {length!r}")
    sources = [k for k in ("const", "attr", "source_key", "computed", "reserved") if raw.get(k)]
    if len(sources) != 1:
        raise LayoutError(f"{where}: needs exactly one of const/attr/source_key/computed/reserved")
    attr = raw.get("attr")
    if attr is not None and str(attr).split(".", 1)[0] not in _OBJECTS:
        raise LayoutError(f"{where}: attr must start with one of {_OBJECTS}")
    computed = raw.get("computed")
    if computed is not None and computed not in _COMPUTED:
        raise LayoutError(f"{where}: unknown computed value {computed!r}")
    fmt = raw.get("format")
    if fmt not in (None, "date"):
        raise LayoutError(f"{where}: unknown format {fmt!r}")
    if (fmt == "date" or raw.get("signed")) and ftype != "9":
        raise LayoutError(f"{where}: dates and signed amounts are type 9")
    if fmt == "date" and length != 8:
        raise LayoutError(f"{where}: a date is 8 bytes (YYYYMMDD)")
    codes = (raw.get("when_true"), raw.get("when_false"))
    if (codes[0] is None) != (codes[1] is None):
        raise LayoutError(f"{where}: when_true and when_false go together")
    if codes[0] is not None and (len(str(codes[0])) != length or len(str(codes[1])) != length):
        raise LayoutError(f"{where}: yes/no codes must be exactly {length} byte(s)")
    const = raw.get("const")
    if const is not None and len(str(const)) != length:
        raise LayoutError(f"{where}: constant {const!r} is not {length} byte(s)")
    if raw.get("check") not in (None, "brn"):
        raise LayoutError(f"{where}: unknown check {raw.get('check')!r}")
    return FieldSpec(
        name=f"{group}{slot}_{name}" if group else name,
        label=str(raw.get("label", "")),
        type="X" if ftype == "X" else "9",
        length=length,
        offset=offset,
        nts=str(raw.get("nts", "")),
        const=None if const is None else str(const),
        attr=None if attr is None else str(attr),
        source_key=raw.get("source_key"),
        computed=computed,
        of=tuple(str(x) for x in raw.get("of", ())),
        reserved=bool(raw.get("reserved", False)),
        signed=bool(raw.get("signed", False)),
        date=fmt == "date",
        when_true=None if codes[0] is None else str(codes[0]),
        when_false=None if codes[1] is None else str(codes[1]),
        truncate=bool(raw.get("truncate", False)),
        pattern=raw.get("pattern"),
        check=raw.get("check"),
        sensitive=bool(raw.get("sensitive", False)),
        slot=slot,
        group=group,
    )


def _record(path: str, rtype: str, raw: Any, record_length: int) -> RecordSpec:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("fields"), list):
        raise LayoutError(f"{path}: record {rtype} needs a list of fields")
    specs: list[FieldSpec] = []
    offset = 0
    slots = 0
    for entry in raw["fields"]:
        if isinstance(entry, Mapping) and "repeat" in entry:
            count, group = entry.get("repeat"), entry.get("group")
            if not isinstance(count, int) or count < 1 or not isinstance(group, str):
                raise LayoutError(f"{path}: record {rtype}: a repeat needs a count and a group")
            slots = count
            for slot in range(1, count + 1):
                for sub in entry.get("fields", []):
                    spec = _spec(path, rtype, sub, offset, slot, group)
                    specs.append(spec)
                    offset += spec.length
        else:
            spec = _spec(path, rtype, entry, offset, None, None)
            specs.append(spec)
            offset += spec.length
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise LayoutError(f"{path}: record {rtype}: duplicate field names {dupes}")
    if not specs or specs[0].name != "record_type" or specs[0].const != rtype:
        raise LayoutError(
            f"{path}: record {rtype}: the first field must be record_type = {rtype!r}"
        )
    if offset != record_length:
        raise LayoutError(
            f"{path}: record {rtype}: field lengths sum to {offset:,} bytes, "
            f"the record length is {record_length:,}"
        )
    return RecordSpec(rtype, str(raw.get("label", "")), tuple(specs), slots)


def parse_layout(text: str, path: str, year: int) -> Layout:
    """Parse and validate a layout document (``load_layout`` reads the packaged files)."""
    doc = yaml.safe_load(text)
    if not isinstance(doc, Mapping):
        raise LayoutError(f"{path}: not a mapping")
    for key in ("tax_year", "source", "confirmed", "record_length", "encoding", "records"):
        if key not in doc:
            raise LayoutError(f"{path}: missing {key!r}")
    if doc["tax_year"] != year:
        raise LayoutError(f"{path}: tax_year is {doc['tax_year']!r}, expected {year}")
    length = doc["record_length"]
    if not isinstance(length, int) or length <= 0:
        raise LayoutError(f"{path}: record_length must be a positive integer")
    try:
        "".encode(str(doc["encoding"]))
    except LookupError:
        raise LayoutError(f"{path}: unknown encoding {doc['encoding']!r}") from None
    separator = str(doc.get("record_separator", ""))
    if separator not in ("", "\n", "\r\n"):
        raise LayoutError(f"{path}: record_separator must be CR LF, LF or empty")
    raw_records = doc["records"]
    if not isinstance(raw_records, Mapping) or set(raw_records) != set(_MODELLED):
        raise LayoutError(f"{path}: records must be exactly {list(_MODELLED)}")
    records = {rt: _record(path, rt, raw_records[rt], length) for rt in _MODELLED}
    c_fields = {f.name for f in records["C"].fields}
    for f in records["B"].fields:
        missing = [n for n in f.of if n not in c_fields]
        if missing:
            raise LayoutError(f"{path}: record B, field {f.name}: no C field(s) {missing}")
    composites = {
        str(k): tuple(str(p) for p in v) for k, v in (doc.get("composites") or {}).items()
    }
    keys = {f.source_key for f in records["C"].fields if f.source_key}
    for total, parts in composites.items():
        missing = [p for p in parts if p not in keys]
        if missing:
            raise LayoutError(f"{path}: composite {total}: no C source_key(s) {missing}")
    return Layout(
        year=year,
        path=path,
        source=str(doc["source"]),
        confirmed=bool(doc["confirmed"]),
        notes=str(doc.get("notes", "")),
        record_length=length,
        encoding=str(doc["encoding"]),
        separator=separator.encode("ascii"),
        records=records,
        not_modelled={str(k): str(v) for k, v in (doc.get("not_modelled") or {}).items()},
        composites=composites,
    )


def available_years() -> tuple[int, ...]:
    root = resources.files("insa.yearend").joinpath("layouts")
    return tuple(
        sorted(int(c.name[:-5]) for c in root.iterdir() if re.fullmatch(r"\d{4}\.yaml", c.name))
    )


@cache
def load_layout(year: int) -> Layout:
    """The record layout for income earned in ``year`` (validated; cached)."""
    path = f"insa/yearend/layouts/{year}.yaml"
    node = resources.files("insa.yearend").joinpath("layouts", f"{year}.yaml")
    if not node.is_file():
        raise LayoutError(f"{path}: no layout for tax year {year} (have {list(available_years())})")
    return parse_layout(node.read_text(encoding="utf-8"), path, year)


def amount_keys(year: int) -> tuple[str, ...]:
    """The keys ``EmployeeStatement.amounts`` must have for ``year``."""
    return load_layout(year).amount_keys
