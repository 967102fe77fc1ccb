"""No accidental look-alikes: birth dates re-drawn until no keyless claim has an unrelated twin.

A claim at a keyless organisation never shares a birth date with an unrelated claim whose
dependent name is the same after folding spelling confusions, or the same with one syllable
more or less; such collisions are found after drawing (hashes of the folded names, sorted) and
the birth date of one side is re-drawn.
"""

from __future__ import annotations

import numpy as np

from insa.allowance.hangul import fold_table
from insa.allowance.synth_claims.common import CHILD, I32, I64, U64, Bool, uniform_int
from insa.allowance.synth_claims.households import World
from insa.allowance.synth_claims.rows import ClaimRows


def redraw_birth_dates(rng: np.random.Generator, w: World, rows: ClaimRows, used: Bool) -> int:
    """Move birth dates (by birth-date group) until no look-alike is left; return how many
    groups were moved. Groups of plants and decoys (``used``) keep theirs first, then those
    with a keyless claim; namesakes then follow their group's birth date."""
    d = w.deps
    base = len(d.rel)
    fold = fold_table()
    full, dels = look_alike_keys(rows.name, fold)
    protected = np.zeros(base, dtype=np.bool_)
    protected[used] = True
    priority = np.where(protected, 0, 2).astype(np.int64)
    r_person, r_keyless = rows.person, rows.keyless
    priority[r_person[r_keyless]] = np.minimum(priority[r_person[r_keyless]], 1)
    r_group = d.group[r_person]
    redrawn = 0
    for _ in range(100):
        moved = conflicting_groups(d.dob[r_group], full, dels, r_group, r_keyless, priority)
        if len(moved) == 0:
            break
        redrawn += len(moved)
        shift = uniform_int(rng, 1, 365, len(moved))
        new = d.dob[moved] - shift
        floor = np.where(d.rel[moved] == CHILD, w.asof.child_floor, -40_000)
        new = np.where(new < floor, np.minimum(d.dob[moved] + shift, w.asof.last_day), new)
        d.dob[moved] = new
    else:
        raise RuntimeError("look-alike birth dates did not settle")
    for grp in (d.group != np.arange(base)).nonzero()[0].tolist():
        d.dob[grp] = d.dob[d.group[grp]]  # namesakes follow their group's birth date
    return redrawn


def splitmix(x: U64) -> U64:
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: U64 = z ^ (z >> np.uint64(31))
    return out


def name_hash(names: I32) -> U64:
    h = np.full(len(names), 0x1234567, dtype=np.uint64)
    for j in range(names.shape[1]):
        h = splitmix(h ^ names[:, j].astype(np.uint64))
    return h


def look_alike_keys(names: I32, fold: I32) -> tuple[U64, list[tuple[U64, I64]]]:
    """Hashes of each folded name, and of each name with one syllable left out (≥ 3 long)."""
    f = fold[names]
    full = name_hash(f)
    length = (f > 0).sum(axis=1)
    dels: list[tuple[U64, I64]] = []
    for j in range(f.shape[1]):
        rows = np.flatnonzero(length > max(j, 2))
        if len(rows) == 0:
            continue
        sub = np.zeros((len(rows), f.shape[1]), dtype=np.int32)
        sub[:, : f.shape[1] - 1] = np.delete(f[rows], j, axis=1)
        dels.append((name_hash(sub), rows.astype(np.int64)))
    return full, dels


def conflicting_groups(
    dob: I64,
    full: U64,
    dels: list[tuple[U64, I64]],
    group: I64,
    keyless: Bool,
    priority: I64,
) -> I64:
    """Birth-date groups to re-draw so that no keyless claim has an unrelated look-alike.

    Two claims look alike when born the same day and their folded names are equal, or equal
    with one syllable left out of the longer. A run of equal keys that holds a full name, a
    keyless claim and more than one group keeps its highest-priority group; the rest move.
    """
    n = len(dob)
    dmix = splitmix(dob.astype(np.uint64))
    k = np.concatenate([splitmix(full ^ dmix)] + [splitmix(h ^ dmix[r]) for h, r in dels])
    rows_all = np.concatenate([np.arange(n, dtype=np.int64)] + [r for _, r in dels])
    is_full = np.zeros(len(rows_all), dtype=np.bool_)
    is_full[:n] = True
    # only keys a keyless claim has can matter: a 2^24-bucket filter drops nearly all others
    bucket = (k & np.uint64(0xFFFFFF)).astype(np.int64)
    seen = np.zeros(1 << 24, dtype=np.bool_)
    seen[bucket[keyless[rows_all]]] = True
    keep_e = np.flatnonzero(seen[bucket])
    k, rows_all, is_full = k[keep_e], rows_all[keep_e], is_full[keep_e]
    order = np.argsort(k)
    k = k[order]
    same_next = k[1:] == k[:-1]
    in_run = np.zeros(len(k), dtype=np.bool_)
    in_run[1:] |= same_next
    in_run[:-1] |= same_next
    sel = order[in_run]  # entries in runs of two or more, still sorted by key
    if len(sel) == 0:
        return np.zeros(0, dtype=np.int64)
    ks = k[in_run]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    sizes = np.diff(np.r_[starts, len(ks)])
    r = rows_all[sel]
    g = group[r]
    bad = (
        (np.minimum.reduceat(g, starts) != np.maximum.reduceat(g, starts))
        & np.maximum.reduceat(keyless[r], starts)
        & np.maximum.reduceat(is_full[sel], starts)
    )
    rank = (priority[g] << np.int64(40)) | g
    keep = np.minimum.reduceat(rank, starts)
    run = np.repeat(np.arange(len(starts)), sizes)
    move = bad[run] & (rank != keep[run])
    out: I64 = np.unique(g[move])
    return out
