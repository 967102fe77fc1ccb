"""Reading: a file's records as dicts, the dataclasses back from them, every computed field
re-checked against what the writer would make of the same data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar, cast

from insa.yearend.filing.codec import Record, Value, decode_field, int_value
from insa.yearend.filing.errors import Ctx, FilingError
from insa.yearend.filing.layout import Layout, RecordSpec, load_layout
from insa.yearend.filing.statements import (
    Dependent,
    EmployeeStatement,
    PreviousEmployer,
    Submission,
    Submitter,
    WithholdingAgent,
)
from insa.yearend.filing.writer import Built, build_records

_T = TypeVar("_T")


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
        ctx = Ctx(rtype, item=f"record #{index}")
        values: Record = {}
        for slot in range(1, spec.slots + 1):
            sf = spec.slot_fields(slot)
            start, end = sf[0].offset, sf[-1].offset + sf[-1].length
            if chunk[start:end] == b"".join(f.fill for f in sf):
                values.update(dict.fromkeys((f.name for f in sf), None))
        for f in spec.fields:
            if f.reserved or f.name in values:
                continue
            values[f.name] = decode_field(f, chunk[f.offset : f.offset + f.length], layout, ctx)
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
                    amounts[f.source_key] = int_value(c.get(f.name))
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
    _verify(records, build_records(sub, layout))
    return sub


def _verify(records: Sequence[Mapping[str, Value]], built: Sequence[Built]) -> None:
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
