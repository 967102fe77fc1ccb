"""The claim rows: the base claims, then the plants' and decoys' second claims; their numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insa.allowance.synth_claims.common import I32, I64, Bool
from insa.allowance.synth_claims.households import World
from insa.allowance.synth_claims.plants import Extras

PairRow = tuple[str, str, int, int]  # label, match, row a, row b


@dataclass
class ClaimRows:
    person: I64  # the dependent (base row) each claim is about
    claimant: I64
    org: I64
    start: I64
    end: I64
    keyless: Bool
    name: I32  # the dependent's name as this claim spells it


@dataclass
class Numbering:
    """Claim numbers: per organisation, in order of start month (the order of the files)."""

    order: I64  # claim rows in file order
    seq: I64  # each row's number within its organisation
    org_first: I64  # where each organisation's rows begin, in file order


def claim_rows(w: World, x: Extras) -> ClaimRows:
    """Base rows (one per dependent) followed by the extra rows in the order drawn."""
    base = len(w.base.start)
    xp = np.concatenate(x.person) if x.person else np.zeros(0, dtype=np.int64)
    r_person = np.r_[np.arange(base), xp]
    r_org = np.r_[w.base.org, np.concatenate(x.org)]
    return ClaimRows(
        person=r_person,
        claimant=np.r_[w.base.claimant, np.concatenate(x.claimant)],
        org=r_org,
        start=np.r_[w.base.start, np.concatenate(x.start)],
        end=np.r_[w.base.end, np.concatenate(x.end)],
        keyless=w.org_keyless[r_org],
        name=w.deps.name[r_person].copy(),
    )


def pair_rows(
    base: int, plan: list[tuple[str, str, I64]]
) -> tuple[list[PairRow], list[tuple[int, int]]]:
    """Each extra row with the base row it refers to; and the probable ones among them."""
    pairs: list[PairRow] = []
    offset = base
    for label, match, bs in plan:
        for i, b_row in enumerate(bs.tolist()):
            pairs.append((label, match, b_row, offset + i))
        offset += len(bs)
    return pairs, [(a, b) for _, match, a, b in pairs if match == "probable"]


def number_claims(org: I64, start: I64) -> Numbering:
    n_rows = len(org)
    order = np.lexsort((np.arange(n_rows), start, org))
    sorted_org = org[order]
    org_first = np.r_[0, np.flatnonzero(sorted_org[1:] != sorted_org[:-1]) + 1]
    seq_sorted = np.arange(n_rows) - np.repeat(org_first, np.diff(np.r_[org_first, n_rows])) + 1
    seq = np.empty(n_rows, dtype=np.int64)
    seq[order] = seq_sorted
    return Numbering(order, seq, org_first)
