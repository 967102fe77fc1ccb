"""근로소득 지급명세서 전산매체: the fixed-length file an employer submits to the NTS.

The record layout is data, one YAML file per tax year under ``yearend/layouts/`` (see the
header of ``layouts/2024.yaml`` for the field keys, the sources and what is UNCONFIRMED). This
module only knows how to fill, write and read fields; it holds no position or length.

Records: A (submitter), then per withholding agent its B (totals) followed by every employee's
C (current employer), D (previous employers) and E (dependents, three to a record, the
employee first). Fields are measured in bytes of the file encoding (cp949: a Hangul syllable is
two bytes); text is left-justified and space-padded, numbers right-justified and zero-padded.
Sequence numbers, counts and the totals of A and B are computed here from the data.

Round trip: ``read_filing`` parses every record into a dict keyed by field name (numbers as
``int``, dates as ``datetime.date``, yes/no codes as ``bool``); ``submission_from_records``
turns those dicts back into the dataclasses and re-derives every computed field, so
``write_filing(parse_filing(data, y), y) == data`` for any file this module wrote (names cut
to fit a field are the one exception: the file keeps what fitted).

``EmployeeStatement.amounts`` is keyed by the layout's source keys (``amount_keys(year)``):
the items the NTS form has. ``settlement_amounts`` derives them from a ``scalar.compute``
result, splitting the totals the NTS form itemises; ``settlement_totals`` adds them back.
A resident registration number never appears in an error message or a repr: it is masked as
``900101-1******``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from importlib import resources
from typing import Any, Literal, TypeVar, cast

import yaml
from stdnum.kr import brn as _brn

from insa.security.rrn import mask_text as mask_rrn
from insa.yearend.rules import rules_for

Value = str | int | bool | dt.date | None
Record = dict[str, Value]
_T = TypeVar("_T")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
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


# --------------------------------------------------------------------------- errors


class LayoutError(ValueError):
    """A layout file is missing or inconsistent (names the file and the record)."""


class FilingError(ValueError):
    """A value does not fit the layout, or a file does not parse.

    Names the record type, the employee (1-based index within its withholding agent, with the
    masked RRN), the dependent or previous employer where relevant, and the field.
    """

    def __init__(
        self,
        message: str,
        *,
        record: str | None = None,
        field: str | None = None,
        agent: int | None = None,
        employee: int | None = None,
        masked_rrn: str | None = None,
        item: str | None = None,
    ) -> None:
        self.record = record
        self.field = field
        self.agent = agent
        self.employee = employee
        self.masked_rrn = masked_rrn
        self.item = item
        where: list[str] = []
        if record:
            where.append(f"record {record}")
        if agent is not None:
            where.append(f"withholding agent #{agent}")
        if employee is not None:
            who = f"employee #{employee}"
            where.append(f"{who} ({masked_rrn})" if masked_rrn else who)
        if item:
            where.append(item)
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass(frozen=True)
class _Ctx:
    """Where a record comes from, for error messages (never holds a full RRN)."""

    record: str
    agent: int | None = None
    employee: int | None = None
    masked_rrn: str | None = None
    item: str | None = None

    def error(self, message: str, field: str | None = None) -> FilingError:
        return FilingError(
            message,
            record=self.record,
            field=field,
            agent=self.agent,
            employee=self.employee,
            masked_rrn=self.masked_rrn,
            item=self.item,
        )


# --------------------------------------------------------------------------- input dataclasses


def _masked_repr(obj: object, secret: str) -> str:
    """The dataclass repr with the ``secret`` attribute masked (``900101-1******``)."""
    shown = ", ".join(
        f"{f.name}={mask_rrn(getattr(obj, f.name))!r}"
        if f.name == secret and getattr(obj, f.name)
        else f"{f.name}={getattr(obj, f.name)!r}"
        for f in fields(obj)  # type: ignore[arg-type]
    )
    return f"{type(obj).__name__}({shown})"


@dataclass(frozen=True)
class Submitter:
    """제출자 (A record): who sends the file — the agency itself or its tax agent."""

    kind: int  # 제출자구분: 1 세무대리인, 2 법인, 3 개인
    tax_office: str  # 세무서코드, 3 digits
    business_number: str  # 사업자등록번호, 10 digits
    name: str
    hometax_id: str
    contact_department: str
    contact_name: str
    contact_phone: str
    tax_agent_number: str = ""  # 세무대리인관리번호 (kind 1 only)
    program_code: str = "9000"  # 세무프로그램코드 (value used by in-house programs)


@dataclass(frozen=True, repr=False)
class Dependent:
    """One person of the E record (소득공제명세 인적사항); the employee comes first as ``'0'``."""

    relation: str  # 관계코드 '0' 본인 … '8' 위탁아동
    name: str
    rrn: str
    foreigner: bool = False
    basic: bool = False  # 기본공제
    disabled: bool = False  # 장애인공제
    woman: bool = False  # 부녀자공제 (본인)
    senior: bool = False  # 경로우대공제 (70+)
    single_parent: bool = False  # 한부모공제 (본인)
    birth_adoption: str = ""  # 출산·입양: '' or '1' / '2' / '3' (첫째 / 둘째 / 셋째 이상)
    child: bool = False  # 자녀세액공제 대상
    education: str = ""  # 교육비공제 구분코드, '' if none

    def __repr__(self) -> str:
        return _masked_repr(self, "rrn")


@dataclass(frozen=True)
class PreviousEmployer:
    """종(전)근무처 (D record): an earlier employer in the same year."""

    name: str
    business_number: str
    work_start: dt.date
    work_end: dt.date
    salary: int = 0  # 급여
    bonus: int = 0  # 상여
    income_tax: int = 0  # 결정세액 소득세 (기납부)
    local_tax: int = 0  # 결정세액 지방소득세 (기납부)
    tax_union: bool = False  # 납세조합 여부


@dataclass(frozen=True, repr=False)
class EmployeeStatement:
    """One employee's statement (C record, with its D and E records)."""

    name: str
    rrn: str  # 주민등록번호 (외국인등록번호), 13 digits
    work_start: dt.date
    work_end: dt.date
    amounts: Mapping[str, int]  # keyed by amount_keys(year); see settlement_amounts
    dependents: Sequence[Dependent] = ()
    previous_employers: Sequence[PreviousEmployer] = ()
    resident: bool = True  # 거주자
    foreigner: bool = False  # 외국인 (내·외국인구분 9)
    nationality: str = "KR"
    residence_country: str = "KR"
    household_head: bool = True  # 세대주
    mid_year_leaver: bool = False  # 중도퇴사 (연말정산구분 2)
    flat_rate_foreigner: bool = False  # 외국인단일세율적용
    dispatched_worker: bool = False  # 외국법인소속 파견근로자
    religious_worker: bool = False  # 종교관련종사자

    def __post_init__(self) -> None:
        object.__setattr__(self, "amounts", dict(self.amounts))
        object.__setattr__(self, "dependents", tuple(self.dependents))
        object.__setattr__(self, "previous_employers", tuple(self.previous_employers))

    def __repr__(self) -> str:
        return _masked_repr(self, "rrn")


@dataclass(frozen=True, repr=False)
class WithholdingAgent:
    """원천징수의무자 (B record) and its employees."""

    tax_office: str
    business_number: str
    name: str
    representative: str
    registration_number: str  # 주민(법인)등록번호, 13 digits or ''
    employees: Sequence[EmployeeStatement] = ()
    period_code: int = 1  # 제출대상기간코드
    unit_taxation: bool = False  # 사업자단위과세자
    sub_business_seq: str = ""  # 종사업장 일련번호 (사업자단위과세자만)

    def __post_init__(self) -> None:
        object.__setattr__(self, "employees", tuple(self.employees))

    def __repr__(self) -> str:
        return _masked_repr(self, "registration_number")


@dataclass(frozen=True)
class Submission:
    """The whole file: one submitter, one or more withholding agents."""

    submitter: Submitter
    submitted_on: dt.date
    agents: Sequence[WithholdingAgent]

    def __post_init__(self) -> None:
        object.__setattr__(self, "agents", tuple(self.agents))


# --------------------------------------------------------------------------- layout


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


# --------------------------------------------------------------------------- encoding one field


def fit_text(text: str, length: int, encoding: str = "cp949") -> bytes:
    """``text`` in ``length`` bytes: cut at a character boundary, then space-padded."""
    out = bytearray()
    for ch in text:
        b = ch.encode(encoding)
        if len(out) + len(b) > length:
            break
        out += b
    return bytes(out) + b" " * (length - len(out))


def _shown(spec: FieldSpec, value: object) -> str:
    return mask_rrn(str(value)) if spec.sensitive else repr(value)


def _encode(spec: FieldSpec, value: Value, layout: Layout, ctx: _Ctx) -> bytes:
    name = spec.name
    if spec.reserved:
        return spec.fill
    if value is None:  # an empty E slot is filled by _encode_record, never here
        raise ctx.error("no value (required by the layout)", name)
    if spec.when_true is not None:
        if not isinstance(value, bool):
            raise ctx.error(f"expected True or False, got {type(value).__name__}", name)
        return (spec.when_true if value else str(spec.when_false)).encode("ascii")
    if spec.date:
        if not isinstance(value, dt.date):
            raise ctx.error(f"expected a date, got {type(value).__name__}", name)
        return value.strftime("%Y%m%d").encode("ascii")
    if spec.type == "9":
        if isinstance(value, str) and spec.const is not None:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ctx.error(f"expected an integer, got {type(value).__name__}", name)
        if spec.pattern and not re.fullmatch(spec.pattern, str(value)):
            raise ctx.error(f"{_shown(spec, value)} is not an allowed value", name)
        digits = str(abs(value))
        room = spec.length - 1 if spec.signed else spec.length
        if value < 0 and not spec.signed:
            raise ctx.error(f"{value:,} is negative; the field takes no sign", name)
        if len(digits) > room:
            raise ctx.error(f"{value:,} needs {len(digits)} digits, the field holds {room}", name)
        sign = ("1" if value < 0 else "0") if spec.signed else ""
        return (sign + digits.rjust(room, "0")).encode("ascii")
    if not isinstance(value, str):
        raise ctx.error(f"expected text, got {type(value).__name__}", name)
    if _CONTROL.search(value):
        raise ctx.error("control characters (line breaks, tabs) are not allowed", name)
    if spec.pattern and not re.fullmatch(spec.pattern, value):
        raise ctx.error(f"{_shown(spec, value)} does not match {spec.pattern}", name)
    if spec.check == "brn" and not _brn.is_valid(value):
        raise ctx.error(f"{value!r} is not a valid 사업자등록번호 (checksum)", name)
    try:
        raw = value.encode(layout.encoding)
    except UnicodeEncodeError as exc:
        bad = value[exc.start : exc.end]
        shown = "a character" if spec.sensitive else repr(bad)
        raise ctx.error(f"{shown} cannot be written in {layout.encoding}", name) from None
    if len(raw) > spec.length:
        if not spec.truncate:
            raise ctx.error(
                f"{_shown(spec, value)} is {len(raw)} bytes, the field holds {spec.length}", name
            )
        return fit_text(value, spec.length, layout.encoding)
    return raw + b" " * (spec.length - len(raw))


def _decode(spec: FieldSpec, raw: bytes, layout: Layout, ctx: _Ctx) -> Value:
    name = spec.name
    try:
        text = raw.decode(layout.encoding)
    except UnicodeDecodeError:
        raise ctx.error(f"bytes are not valid {layout.encoding}", name) from None
    if spec.when_true is not None:
        if text == spec.when_true:
            return True
        if text == spec.when_false:
            return False
        shown = "a value" if spec.sensitive else repr(text)
        raise ctx.error(f"{shown} is neither {spec.when_true!r} nor {spec.when_false!r}", name)
    if spec.const is not None and text != spec.const:
        raise ctx.error(f"expected {spec.const!r}, found {text!r}", name)
    if spec.type == "X":
        return text.rstrip(" ")
    if spec.date:
        if text == "0" * 8:
            return None
        try:
            return dt.datetime.strptime(text, "%Y%m%d").date()
        except ValueError:
            raise ctx.error(f"{text!r} is not a date (YYYYMMDD)", name) from None
    body = text[1:] if spec.signed else text
    if not body.isascii() or not body.isdigit() or (spec.signed and text[0] not in "01"):
        shown = "the value" if spec.sensitive else repr(text)
        raise ctx.error(f"{shown} is not a number", name)
    number = int(body)
    return -number if spec.signed and text[0] == "1" else number


# --------------------------------------------------------------------------- building records


@dataclass
class _Built:
    spec: RecordSpec
    values: Record
    ctx: _Ctx
    people_before: int = 0  # E records: dependents written in earlier E records


def _attr(spec: FieldSpec, objects: Mapping[str, object], ctx: _Ctx) -> Value:
    obj = objects.get(spec.attr_object)
    if obj is None:
        return None
    value = getattr(obj, spec.attr_name)
    if isinstance(value, (str, int, bool, dt.date)):
        return value
    raise ctx.error(f"unsupported value type {type(value).__name__}", spec.name)


def _values(
    rspec: RecordSpec,
    objects: Mapping[str, object],
    computed: Mapping[str, int | str],
    amounts: Mapping[str, int],
    slots: Sequence[Dependent | None],
    ctx: _Ctx,
) -> Record:
    out: Record = {}
    for f in rspec.fields:
        if f.reserved:
            continue
        if f.slot is not None:
            dep = slots[f.slot - 1] if f.slot - 1 < len(slots) else None
            out[f.name] = None if dep is None else _attr(f, {"dependent": dep}, ctx)
        elif f.const is not None:
            out[f.name] = int(f.const) if f.type == "9" else f.const
        elif f.attr is not None:
            out[f.name] = _attr(f, objects, ctx)
        elif f.source_key is not None:
            out[f.name] = amounts[f.source_key]
        elif f.computed == "sum":
            out[f.name] = int(computed[f"sum:{f.name}"])
        elif f.computed is not None:
            out[f.name] = computed[f.computed]
    return out


def _int(value: Value) -> int:
    """An integer field value (absent or reserved fields count as 0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise FilingError(f"expected an integer amount, got {type(value).__name__}")
    return value


def _check_amounts(layout: Layout, amounts: Mapping[str, int], ctx: _Ctx) -> None:
    keys = set(layout.amount_keys)
    extra = sorted(set(amounts) - keys)
    missing = sorted(keys - set(amounts))
    if extra:
        raise ctx.error(f"amounts has key(s) the {layout.year} layout does not know: {extra}")
    if missing:
        raise ctx.error(f"amounts lacks key(s): {missing} (see settlement_amounts)")


def _build(sub: Submission, layout: Layout) -> list[_Built]:
    recs = layout.records
    year = str(layout.year)
    out: list[_Built] = [
        _Built(
            recs["A"],
            _values(
                recs["A"],
                {"submission": sub, "submitter": sub.submitter},
                {"tax_year": year, "agent_count": len(sub.agents)},
                {},
                (),
                _Ctx("A"),
            ),
            _Ctx("A"),
        )
    ]
    for ai, agent in enumerate(sub.agents, start=1):
        body: list[_Built] = []
        c_values: list[Record] = []
        d_total = 0
        for ei, emp in enumerate(agent.employees, start=1):
            masked = mask_rrn(emp.rrn)
            cctx = _Ctx("C", ai, ei, masked)
            _check_amounts(layout, emp.amounts, cctx)
            for key, v in emp.amounts.items():
                if not isinstance(v, int) or isinstance(v, bool):
                    raise cctx.error(f"amount {key} must be an integer (won), got {v!r}", key)
            salary, tax = emp.amounts.get("total_salary", 0), emp.amounts.get("determined_tax", 0)
            objects = {"submission": sub, "agent": agent, "employee": emp}
            cvals = _values(
                recs["C"],
                objects,
                {
                    "employee_seq": ei,
                    "previous_count": len(emp.previous_employers),
                    "effective_tax_rate": tax * 100 // salary if salary > 0 else 0,
                },
                emp.amounts,
                (),
                cctx,
            )
            c_values.append(cvals)
            body.append(_Built(recs["C"], cvals, cctx))
            for pi, prev in enumerate(emp.previous_employers, start=1):
                dctx = _Ctx("D", ai, ei, masked, f"previous employer #{pi}")
                dvals = _values(
                    recs["D"],
                    {**objects, "previous": prev},
                    {
                        "employee_seq": ei,
                        "previous_seq": pi,
                        "previous_wage_total": prev.salary + prev.bonus,
                    },
                    {},
                    (),
                    dctx,
                )
                body.append(_Built(recs["D"], dvals, dctx))
                d_total += 1
            _check_dependents(emp, _Ctx("E", ai, ei, masked))
            per = recs["E"].slots or 1
            for ri, start in enumerate(range(0, len(emp.dependents), per), start=1):
                group = emp.dependents[start : start + per]
                ectx = _Ctx("E", ai, ei, masked, f"E record #{ri}")
                evals = _values(
                    recs["E"], objects, {"employee_seq": ei, "e_record_seq": ri}, {}, group, ectx
                )
                body.append(_Built(recs["E"], evals, ectx, start))
        computed: dict[str, int | str] = {
            "tax_year": year,
            "agent_seq": ai,
            "c_count": len(agent.employees),
            "d_count": d_total,
        }
        for f in recs["B"].fields:
            if f.computed == "sum":
                computed[f"sum:{f.name}"] = sum(_int(c.get(n)) for c in c_values for n in f.of)
        bctx = _Ctx("B", ai)
        bvals = _values(recs["B"], {"submission": sub, "agent": agent}, computed, {}, (), bctx)
        out.append(_Built(recs["B"], bvals, bctx))
        out.extend(body)
    return out


def _check_dependents(emp: EmployeeStatement, ctx: _Ctx) -> None:
    deps = emp.dependents
    if not deps or deps[0].relation != "0":
        raise ctx.error("the first person of the E records must be the employee (relation '0')")
    if any(d.relation == "0" for d in deps[1:]):
        raise ctx.error("only the first person may have relation '0'")
    if deps[0].rrn != emp.rrn:
        raise ctx.error("the relation '0' person must carry the employee's RRN", "dependent1_rrn")


def _encode_record(built: _Built, layout: Layout) -> bytes:
    spec, values, ctx = built.spec, built.values, built.ctx
    parts: list[bytes] = []
    for f in spec.fields:
        fctx = ctx
        if f.slot is not None:
            fctx = replace(ctx, item=f"dependent #{built.people_before + f.slot}")
            if values.get(f"{f.group}{f.slot}_relation") is None:
                parts.append(f.fill)
                continue
        parts.append(_encode(f, values.get(f.name), layout, fctx))
    raw = b"".join(parts)
    if len(raw) != layout.record_length:  # the layout loader guarantees this
        raise ctx.error(f"record is {len(raw)} bytes, expected {layout.record_length}")
    return raw


def write_filing(submission: Submission, year: int) -> bytes:
    """The 전산매체 file for ``submission`` under the ``year`` layout, as bytes."""
    layout = load_layout(year)
    return b"".join(
        _encode_record(b, layout) + layout.separator for b in _build(submission, layout)
    )


# --------------------------------------------------------------------------- reading


def _split(data: bytes, layout: Layout) -> Iterator[tuple[int, bytes]]:
    n, pos, index = layout.record_length, 0, 0
    while pos < len(data):
        rest = data[pos:]
        if rest.strip(b"\r\n\x1a") == b"":
            return
        index += 1
        chunk = data[pos : pos + n]
        if len(chunk) < n or b"\n" in chunk or b"\r" in chunk:
            cut = min(i for i in (chunk.find(b"\r"), chunk.find(b"\n"), len(chunk)) if i >= 0)
            raise FilingError(f"record #{index} at byte {pos:,} is {cut:,} bytes, expected {n:,}")
        yield index, chunk
        pos += n
        if data.startswith(b"\r\n", pos):
            pos += 2
        elif data.startswith(b"\n", pos):
            pos += 1


def read_filing(data: bytes, year: int) -> list[Record]:
    """Every record of ``data`` as a dict keyed by field name (reserved fields left out)."""
    layout = load_layout(year)
    out: list[Record] = []
    for index, chunk in _split(data, layout):
        rtype = chr(chunk[0])
        if rtype not in layout.records:
            what = layout.not_modelled.get(rtype)
            raise FilingError(
                f"record #{index} has type {rtype!r}"
                + (f" ({what}), which insa does not read" if what else ", unknown in the layout")
            )
        spec = layout.records[rtype]
        ctx = _Ctx(rtype, item=f"record #{index}")
        values: Record = {}
        for slot in range(1, spec.slots + 1):
            sf = spec.slot_fields(slot)
            start, end = sf[0].offset, sf[-1].offset + sf[-1].length
            if chunk[start:end] == b"".join(f.fill for f in sf):
                values.update(dict.fromkeys((f.name for f in sf), None))
        for f in spec.fields:
            if f.reserved or f.name in values:
                continue
            values[f.name] = _decode(f, chunk[f.offset : f.offset + f.length], layout, ctx)
        out.append(values)
    return out


def _make(cls: type[_T], kwargs: Mapping[str, object]) -> _T:
    """A dataclass from parsed values (their types follow the layout; the rebuild re-checks)."""
    return cls(**cast(dict[str, Any], dict(kwargs)))


def _kwargs(rspec: RecordSpec, values: Mapping[str, Value], obj: str) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for f in rspec.fields:
        if f.attr is not None and f.slot is None and f.attr_object == obj:
            out.setdefault(f.attr_name, values.get(f.name))
    return out


def _slot_kwargs(rspec: RecordSpec, values: Mapping[str, Value], slot: int) -> dict[str, Value]:
    return {f.attr_name: values.get(f.name) for f in rspec.slot_fields(slot) if f.attr}


def submission_from_records(records: Sequence[Mapping[str, Value]], year: int) -> Submission:
    """The dataclasses back from ``read_filing`` output; every computed field is re-checked."""
    layout = load_layout(year)
    recs = layout.records
    if not records or records[0].get("record_type") != "A":
        raise FilingError("a file starts with one A record")
    a = records[0]
    agents: list[WithholdingAgent] = []
    i = 1
    while i < len(records):
        b = records[i]
        if b.get("record_type") != "B":
            raise FilingError(
                f"record #{i + 1}: expected a B record, found {b.get('record_type')!r}"
            )
        i += 1
        agent_kw = _kwargs(recs["B"], b, "agent")
        employees: list[EmployeeStatement] = []
        while i < len(records) and records[i].get("record_type") == "C":
            c = records[i]
            i += 1
            for k, v in _kwargs(recs["C"], c, "agent").items():
                agent_kw.setdefault(k, v)
            prevs: list[PreviousEmployer] = []
            while i < len(records) and records[i].get("record_type") == "D":
                prevs.append(_make(PreviousEmployer, _kwargs(recs["D"], records[i], "previous")))
                i += 1
            deps: list[Dependent] = []
            while i < len(records) and records[i].get("record_type") == "E":
                for slot in range(1, recs["E"].slots + 1):
                    kw = _slot_kwargs(recs["E"], records[i], slot)
                    if kw.get("relation") is not None:
                        deps.append(_make(Dependent, kw))
                i += 1
            amounts: dict[str, int] = {}
            for f in recs["C"].fields:
                if f.source_key is not None and f.source_key not in amounts:
                    amounts[f.source_key] = _int(c.get(f.name))
            employees.append(
                _make(
                    EmployeeStatement,
                    {
                        **_kwargs(recs["C"], c, "employee"),
                        "amounts": amounts,
                        "dependents": tuple(deps),
                        "previous_employers": tuple(prevs),
                    },
                )
            )
        agents.append(_make(WithholdingAgent, {**agent_kw, "employees": tuple(employees)}))
    submitted_on = a.get("submitted_on")
    if not isinstance(submitted_on, dt.date):
        raise FilingError("record A: the submission date (제출연월일) is missing")
    sub = Submission(
        submitter=_make(Submitter, _kwargs(recs["A"], a, "submitter")),
        submitted_on=submitted_on,
        agents=tuple(agents),
    )
    _verify(records, _build(sub, layout))
    return sub


def _verify(records: Sequence[Mapping[str, Value]], built: Sequence[_Built]) -> None:
    if len(records) != len(built):
        raise FilingError(
            f"the file has {len(records)} records, its data makes {len(built)} "
            "(counts or record order do not add up)"
        )
    for index, (got, want) in enumerate(zip(records, built, strict=True), start=1):
        for f in want.spec.fields:
            if f.reserved or f.name not in want.values:
                continue
            if got.get(f.name) != want.values[f.name]:
                shown = (
                    "does not match the employee's data"
                    if f.sensitive
                    else f"is {got.get(f.name)!r}; the data gives {want.values[f.name]!r}"
                )
                raise replace(want.ctx, item=f"record #{index}").error(shown, f.name)


def parse_filing(data: bytes, year: int) -> Submission:
    """``read_filing`` then ``submission_from_records``."""
    return submission_from_records(read_filing(data, year), year)


# --------------------------------------------------------------------------- settlement amounts


def settlement_amounts(
    result: Mapping[str, Any],
    dependents: Sequence[Dependent],
    year: int,
    *,
    bonus: int = 0,
    non_taxable: int = 0,
    employment_insurance: int = 0,
    mortgage_interest: int = 0,
) -> dict[str, int]:
    """``EmployeeStatement.amounts`` from a ``scalar.compute`` result.

    Totals the NTS form itemises are split here: the basic and additional deductions by the
    dependents' flags (the employee is the relation '0' row) and the per-person amounts in
    force, political and hometown donation credits at the 100,000-won line (exact: the first
    100,000 won earn 100/110), premiums into health (the rest) and ``employment_insurance``,
    housing into the subscription deduction, ``mortgage_interest`` and the lease loan (the
    rest). Wages: 급여 = total salary + ``non_taxable`` − ``bonus``. Raises FilingError when
    the flags do not reconcile with the totals.
    """
    layout = load_layout(year)
    ctx = _Ctx("C", item="settlement_amounts")
    r = rules_for(year)

    def get(key: str) -> int:
        if key not in result:
            raise ctx.error(f"the settlement result has no {key!r}", key)
        v = result[key]
        if not isinstance(v, int) or isinstance(v, bool):
            raise ctx.error(f"{key} must be an integer (won), got {v!r}", key)
        return v

    per = int(r["deductions.personal_basic"])
    add = r["deductions.personal_additional"]
    don = r["credits.donations"]
    num, den = don["full_ratio"]
    others = [d for d in dependents if d.relation != "0"]
    me = [d for d in dependents if d.relation == "0"]
    spouse = per if any(d.relation == "3" and d.basic for d in others) else 0
    n_dep = sum(1 for d in others if d.basic and d.relation != "3")
    seniors = sum(1 for d in dependents if d.senior)
    disabled = sum(1 for d in dependents if d.disabled)
    woman = int(add["woman"]) if any(d.woman for d in me) else 0
    single = int(add["single_parent"]) if any(d.single_parent for d in me) else 0
    out: dict[str, int] = {
        "wage_pay": get("total_salary") + non_taxable - bonus,
        "wage_bonus": bonus,
        "wage_total": get("total_salary") + non_taxable,
        "non_taxable_total": non_taxable,
        "basic_deduction_self": per,
        "basic_deduction_spouse": spouse,
        "basic_dependents_count": n_dep,
        "basic_deduction_dependents": n_dep * per,
        "senior_count": seniors,
        "senior_deduction": seniors * int(add["senior_70"]),
        "disabled_count": disabled,
        "disabled_deduction": disabled * int(add["disabled"]),
        "woman_deduction": woman,
        "single_parent_deduction": single,
        "health_insurance_deduction": get("insurance_premium_deduction") - employment_insurance,
        "employment_insurance_deduction": employment_insurance,
        "lease_loan_deduction": get("housing_deduction")
        - get("housing_subscription_deduction")
        - mortgage_interest,
        "mortgage_interest_deduction": mortgage_interest,
        "child_credit_count": sum(1 for d in dependents if d.child),
        "birth_credit_count": sum(1 for d in dependents if d.birth_adoption),
    }
    for total, full_upto in (
        ("political_donation_credit", "political_full_upto"),
        ("hometown_donation_credit", "hometown_full_upto"),
    ):
        line = int(don[full_upto]) * int(num) // int(den)
        credit = get(total)
        stem = total.split("_", 1)[0]
        out[f"{stem}_credit_upto_100k"] = min(credit, line)
        out[f"{stem}_credit_over_100k"] = credit - min(credit, line)
    out["income_after_deductions"] = max(
        get("earned_income_amount")
        - get("basic_deduction")
        - get("additional_deduction")
        - get("pension_deduction")
        - get("special_income_deduction"),
        0,
    )
    out["other_deductions_total"] = get("housing_subscription_deduction") + get("card_deduction")
    out["special_credit_total"] = sum(
        get(k)
        for k in (
            "insurance_credit",
            "medical_credit",
            "education_credit",
            "donation_credit",
            "political_donation_credit",
            "hometown_donation_credit",
        )
    )
    for key in layout.amount_keys:
        if key not in out:
            out[key] = get(key)
    for name, value in out.items():
        if value < 0 and not layout.records["C"][_c_field(layout, name)].signed:
            raise ctx.error(f"{name} comes out negative ({value:,}); check the split inputs", name)
    for total, parts in layout.composites.items():
        if total in result and sum(out[p] for p in parts) != get(total):
            raise ctx.error(
                f"{total} {get(total):,} does not match its items "
                f"({', '.join(f'{p} {out[p]:,}' for p in parts)}); "
                "check the dependents' flags",
                total,
            )
    return {k: out[k] for k in layout.amount_keys}


def _c_field(layout: Layout, key: str) -> str:
    for f in layout.records["C"].fields:
        if f.source_key == key:
            return f.name
    raise KeyError(key)


def settlement_totals(amounts: Mapping[str, int], year: int) -> dict[str, int]:
    """``amounts`` plus the compute() totals the layout splits (``composites``), added back."""
    layout = load_layout(year)
    out = dict(amounts)
    for total, parts in layout.composites.items():
        out[total] = sum(amounts[p] for p in parts)
    return out


__all__ = [
    "Dependent",
    "EmployeeStatement",
    "FieldSpec",
    "FilingError",
    "Layout",
    "LayoutError",
    "PreviousEmployer",
    "RecordSpec",
    "Submission",
    "Submitter",
    "WithholdingAgent",
    "amount_keys",
    "available_years",
    "fit_text",
    "load_layout",
    "mask_rrn",
    "parse_filing",
    "parse_layout",
    "read_filing",
    "settlement_amounts",
    "settlement_totals",
    "submission_from_records",
    "write_filing",
]
