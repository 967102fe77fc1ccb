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
    recs = layout.records
    year = str(layout.year)
    out: list[Built] = [
        Built(
            recs["A"],
            _values(
                recs["A"],
                {"submission": sub, "submitter": sub.submitter},
                {"tax_year": year, "agent_count": len(sub.agents)},
                {},
                (),
                Ctx("A"),
            ),
            Ctx("A"),
        )
    ]
    for ai, agent in enumerate(sub.agents, start=1):
        body: list[Built] = []
        c_values: list[Record] = []
        d_total = 0
        for ei, emp in enumerate(agent.employees, start=1):
            masked = mask_text(emp.rrn)
            cctx = Ctx("C", ai, ei, masked)
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
            body.append(Built(recs["C"], cvals, cctx))
            for pi, prev in enumerate(emp.previous_employers, start=1):
                dctx = Ctx("D", ai, ei, masked, f"previous employer #{pi}")
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
                body.append(Built(recs["D"], dvals, dctx))
                d_total += 1
            _check_dependents(emp, Ctx("E", ai, ei, masked))
            per = recs["E"].slots or 1
            for ri, start in enumerate(range(0, len(emp.dependents), per), start=1):
                group = emp.dependents[start : start + per]
                ectx = Ctx("E", ai, ei, masked, f"E record #{ri}")
                evals = _values(
                    recs["E"], objects, {"employee_seq": ei, "e_record_seq": ri}, {}, group, ectx
                )
                body.append(Built(recs["E"], evals, ectx, start))
        computed: dict[str, int | str] = {
            "tax_year": year,
            "agent_seq": ai,
            "c_count": len(agent.employees),
            "d_count": d_total,
        }
        for f in recs["B"].fields:
            if f.computed == "sum":
                computed[f"sum:{f.name}"] = sum(int_value(c.get(n)) for c in c_values for n in f.of)
        bctx = Ctx("B", ai)
        bvals = _values(recs["B"], {"submission": sub, "agent": agent}, computed, {}, (), bctx)
        out.append(Built(recs["B"], bvals, bctx))
        out.extend(body)
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
