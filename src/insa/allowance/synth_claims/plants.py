"""The planted pairs and the decoys: second claims that refer to base claims.

Planted (what verification must report): exact double claims and open transfers between keyed
organisations, and probable ones with a side at a keyless organisation. Decoys (what it must
not report): transfers closed in time, second claims starting after ``as_of``, namesakes at
keyed organisations, and spouses who split their children between them. Each base claim serves
at most one plant or decoy (:class:`Picker`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from insa.allowance.synth_claims.common import (
    AMOUNT_CHILD,
    ASCENDANT,
    CHILD,
    I64,
    RELATIONS,
    Bool,
    split,
    uniform_int,
)
from insa.allowance.synth_claims.households import World


@dataclass(frozen=True)
class Quota:
    """How many of each plant and decoy, and how many base claims they draw on."""

    exact_double: int
    exact_transfer: int
    probable_double: int
    probable_transfer: int
    closed_transfer: int
    split_children: int
    namesakes: int
    after_as_of: int
    base: int


def quota(rows: int, plant_share: float, has_keyless: bool) -> Quota:
    """About ``plant_share`` × ``rows`` planted pairs and as many decoys, within ``rows``."""
    n_plant = round(plant_share * rows)
    if has_keyless:
        ex_dc, ex_ot, pr_dc, pr_ot = split(n_plant, (0.40, 0.25, 0.25, 0.10))
    else:
        ex_dc, ex_ot, pr_dc, pr_ot = (*split(n_plant, (0.6, 0.4)), 0, 0)
    d_closed, d_split, d_names, d_after = split(n_plant, (0.3, 0.2, 0.25, 0.25))
    extra = n_plant + d_closed + d_after
    base = rows - extra
    if base < max(1000, 20 * extra):
        raise ValueError("too few rows for the planted pairs; raise rows or lower plant_share")
    return Quota(ex_dc, ex_ot, pr_dc, pr_ot, d_closed, d_split, d_names, d_after, base)


class Picker:
    """Draws base claims without replacement, so no claim serves two plants or decoys."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.used = np.zeros(n, dtype=np.bool_)

    def take(self, mask: Bool, k: int) -> I64:
        pool = np.flatnonzero(mask & ~self.used)
        if k > len(pool):
            raise ValueError(f"not enough claims to plant {k} pairs; generate more rows")
        out: I64 = np.sort(self.rng.choice(pool, size=k, replace=False))
        self.used[out] = True
        return out


@dataclass
class Extras:
    """The second claims, block by block in the order drawn; ``plan`` labels each block."""

    person: list[I64] = field(default_factory=list)
    claimant: list[I64] = field(default_factory=list)
    org: list[I64] = field(default_factory=list)
    start: list[I64] = field(default_factory=list)
    end: list[I64] = field(default_factory=list)
    plan: list[tuple[str, str, I64]] = field(default_factory=list)  # label, match, base rows

    def add(self, label: str, match: str, b: I64, claimant: I64, org: I64, s: I64, e: I64) -> None:
        self.person.append(b)
        self.claimant.append(claimant)
        self.org.append(org)
        self.start.append(s)
        self.end.append(e)
        self.plan.append((label, match, b))


@dataclass
class Planting:
    """The state of the drawing: the world, the picker, the pools, what was drawn so far."""

    rng: np.random.Generator
    world: World
    pick: Picker
    ongoing: Bool  # base claims open and begun before as_of
    eligible: Bool  # … of children and parents (whom two claimants can claim)
    keyed_c: I64  # claimants at keyed organisations
    keyless_c: I64
    keyed_o: I64  # keyed organisations
    keyless_o: I64
    extras: Extras = field(default_factory=Extras)
    namesakes: list[tuple[int, int]] = field(default_factory=list)  # base rows
    split_children: list[tuple[int, int]] = field(default_factory=list)  # base rows


def plant(rng: np.random.Generator, world: World, q: Quota) -> Planting:
    """Draw the plants and then the decoys (the order fixes what the seed gives)."""
    b = world.base
    ongoing = (b.end < 0) & (b.start <= world.asof.month - 1)
    two_sided = (world.deps.rel == CHILD) | (world.deps.rel == ASCENDANT)
    o_keyless = world.org_keyless
    c_org = world.claimants.org
    p = Planting(
        rng=rng,
        world=world,
        pick=Picker(rng, q.base),
        ongoing=ongoing,
        eligible=ongoing & two_sided,
        keyed_c=np.flatnonzero(~o_keyless[c_org]),
        keyless_c=np.flatnonzero(o_keyless[c_org]),
        keyed_o=np.flatnonzero(~o_keyless),
        keyless_o=np.flatnonzero(o_keyless),
    )
    plant_exact(p, q)
    if world.has_keyless:
        plant_probable(p, q)
    decoy_closed_transfers(p, q.closed_transfer)
    decoy_after_as_of(p, q.after_as_of)
    if q.namesakes:
        decoy_namesakes(p, q.namesakes)
    if q.split_children:
        decoy_split_children(p, q.split_children)
    return p


# ------------------------------------------------------------------ drawing second claims


def other_claimant(p: Planting, b: I64, pools: list[I64], same_org_ok: float = 0.0) -> I64:
    """A second claimant per base row, from the pool given per row, never the same one."""
    rng, w = p.rng, p.world
    out = np.zeros(len(b), dtype=np.int64)
    todo = np.arange(len(b))
    for _ in range(100):
        if len(todo) == 0:
            return out
        for j, pool in enumerate(pools):
            sel = todo[todo % len(pools) == j] if len(pools) > 1 else todo
            out[sel] = pool[rng.integers(0, len(pool), len(sel))]
        same = out[todo] == w.base.claimant[b[todo]]
        org_clash = w.claimants.org[out[todo]] == w.base.org[b[todo]]
        allow = rng.random(len(todo)) < same_org_ok
        todo = todo[same | (org_clash & ~allow)]
    raise ValueError("cannot find a second claimant at another organisation")


def other_org(p: Planting, b: I64, pool: I64) -> I64:
    """Another organisation per base row, from ``pool`` by weight."""
    rng, b_org, weights = p.rng, p.world.base.org, p.world.org_weight
    w = weights[pool] / weights[pool].sum()
    out = pool[rng.choice(len(pool), size=len(b), p=w)]
    for _ in range(100):
        clash = out == b_org[b]
        if not clash.any():
            return out
        out[clash] = pool[rng.choice(len(pool), size=int(clash.sum()), p=w)]
    raise ValueError("cannot find another organisation")


def second_start(p: Planting, b: I64, claimant: I64) -> I64:
    """A second claim's start: up to two years before the base claim's, up to ``as_of``."""
    base, asof_m = p.world.base, p.world.asof.month
    hired = p.world.claimants.hired
    lo = np.maximum(np.maximum(base.start[b] - 24, base.birth_m[b]), hired[claimant])
    return uniform_int(p.rng, lo, asof_m, len(b))


def maybe_closed(p: Planting, lo: I64) -> I64:
    """Ends for second claims: 20 % closed between ``lo`` and ``as_of``, the rest open."""
    asof_m = p.world.asof.month
    e = np.full(len(lo), -1, dtype=np.int64)
    c = p.rng.random(len(lo)) < 0.2
    e[c] = uniform_int(p.rng, lo[c], asof_m, int(c.sum()))
    return e


# ------------------------------------------------------------------ plants


def plant_exact(p: Planting, q: Quota) -> None:
    """Exact double claims and open transfers, between keyed organisations."""
    rng, x, w = p.rng, p.extras, p.world
    start, end, asof_m = w.base.start, w.base.end, w.asof.month
    b_keyless, b_claimant = w.base.keyless, w.base.claimant
    # exact double claims: a second claimant at a keyed organisation (10 % the same one)
    b = p.pick.take(p.eligible & ~b_keyless, q.exact_double)
    cl = other_claimant(p, b, [p.keyed_c], same_org_ok=0.1)
    s = second_start(p, b, cl)
    e = maybe_closed(p, np.maximum(s, start[b]))
    x.add("double_claim", "exact", b, cl, w.claimants.org[cl], s, e)
    # exact open transfers: same claimant at another keyed organisation, old claim still open
    b = p.pick.take(p.eligible & ~b_keyless & (start <= asof_m - 1), q.exact_transfer)
    s = uniform_int(rng, start[b] + 1, asof_m, len(b))
    late = rng.random(len(b)) < 0.2
    end[b[late]] = uniform_int(rng, s[late], asof_m, int(late.sum()))
    org = other_org(p, b, p.keyed_o)
    x.add("open_transfer", "exact", b, b_claimant[b], org, s, np.full_like(b, -1))


def plant_probable(p: Planting, q: Quota) -> None:
    """Probable double claims and open transfers: one side at a keyless organisation."""
    rng, x, w = p.rng, p.extras, p.world
    start, asof_m = w.base.start, w.asof.month
    b_keyless, b_claimant = w.base.keyless, w.base.claimant
    # probable double claims: keyed ↔ keyless, keyless ↔ keyed, keyless ↔ keyless
    shares = (0.45, 0.45, 0.10) if len(p.keyless_o) > 1 else (0.5, 0.5, 0)
    n1, n2, n3 = split(q.probable_double, shares)
    for n, base_keyless, pool in (
        (n1, False, p.keyless_c),
        (n2, True, p.keyed_c),
        (n3, True, p.keyless_c),
    ):
        b = p.pick.take(p.eligible & (b_keyless == base_keyless), n)
        cl = other_claimant(p, b, [pool])
        s = second_start(p, b, cl)
        e = maybe_closed(p, np.maximum(s, start[b]))
        x.add("double_claim", "probable", b, cl, w.claimants.org[cl], s, e)
    # probable open transfers: keyed → keyless and keyless → keyed
    n1, n2 = split(q.probable_transfer, (0.5, 0.5))
    for n, base_keyless, org_pool in ((n1, False, p.keyless_o), (n2, True, p.keyed_o)):
        b = p.pick.take(p.eligible & (b_keyless == base_keyless), n)
        s = uniform_int(rng, start[b] + 1, asof_m, len(b))
        org = other_org(p, b, org_pool)
        x.add("open_transfer", "probable", b, b_claimant[b], org, s, np.full_like(b, -1))


# ------------------------------------------------------------------ decoys


def decoy_closed_transfers(p: Planting, n_total: int) -> None:
    """Transfers closed in time (half of them to or from a keyless organisation)."""
    rng, x, w = p.rng, p.extras, p.world
    start, end, asof_m = w.base.start, w.base.end, w.asof.month
    n1, n2 = split(n_total, (0.5, 0.5) if w.has_keyless else (1.0, 0.0))
    for n, pool in ((n1, p.keyed_o), (n2, p.keyless_o)):
        b = p.pick.take(p.eligible & ~w.base.keyless & (start <= asof_m - 2), n)
        m1 = uniform_int(rng, start[b], asof_m - 2, len(b))
        end[b] = m1
        s = np.minimum(m1 + uniform_int(rng, 1, 3, len(b)), asof_m)
        org = other_org(p, b, pool)
        x.add("closed_transfer", "", b, w.base.claimant[b], org, s, np.full_like(b, -1))


def decoy_after_as_of(p: Planting, n_total: int) -> None:
    """Second claims that start only after ``as_of`` (double claims and transfers)."""
    rng, x, w = p.rng, p.extras, p.world
    shares = (0.4, 0.3, 0.3) if w.has_keyless else (0.6, 0.4, 0.0)
    n1, n2, n3 = split(n_total, shares)
    for n, transfer, pool in (
        (n1, False, p.keyed_c),
        (n2, True, p.keyed_c),
        (n3, False, p.keyless_c),
    ):
        b = p.pick.take(p.eligible & ~w.base.keyless, n)
        s = w.asof.month + uniform_int(rng, 1, 6, len(b))
        if transfer:
            cl, org = w.base.claimant[b], other_org(p, b, p.keyed_o)
        else:
            cl = other_claimant(p, b, [pool])
            org = w.claimants.org[cl]
        x.add("after_as_of", "", b, cl, org, s, np.full_like(b, -1))


def decoy_namesakes(p: Planting, n: int) -> None:
    """A keyed person given another keyed person's name, birth date and relation."""
    rng, w, d = p.rng, p.world, p.world.deps
    b_org, b_claimant = w.base.org, w.base.claimant
    keyed_ongoing = p.ongoing & ~w.base.keyless
    p1 = p.pick.take(keyed_ongoing & (w.base.start <= w.asof.month), n)
    for rel in range(len(RELATIONS)):
        a = p1[d.rel[p1] == rel]
        if len(a) == 0:
            continue
        cand = np.flatnonzero(keyed_ongoing & (d.rel == rel) & ~p.pick.used)
        bb = rng.choice(cand, size=len(a), replace=False)
        clash = (b_org[bb] == b_org[a]) | (b_claimant[bb] == b_claimant[a])
        bb = np.where(clash, rng.choice(cand, size=len(a), replace=False), bb)
        ok = (b_org[bb] != b_org[a]) & (b_claimant[bb] != b_claimant[a])
        ok &= ~p.pick.used[bb]
        a, bb = a[ok], bb[ok]
        _, first_i = np.unique(bb, return_index=True)  # no person twice
        a, bb = a[first_i], bb[first_i]
        p.pick.used[bb] = True
        d.name[bb] = d.name[a]
        d.dob[bb] = d.dob[a]
        d.group[bb] = d.group[a]
        p.namesakes += list(zip(a.tolist(), bb.tolist(), strict=True))


def decoy_split_children(p: Planting, n: int) -> None:
    """Spouses who split their children (the second spouse may be at a keyless org)."""
    w, b = p.world, p.world.base
    kid_ok = (w.deps.rel == CHILD) & (b.end < 0) & (b.start <= w.asof.month)
    kid_ok &= ~b.keyless & ~p.pick.used
    rows_k = np.flatnonzero(kid_ok)  # sorted by claimant (persons are)
    cl_k = w.deps.claimant[rows_k]
    firsts = np.flatnonzero(np.r_[True, cl_k[1:] != cl_k[:-1]])
    has_two = firsts[(firsts + 1 < len(rows_k))]
    has_two = has_two[cl_k[np.minimum(has_two + 1, len(cl_k) - 1)] == cl_k[has_two]]
    chosen = np.sort(p.rng.choice(has_two, size=min(n, len(has_two)), replace=False))
    r1, r2 = rows_k[chosen], rows_k[chosen + 1]
    p.pick.used[r1] = p.pick.used[r2] = True
    pools = [p.keyed_c, p.keyless_c] if w.has_keyless else [p.keyed_c]
    spouse = other_claimant(p, r2, pools)
    b.claimant[r2] = spouse
    b.org[r2] = w.claimants.org[spouse]
    b.keyless[r2] = w.org_keyless[b.org[r2]]
    b.child_order[r2] = 1
    b.amount[r2] = AMOUNT_CHILD[0]
    p.split_children = list(zip(r1.tolist(), r2.tolist(), strict=True))
