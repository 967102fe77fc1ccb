"""Writing: the records of a ``Submission`` (A, then per withholding agent B and every
employee's C, D and E) with their sequence numbers, counts and totals, and the file's bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from insa.security.rrn import mask_text
from insa.yearend.filing.codec import Record, Value, encode_field, int_value
from insa.yearend.filing.errors import Ctx
from insa.yearend.filing.layout import FieldSpec, Layout, RecordSpec, load_layout
from insa.yearend.filing.statements import Dependent, EmployeeStatement, Submission


@dataclass
class Built:
    """One record before encoding: its values by field name and where it comes from."""

    spec: RecordSpec
    values: Record
    ctx: Ctx
    people_before: int = 0  # E records: dependents written in earlier E records


def _attr(spec: FieldSpec, objects: Mapping[str, object], ctx: Ctx) -> Value:
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
    ctx: Ctx,
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


def _check_amounts(layout: Layout, amounts: Mapping[str, int], ctx: Ctx) -> None:
    keys = set(layout.amount_keys)
    extra = sorted(set(amounts) - keys)
    missing = sorted(keys - set(amounts))
    if extra:
        raise ctx.error(f"amounts has key(s) the {layout.year} layout does not know: {extra}")
    if missing:
        raise ctx.error(f"amounts lacks key(s): {missing} (see settlement_amounts)")


def build_records(sub: Submission, layout: Layout) -> list[Built]:
    """Every record of the file in order: A, then per withholding agent its B followed by each
    employee's C, D and E records."""
    out = [_a_record(sub, layout)]
    for ai, agent in enumerate(sub.agents, start=1):
        objects: dict[str, object] = {"submission": sub, "agent": agent}
        body: list[Built] = []
        for ei, emp in enumerate(agent.employees, start=1):
            employee = {**objects, "employee": emp}
            cctx = Ctx("C", ai, ei, mask_text(emp.rrn))
            body.append(_c_record(layout, employee, emp, cctx, ei))
            body.extend(_d_records(layout, employee, emp, cctx, ei))
            body.extend(_e_records(layout, employee, emp, cctx, ei))
        out.append(_b_record(layout, objects, len(agent.employees), body, ai))
        out.extend(body)
    return out


def _a_record(sub: Submission, layout: Layout) -> Built:
    """The submitter's A record (with the number of withholding agents)."""
    spec, ctx = layout.records["A"], Ctx("A")
    objects = {"submission": sub, "submitter": sub.submitter}
    computed: dict[str, int | str] = {"tax_year": str(layout.year), "agent_count": len(sub.agents)}
    return Built(spec, _values(spec, objects, computed, {}, (), ctx), ctx)


def _b_record(
    layout: Layout, objects: Mapping[str, object], employees: int, body: Sequence[Built], seq: int
) -> Built:
    """A withholding agent's B record: its counts and the sums of its employees' C records
    (``body``: the agent's C, D and E records)."""
    spec, ctx = layout.records["B"], Ctx("B", seq)
    c_values = [b.values for b in body if b.spec.type == "C"]
    computed: dict[str, int | str] = {
        "tax_year": str(layout.year),
        "agent_seq": seq,
        "c_count": employees,
        "d_count": sum(1 for b in body if b.spec.type == "D"),
    }
    for f in spec.fields:
        if f.computed == "sum":
            computed[f"sum:{f.name}"] = sum(int_value(c.get(n)) for c in c_values for n in f.of)
    return Built(spec, _values(spec, objects, computed, {}, (), ctx), ctx)


def _c_record(
    layout: Layout, objects: Mapping[str, object], emp: EmployeeStatement, ctx: Ctx, seq: int
) -> Built:
    """The employee's C record, after checking the amounts against the layout's keys."""
    spec = layout.records["C"]
    _check_amounts(layout, emp.amounts, ctx)
    for key, v in emp.amounts.items():
        if not isinstance(v, int) or isinstance(v, bool):
            raise ctx.error(f"amount {key} must be an integer (won), got {v!r}", key)
    salary, tax = emp.amounts.get("total_salary", 0), emp.amounts.get("determined_tax", 0)
    computed = {
        "employee_seq": seq,
        "previous_count": len(emp.previous_employers),
        "effective_tax_rate": tax * 100 // salary if salary > 0 else 0,
    }
    return Built(spec, _values(spec, objects, computed, emp.amounts, (), ctx), ctx)


def _d_records(
    layout: Layout, objects: Mapping[str, object], emp: EmployeeStatement, who: Ctx, seq: int
) -> list[Built]:
    """One D record per previous employer (``who``: the employee's C context)."""
    spec = layout.records["D"]
    out: list[Built] = []
    for pi, prev in enumerate(emp.previous_employers, start=1):
        ctx = replace(who, record="D", item=f"previous employer #{pi}")
        computed = {
            "employee_seq": seq,
            "previous_seq": pi,
            "previous_wage_total": prev.salary + prev.bonus,
        }
        values = _values(spec, {**objects, "previous": prev}, computed, {}, (), ctx)
        out.append(Built(spec, values, ctx))
    return out


def _e_records(
    layout: Layout, objects: Mapping[str, object], emp: EmployeeStatement, who: Ctx, seq: int
) -> list[Built]:
    """The E records: the employee, then the dependents, ``slots`` people to a record
    (``who``: the employee's C context)."""
    spec = layout.records["E"]
    _check_dependents(emp, replace(who, record="E"))
    per = spec.slots or 1
    out: list[Built] = []
    for ri, start in enumerate(range(0, len(emp.dependents), per), start=1):
        ctx = replace(who, record="E", item=f"E record #{ri}")
        computed = {"employee_seq": seq, "e_record_seq": ri}
        group = emp.dependents[start : start + per]
        out.append(Built(spec, _values(spec, objects, computed, {}, group, ctx), ctx, start))
    return out


def _check_dependents(emp: EmployeeStatement, ctx: Ctx) -> None:
    deps = emp.dependents
    if not deps or deps[0].relation != "0":
        raise ctx.error("the first person of the E records must be the employee (relation '0')")
    if any(d.relation == "0" for d in deps[1:]):
        raise ctx.error("only the first person may have relation '0'")
    if deps[0].rrn != emp.rrn:
        raise ctx.error("the relation '0' person must carry the employee's RRN", "dependent1_rrn")


def _encode_record(built: Built, layout: Layout) -> bytes:
    spec, values, ctx = built.spec, built.values, built.ctx
    parts: list[bytes] = []
    for f in spec.fields:
        fctx = ctx
        if f.slot is not None:
            fctx = replace(ctx, item=f"dependent #{built.people_before + f.slot}")
            if values.get(f"{f.group}{f.slot}_relation") is None:
                parts.append(f.fill)
                continue
        parts.append(encode_field(f, values.get(f.name), layout, fctx))
    raw = b"".join(parts)
    if len(raw) != layout.record_length:  # the layout loader guarantees this
        raise ctx.error(f"record is {len(raw)} bytes, expected {layout.record_length}")
    return raw


def write_filing(submission: Submission, year: int) -> bytes:
    """The 전산매체 file for ``submission`` under the ``year`` layout, as bytes."""
    layout = load_layout(year)
    return b"".join(
        _encode_record(b, layout) + layout.separator for b in build_records(submission, layout)
    )
