"""Dependents as parallel arrays: collected block by block, then sorted into ``dependents`` rows.

A dependent may be listed by two employees (an in-population spouse, a child of two public
servants, a parent of siblings): each listing is a row; ``primary`` marks the one taxpayer
who may take the person's basic deduction (기본공제).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from insa.codes import RELATIONS
from insa.people.synth.common import I64, Bool, Columns, dates, years
from insa.people.synth.plants import pseudonymise
from insa.rules.family_allowance import REL
from insa.security.crypto import RRNCipher


@dataclass
class Families:
    columns: Columns
    emp_index: I64
    relation: npt.NDArray[np.int8]
    birth: I64
    female: Bool
    disabled: Bool
    claim_from: I64
    claim_until: I64
    basic_deduction: Bool
    plants: Columns


class DependentBuilder:
    """Collects dependents as parallel arrays, block by block (people may be shared)."""

    FIELDS = ("emp", "rel", "name", "rrn", "birth", "female", "disabled", "household",
              "income", "servant", "cfrom", "cuntil", "primary")  # fmt: skip

    def __init__(self) -> None:
        self.blocks: dict[str, list[Any]] = {f: [] for f in self.FIELDS}

    def extend(
        self, emp: npt.ArrayLike, rel: str, name: list[str], rrn: list[str], birth: npt.ArrayLike,
        female: npt.ArrayLike, *, disabled: npt.ArrayLike = False, household: npt.ArrayLike = True,
        income: npt.ArrayLike = 0, servant: npt.ArrayLike = False, cfrom: npt.ArrayLike = 0,
        cuntil: npt.ArrayLike = 0, primary: bool = True,
    ) -> None:  # fmt: skip
        e = np.asarray(emp, dtype=np.int64)
        k = len(e)

        def full(v: npt.ArrayLike, dtype: Any) -> Any:
            return np.broadcast_to(np.asarray(v, dtype=dtype), (k,)).copy()

        self.blocks["emp"].append(e)
        self.blocks["rel"].append(np.full(k, REL[rel], dtype=np.int8))
        self.blocks["name"].append(np.asarray(name, dtype=object).reshape(k))
        self.blocks["rrn"].append(np.asarray(rrn, dtype=object).reshape(k))
        self.blocks["birth"].append(full(birth, np.int64))
        self.blocks["female"].append(full(female, bool))
        self.blocks["disabled"].append(full(disabled, bool))
        self.blocks["household"].append(full(household, bool))
        self.blocks["income"].append(full(income, np.int64))
        self.blocks["servant"].append(full(servant, bool))
        self.blocks["cfrom"].append(full(cfrom, np.int64))
        self.blocks["cuntil"].append(full(cuntil, np.int64))
        # the one taxpayer who may take this person's basic deduction (기본공제)
        self.blocks["primary"].append(full(primary, bool))

    def arrays(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.FIELDS:
            parts = self.blocks[f]
            out[f] = np.concatenate(parts) if parts else np.array([], dtype=object)
        return out


def to_families(
    b: DependentBuilder, emp_ids: I64, ref: dt.date, plants: Columns, cipher: RRNCipher
) -> Families:
    """The collected dependents in employee order, with the ``dependents`` rows."""
    d = b.arrays()
    emp_index = d["emp"].astype(np.int64)
    order = np.argsort(emp_index, kind="stable")
    d = {k2: v[order] for k2, v in d.items()}
    emp_index = emp_index[order]
    relation = d["rel"].astype(np.int8)
    dbirth = d["birth"].astype(np.int64)
    disabled = d["disabled"].astype(bool)
    cfrom = d["cfrom"].astype(np.int64)
    cuntil = d["cuntil"].astype(np.int64)
    basic = basic_deduction(d, ref)
    pseudonymise(plants, cipher)
    columns = dependent_columns(d, emp_ids[emp_index], cipher)
    return Families(
        columns,
        emp_index,
        relation,
        dbirth,
        d["female"].astype(bool),
        disabled,
        cfrom,
        cuntil,
        basic,
        plants,
    )


def basic_deduction(d: dict[str, Any], ref: dt.date) -> Bool:
    """Who takes a basic deduction: spouses and parents with little income, children up to
    20 and parents from 60 (any age if disabled), on the primary listing only."""
    relation = d["rel"].astype(np.int8)
    disabled = d["disabled"].astype(bool)
    income = d["income"].astype(np.int64)
    dage = ref.year - years(d["birth"].astype(np.int64))
    basic: Bool = d["primary"].astype(bool) & (
        ((relation == REL["spouse"]) & (income <= 1_000_000))
        | ((relation == REL["child"]) & ((dage <= 20) | disabled))
        | ((relation == REL["parent"]) & ((dage >= 60) | disabled) & (income <= 1_000_000))
    )
    return basic


def dependent_columns(d: dict[str, Any], employee_id: I64, cipher: RRNCipher) -> Columns:
    """The ``dependents`` rows (without ``id``) from the sorted arrays."""
    cfrom = d["cfrom"].astype(np.int64)
    cuntil = d["cuntil"].astype(np.int64)
    rrns: list[str] = d["rrn"].tolist()
    from_s = dates(np.maximum(cfrom, 1))
    until_s = dates(np.maximum(cuntil, 1))
    return {
        "employee_id": employee_id.tolist(),
        "relation": [RELATIONS[r] for r in d["rel"].astype(np.int8).tolist()],
        "name": d["name"].tolist(),
        "rrn_encrypted": cipher.encrypt_digits_many(rrns),
        "rrn_pseudonym": cipher.pseudonym_digits_many(rrns),
        "birth_date": dates(d["birth"].astype(np.int64)),
        "sex": ["F" if f else "M" for f in d["female"].tolist()],
        "disabled": d["disabled"].astype(bool).tolist(),
        "same_household": d["household"].astype(bool).tolist(),
        "annual_income": d["income"].astype(np.int64).tolist(),
        "public_servant": d["servant"].astype(bool).tolist(),
        "allowance_from": [s if x else None for x, s in zip(cfrom.tolist(), from_s, strict=True)],
        "allowance_until": [
            s if x else None for x, s in zip(cuntil.tolist(), until_s, strict=True)
        ],
    }
