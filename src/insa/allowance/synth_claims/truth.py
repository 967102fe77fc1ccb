"""The ground truth: the planted pairs (what verification must report) and the decoys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from insa.allowance.synth_claims.plants import Planting
from insa.allowance.synth_claims.rows import ClaimRows, Numbering, PairRow

PairKey = tuple[str, frozenset[str]]
DECOY_KINDS = ("closed_transfer", "split_children", "namesakes", "after_as_of")


class _FindingLike(Protocol):
    kind: str
    match: str
    claim_a: str
    claim_b: str


@dataclass
class Truth:
    """The planted pairs (what verification must report) and the decoys (what it must not)."""

    pairs: set[PairKey] = field(default_factory=set)
    match: dict[PairKey, str] = field(default_factory=dict)  # exact | probable
    variation: dict[PairKey, str] = field(default_factory=dict)  # probable: name variation
    decoys: dict[str, set[frozenset[str]]] = field(default_factory=dict)
    orgs: tuple[str, ...] = ()
    keyless_orgs: tuple[str, ...] = ()
    rows: int = 0
    keyless_rows: int = 0
    redrawn: int = 0  # groups whose birth date was re-drawn to avoid accidental look-alikes
    files: tuple[Path, ...] = ()

    def expected(self, kind: str, match: str) -> set[frozenset[str]]:
        return {p for (k, p) in self.pairs if k == kind and self.match[(k, p)] == match}

    def decoy_pairs(self) -> set[frozenset[str]]:
        return set().union(*self.decoys.values()) if self.decoys else set()

    def score(self, findings: Iterable[_FindingLike]) -> dict[str, dict[str, float]]:
        """Precision and recall per ``kind/match`` of the findings against the planted pairs.

        Every group planted or found is scored; a found group that was never planted (such as
        ``duplicate_claim``) has precision 0. ``decoys`` counts decoy pairs among the findings.
        """
        found: dict[tuple[str, str], set[frozenset[str]]] = {}
        for f in findings:
            found.setdefault((f.kind, f.match), set()).add(frozenset((f.claim_a, f.claim_b)))
        groups = sorted({(k, self.match[(k, p)]) for k, p in self.pairs} | set(found))
        decoys = self.decoy_pairs()
        out: dict[str, dict[str, float]] = {}
        for kind, match in groups:
            want = self.expected(kind, match)
            got = found.get((kind, match), set())
            hit = len(want & got)
            out[f"{kind}/{match}"] = {
                "planted": len(want),
                "found": len(got),
                "hit": hit,
                "precision": hit / len(got) if got else 1.0,
                "recall": hit / len(want) if want else 1.0,
                "decoys": len(got & decoys),
            }
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key in self.pairs:
            name = f"{key[0]}/{self.match[key]}"
            out[name] = out.get(name, 0) + 1
        for kind, ps in self.decoys.items():
            out[f"decoy/{kind}"] = len(ps)
        return out


def ground_truth(
    codes: list[str],
    rows: ClaimRows,
    numbering: Numbering,
    pair_rows: list[PairRow],
    variation: list[str],
    planted: Planting,
) -> Truth:
    """The truth in claim references (``ORG:C00000001``), as the verification reports them."""
    org, seq = rows.org, numbering.seq

    def ref(row: int) -> str:
        return f"{codes[int(org[row])]}:C{int(seq[row]):08d}"

    truth = Truth()
    var_iter = iter(variation)
    for label, match, a, bx in pair_rows:
        pair = frozenset((ref(a), ref(bx)))
        if match:
            key = (label, pair)
            truth.pairs.add(key)
            truth.match[key] = match
            if match == "probable":
                truth.variation[key] = next(var_iter)
        else:
            truth.decoys.setdefault(label, set()).add(pair)
    truth.decoys.setdefault("namesakes", set()).update(
        frozenset((ref(a), ref(bb))) for a, bb in planted.namesakes
    )
    truth.decoys.setdefault("split_children", set()).update(
        frozenset((ref(a), ref(bb))) for a, bb in planted.split_children
    )
    for k in DECOY_KINDS:
        truth.decoys.setdefault(k, set())
    truth.orgs = tuple(codes)
    keyless = planted.world.org_keyless.tolist()
    truth.keyless_orgs = tuple(c for c, k in zip(codes, keyless, strict=True) if k)
    truth.rows = len(org)
    truth.keyless_rows = int(rows.keyless.sum())
    return truth
