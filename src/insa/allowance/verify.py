"""Double-claim verification across organisations (가족수당 이중수급 검증).

Three passes over the ``claims`` table that :func:`insa.allowance.claims.load_claims` fills:

1. **exact, one dependent, two claimants** — the same ``dependent_key`` claimed by different
   claimants in overlapping months (both spouses public servants; siblings and one parent);
2. **exact, an open transfer** — the same claimant and dependent claimed at two organisations
   in overlapping months (the old claim was not closed); the same organisation twice is a
   ``duplicate_claim``;
3. **probable** — pairs where at least one side has no ``dependent_key``, linked by dependent
   name, birth date and relation with Splink (DuckDB backend); two keyed records never pair
   here, so namesakes with different keys are never reported.

Overlap is counted in whole months up to ``as_of``. The claim to stop and repay
(``recover_from``): for an open transfer the older claim (it should have been closed); for the
rest the later-started one (ties: the larger claim reference). Finding ids are a hash of the
kind and the two claims, so a re-run finds the same ids.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from insa.allowance.claims import month_text
from insa.allowance.linkage import probable_pairs
from insa.allowance.pairs import PAIR_COLUMNS, pair_rows
from insa.allowance.schemas import FindingFields
from insa.security.names import mask_name

FINDING_COLUMNS: tuple[str, ...] = (
    "finding_id", "kind", "match", "probability", "claim_a", "claim_b", "dependent_key",
    "overlap_start", "overlap_end", "overlap_months", "overpaid_amount", "recover_from",
)  # fmt: skip
KINDS = ("double_claim", "open_transfer", "duplicate_claim")


@dataclass
class Finding(FindingFields):
    """A finding of a run: the reported fields (the CSV's), and what the reports and the
    database also keep."""

    org_a: str = ""
    org_b: str = ""
    dependent_name: str = ""
    relation: str = ""
    claimant_a_name: str = ""  # masked (홍*동): the finding crosses organisations
    claimant_b_name: str = ""

    def row(self) -> list[Any]:
        return [getattr(self, c) for c in FINDING_COLUMNS]

    @property
    def recover_org(self) -> str:
        return self.recover_from.split(":", 1)[0]


@dataclass
class VerifyReport:
    as_of: str
    claims: int
    findings: list[Finding]
    seconds: dict[str, float] = field(default_factory=dict)
    # an entitlement check's findings: finding_id → (recoverable, past the limitation)
    amounts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def counts(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for f in self.findings:
            out[(f.kind, f.match)] = out.get((f.kind, f.match), 0) + 1
        return out


def finding_id(kind: str, claim_a: str, claim_b: str) -> str:
    return hashlib.sha256(f"{kind}|{claim_a}|{claim_b}".encode()).hexdigest()[:16]


_ACTIVE = """CREATE OR REPLACE TEMP TABLE active AS
SELECT *, source_org || ':' || claim_id AS ref, least(coalesce(end_m, {as_of}), {as_of}) AS stop_m
FROM claims WHERE start_m <= {as_of}"""

_EXACT = f"""SELECT {PAIR_COLUMNS} FROM active a JOIN active b
 ON a.dependent_key = b.dependent_key AND a.ref < b.ref
WHERE a.dependent_key IS NOT NULL AND greatest(a.start_m, b.start_m) <= least(a.stop_m, b.stop_m)"""


def _kind(org_a: str, org_b: str, claimant_a: str, claimant_b: str) -> str:
    if claimant_a != claimant_b:
        return "double_claim"
    return "open_transfer" if org_a != org_b else "duplicate_claim"


def _finding(row: dict[str, Any], match: str, probability: float) -> Finding:
    kind = _kind(row["org_a"], row["org_b"], row["claimant_a"], row["claimant_b"])
    a_first = (row["start_a"], row["ref_a"]) <= (row["start_b"], row["ref_b"])
    earlier, later = ("a", "b") if a_first else ("b", "a")
    side = earlier if kind == "open_transfer" else later
    months = int(row["o_end"]) - int(row["o_start"]) + 1
    return Finding(
        finding_id=finding_id(kind, row["ref_a"], row["ref_b"]),
        kind=kind,
        match=match,
        probability=round(probability, 4),
        claim_a=row["ref_a"],
        claim_b=row["ref_b"],
        dependent_key=row["dependent_key"] or "",
        overlap_start=month_text(int(row["o_start"])),
        overlap_end=month_text(int(row["o_end"])),
        overlap_months=months,
        overpaid_amount=months * int(row[f"amount_{side}"]),
        recover_from=row[f"ref_{side}"],
        org_a=row["org_a"],
        org_b=row["org_b"],
        dependent_name=row["dependent_name"],
        relation=row["relation"],
        claimant_a_name=mask_name(row["claimant_name_a"]),
        claimant_b_name=mask_name(row["claimant_name_b"]),
    )


def verify(
    con: duckdb.DuckDBPyConnection,
    as_of: int,
    *,
    probabilistic: bool = True,
    threshold: float | None = None,
    on_step: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Run the passes over the loaded ``claims`` table; ``as_of`` is a month index."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    con.execute(_ACTIVE.format(as_of=as_of))
    claims = int(con.execute("SELECT count(*) FROM claims").fetchone()[0])  # type: ignore[index]
    if on_step:
        on_step("exact")
    findings = [_finding(r, "exact", 1.0) for r in pair_rows(con, _EXACT)]
    seconds["exact"] = time.perf_counter() - t
    if probabilistic:
        if on_step:
            on_step("probable")
        t = time.perf_counter()
        paired = len({c for f in findings for c in (f.claim_a, f.claim_b)})
        for row, p in probable_pairs(con, paired=paired, threshold=threshold):
            findings.append(_finding(row, "probable", p))
        seconds["probable"] = time.perf_counter() - t
    findings.sort(key=lambda f: (f.kind, f.match, f.claim_a, f.claim_b))
    return VerifyReport(month_text(as_of), claims, findings, seconds)
