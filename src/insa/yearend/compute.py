"""The stateless computation behind ``insa yearend compute``: JSON cases in, results out.

Each case is validated on its own: a malformed case becomes ``{"id", "errors"}`` naming the
field, and the rest are still computed. Amounts come from the vectorised engine (one pass per
tax year); the explanation ``lines`` from the scalar path, which must agree to the won.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import ValidationError

from insa.yearend.engine import columns_from_cases, settle
from insa.yearend.scalar import compute as compute_one
from insa.yearend.schemas import Case


class EngineMismatch(AssertionError):
    """The two engines disagree: a bug, never a user error."""


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(case)"


def compute_cases(raw: list[Any]) -> tuple[list[dict[str, Any]], int]:
    """Results in input order and the number of cases that failed."""
    results: list[dict[str, Any] | None] = [None] * len(raw)
    by_year: dict[int, list[tuple[int, Case]]] = defaultdict(list)
    failed = 0
    for i, item in enumerate(raw):
        case_id = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        if not isinstance(item, dict):
            results[i] = {
                "id": case_id,
                "errors": [{"field": "(case)", "message": "a case must be a JSON object"}],
            }
            failed += 1
            continue
        try:
            c = Case.model_validate(item)
        except ValidationError as exc:
            errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
            results[i] = {"id": case_id, "errors": errors}
            failed += 1
            continue
        by_year[c.tax_year].append((i, c))
    for items in by_year.values():
        try:
            cols = settle(columns_from_cases([c for _, c in items]))
        except Exception as exc:  # a year without rules, say
            for i, c in items:
                results[i] = {"id": c.id, "errors": [{"field": "tax_year", "message": str(exc)}]}
                failed += 1
            continue
        for j, (i, c) in enumerate(items):
            one = compute_one(c)
            for key, col in cols.items():
                if key in one and int(col[j]) != one[key]:
                    raise EngineMismatch(f"case {c.id}: {key} differs between engines")
            results[i] = one
    return [r for r in results if r is not None], failed
