"""The shape of a pair of claims, as every pass (exact and probable) reads it from DuckDB.

Both passes select ``PAIR_COLUMNS`` over two aliases ``a`` and ``b`` of the ``active``
claims and turn the rows into findings the same way, so the columns are written once here.
"""

from __future__ import annotations

from typing import Any

import duckdb

PAIR_COLUMNS = """a.ref AS ref_a, b.ref AS ref_b, a.source_org AS org_a, b.source_org AS org_b,
 a.claimant_key AS claimant_a, b.claimant_key AS claimant_b,
 coalesce(a.dependent_key, b.dependent_key, '') AS dependent_key,
 a.start_m AS start_a, b.start_m AS start_b,
 greatest(a.start_m, b.start_m) AS o_start, least(a.stop_m, b.stop_m) AS o_end,
 a.monthly_amount AS amount_a, b.monthly_amount AS amount_b,
 a.dependent_name AS dependent_name, a.relation AS relation,
 a.claimant_name AS claimant_name_a, b.claimant_name AS claimant_name_b"""


def pair_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """The rows of ``sql`` (which selects ``PAIR_COLUMNS`` and maybe more) as dicts."""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
