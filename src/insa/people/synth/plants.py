"""The planted double claims, recorded in ``seed_plants`` as ground truth for verification.

- ``couple_double_child``: both public-servant spouses claim the family allowance for the
  same child (drawn with the children, :mod:`insa.people.synth.families`);
- ``sibling_double_parent``: two employees who are siblings both claim the same parent;
- ``overage_child``: a child's claim was not closed at 19 (drawn with the children).
"""

from __future__ import annotations

from insa.people.synth.common import I64, Columns
from insa.security.crypto import RRNCipher

PLANT_RATE = 0.06  # share of eligible couples / sibling pairs given a planted double claim


def new_plants() -> Columns:
    return {
        "kind": [],
        "employee_id": [],
        "other_employee_id": [],
        "dependent_rrn": [],
        "note": [],
    }


def add_plants(
    plants: Columns,
    emp_ids: I64,
    kind: str,
    es: I64,
    others: I64 | None,
    dep_rrns: list[str],
    note: str,
) -> None:
    """Record plants of ``kind`` for the employees at chunk positions ``es`` (and ``others``)."""
    plants["kind"] += [kind] * len(es)
    plants["employee_id"] += emp_ids[es].tolist()
    plants["other_employee_id"] += [None] * len(es) if others is None else emp_ids[others].tolist()
    plants["dependent_rrn"] += list(dep_rrns)
    plants["note"] += [note] * len(es)


def pseudonymise(plants: Columns, cipher: RRNCipher) -> None:
    """Replace the dependents' resident numbers by their pseudonyms (``dependent_pseudonym``)."""
    dep_rrns = plants.pop("dependent_rrn")
    plants["dependent_pseudonym"] = cipher.pseudonym_digits_many(dep_rrns)
