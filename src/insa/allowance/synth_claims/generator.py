"""``generate``: the steps of the claims generator, in the order they draw random numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

from insa.allowance.claims import COLUMNS, month_index, month_text
from insa.allowance.hangul import fold_table
from insa.allowance.synth_claims.common import (
    AMOUNT_CHILD,
    AMOUNT_OTHER,
    AMOUNT_SPOUSE,
    ASCENDANT,
    CHILD,
    I64,
    OTHER,
    RELATIONS,
    SPOUSE,
    U8,
    Bool,
    days,
    month_of_days,
    split,
    uniform_int,
)
from insa.allowance.synth_claims.files import claim_ids, fixed_strings, utf8
from insa.allowance.synth_claims.lookalikes import conflicting_groups, look_alike_keys
from insa.allowance.synth_claims.names import VARIATIONS, draw_names, surnames, vary_names
from insa.allowance.synth_claims.orgs import Org, organisations
from insa.allowance.synth_claims.truth import DECOY_KINDS, PairKey, Truth

__all__ = [
    "DECOY_KINDS",
    "RELATIONS",
    "VARIATIONS",
    "Org",
    "PairKey",
    "Truth",
    "generate",
    "organisations",
]

# ------------------------------------------------------------------ the generator


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex_keys(rng: np.random.Generator, n: int) -> U8:
    """n random 64-hex-digit keys (as if HMAC-SHA256) as an (n, 64) byte matrix."""
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    out = np.empty((n, 64), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 15]
    return out


class _Picker:
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


def generate(
    out_dir: Path,
    *,
    rows: int,
    orgs: int = 160,
    seed: int = 7,
    as_of: str = "2025-12",
    keyless_org_share: float = 0.1,
    plant_share: float = 0.002,
) -> Truth:
    """Write one exchange-format CSV per organisation into ``out_dir``; return the truth."""
    rng = np.random.default_rng(seed)
    asof_m = month_index(as_of)
    year, month = (int(x) for x in as_of.split("-"))
    asof_end = days(dt.date(year + month // 12, month % 12 + 1, 1)) - 1  # last day of as_of
    org_list = organisations(orgs, rng, keyless_org_share, as_of)
    n_org = len(org_list)
    o_keyless = np.array([o.keyless for o in org_list], dtype=np.bool_)
    has_keyless = bool(o_keyless.any())

    # ---- how many of each plant and decoy
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

    # ---- claimants
    sur_codes, sur_w = surnames()
    per = np.array([1, 2, 3, 4, 5, 6])
    per_p = np.array([0.30, 0.30, 0.22, 0.11, 0.05, 0.02])
    counts = rng.choice(per, size=base // 2 + 16, p=per_p)
    cum = np.cumsum(counts)
    n_c = int(np.searchsorted(cum, base)) + 1
    counts = counts[:n_c]
    counts[-1] -= int(cum[n_c - 1]) - base
    weights = np.array([o.weight for o in org_list])
    c_org = rng.choice(n_org, size=n_c, p=weights / weights.sum())
    c_org[: min(n_org, n_c)] = np.arange(min(n_org, n_c))  # every organisation reports
    c_female = rng.random(n_c) < 0.45
    c_dob = uniform_int(rng, days(dt.date(1962, 1, 1)), days(dt.date(2000, 12, 31)), n_c)
    c_sur = rng.choice(len(sur_codes), size=n_c, p=sur_w)
    c_name, _ = draw_names(rng, n_c, c_female, c_sur, sur_codes)
    c_key = _hex_keys(rng, n_c)
    c_hired = np.minimum(month_of_days(c_dob) + uniform_int(rng, 23 * 12, 33 * 12, n_c), asof_m - 1)

    # ---- persons: one per base claim
    p_claimant = np.repeat(np.arange(n_c, dtype=np.int64), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    pos = np.arange(base) - first[p_claimant]
    u = rng.random(base)
    p_rel = np.where(u < 0.66, CHILD, np.where(u < 0.95, ASCENDANT, OTHER)).astype(np.int64)
    p_rel[(pos == 0) & (rng.random(base) < 0.5)] = SPOUSE
    cd = c_dob[p_claimant]
    child_lo = np.maximum(days(dt.date(year - 19, month, 1)) + 31, cd + 20 * 365)
    p_dob = np.select(
        [p_rel == CHILD, p_rel == SPOUSE, p_rel == ASCENDANT],
        [
            uniform_int(rng, child_lo, asof_end, base),
            cd + np.round(rng.normal(0, 3 * 365, base)).astype(np.int64),
            cd - uniform_int(rng, 20 * 365, 38 * 365, base),
        ],
        cd + uniform_int(rng, -10 * 365, 10 * 365, base),
    )
    p_dob = np.minimum(p_dob, asof_end)
    cfem = c_female[p_claimant]
    p_female = np.where(p_rel == SPOUSE, ~cfem, rng.random(base) < 0.5)
    own = ((p_rel == CHILD) & ~cfem) | (
        ((p_rel == ASCENDANT) | (p_rel == OTHER)) & (rng.random(base) < 0.5)
    )
    p_sur = np.where(own, c_sur[p_claimant], rng.choice(len(sur_codes), size=base, p=sur_w))
    p_name, _ = draw_names(rng, base, p_female, p_sur, sur_codes)
    p_key = _hex_keys(rng, base)
    p_group = np.arange(base, dtype=np.int64)

    # child order: rank by birth date among the claimant's children
    child_order = np.zeros(base, dtype=np.int64)
    kids = np.flatnonzero(p_rel == CHILD)
    kids = kids[np.lexsort((p_dob[kids], p_claimant[kids]))]
    kc = p_claimant[kids]
    kfirst = np.r_[True, kc[1:] != kc[:-1]]
    kstart = np.maximum.accumulate(np.where(kfirst, np.arange(len(kids)), 0))
    child_order[kids] = np.arange(len(kids)) - kstart + 1
    amount = np.where(
        p_rel == SPOUSE,
        AMOUNT_SPOUSE,
        np.where(
            p_rel == CHILD,
            np.array(AMOUNT_CHILD)[np.clip(child_order - 1, 0, 2)],
            AMOUNT_OTHER,
        ),
    ).astype(np.int64)

    # claim months
    birth_m = month_of_days(p_dob)
    back = np.select(
        [p_rel == CHILD, p_rel == SPOUSE, p_rel == ASCENDANT],
        [
            uniform_int(rng, 0, 180, base),
            uniform_int(rng, 0, 300, base),
            uniform_int(rng, 0, 180, base),
        ],
        uniform_int(rng, 0, 120, base),
    )
    start = np.maximum(np.maximum(asof_m - back, birth_m), c_hired[p_claimant])
    future = rng.random(base) < 0.01
    start[future] = asof_m + uniform_int(rng, 1, 3, int(future.sum()))
    end = np.full(base, -1, dtype=np.int64)
    closed = (rng.random(base) < 0.10) & (start < asof_m)
    end[closed] = uniform_int(rng, start[closed], asof_m - 1, int(closed.sum()))

    b_org = c_org[p_claimant]
    b_keyless = o_keyless[b_org]
    b_claimant = p_claimant.copy()

    # ---- plants and decoys: extra rows referring to base persons
    pick = _Picker(rng, base)
    ongoing = (end < 0) & (start <= asof_m - 1)
    two_sided = (p_rel == CHILD) | (p_rel == ASCENDANT)
    eligible = ongoing & two_sided
    x_person: list[I64] = []
    x_claimant: list[I64] = []
    x_org: list[I64] = []
    x_start: list[I64] = []
    x_end: list[I64] = []
    plan: list[tuple[str, str, I64]] = []  # (label, match, base rows) in the order of extras

    keyed_c = np.flatnonzero(~o_keyless[c_org])
    keyless_c = np.flatnonzero(o_keyless[c_org])
    keyed_o = np.flatnonzero(~o_keyless)
    keyless_o = np.flatnonzero(o_keyless)

    def other_claimant(b: I64, pools: list[I64], same_org_ok: float = 0.0) -> I64:
        """A second claimant per base row, from the pool given per row, never the same one."""
        out = np.zeros(len(b), dtype=np.int64)
        todo = np.arange(len(b))
        for _ in range(100):
            if len(todo) == 0:
                return out
            for j, pool in enumerate(pools):
                sel = todo[todo % len(pools) == j] if len(pools) > 1 else todo
                out[sel] = pool[rng.integers(0, len(pool), len(sel))]
            same = out[todo] == b_claimant[b[todo]]
            org_clash = c_org[out[todo]] == b_org[b[todo]]
            allow = rng.random(len(todo)) < same_org_ok
            todo = todo[same | (org_clash & ~allow)]
        raise ValueError("cannot find a second claimant at another organisation")

    def other_org(b: I64, pool: I64) -> I64:
        w = weights[pool] / weights[pool].sum()
        out = pool[rng.choice(len(pool), size=len(b), p=w)]
        for _ in range(100):
            clash = out == b_org[b]
            if not clash.any():
                return out
            out[clash] = pool[rng.choice(len(pool), size=int(clash.sum()), p=w)]
        raise ValueError("cannot find another organisation")

    def add(label: str, match: str, b: I64, claimant: I64, org: I64, s: I64, e: I64) -> None:
        x_person.append(b)
        x_claimant.append(claimant)
        x_org.append(org)
        x_start.append(s)
        x_end.append(e)
        plan.append((label, match, b))

    def second_start(b: I64, claimant: I64) -> I64:
        lo = np.maximum(np.maximum(start[b] - 24, birth_m[b]), c_hired[claimant])
        return uniform_int(rng, lo, asof_m, len(b))

    def maybe_closed(lo: I64) -> I64:
        e = np.full(len(lo), -1, dtype=np.int64)
        c = rng.random(len(lo)) < 0.2
        e[c] = uniform_int(rng, lo[c], asof_m, int(c.sum()))
        return e

    # exact double claims: a second claimant at a keyed organisation (10 % the same one)
    b = pick.take(eligible & ~b_keyless, ex_dc)
    cl = other_claimant(b, [keyed_c], same_org_ok=0.1)
    s = second_start(b, cl)
    add("double_claim", "exact", b, cl, c_org[cl], s, maybe_closed(np.maximum(s, start[b])))
    # exact open transfers: same claimant at another keyed organisation, old claim still open
    b = pick.take(eligible & ~b_keyless & (start <= asof_m - 1), ex_ot)
    s = uniform_int(rng, start[b] + 1, asof_m, len(b))
    late = rng.random(len(b)) < 0.2
    end[b[late]] = uniform_int(rng, s[late], asof_m, int(late.sum()))
    add("open_transfer", "exact", b, b_claimant[b], other_org(b, keyed_o), s, np.full_like(b, -1))
    if has_keyless:
        # probable double claims: keyed ↔ keyless, keyless ↔ keyed, keyless ↔ keyless
        n1, n2, n3 = split(pr_dc, (0.45, 0.45, 0.10) if len(keyless_o) > 1 else (0.5, 0.5, 0))
        for n, base_keyless, pool in (
            (n1, False, keyless_c),
            (n2, True, keyed_c),
            (n3, True, keyless_c),
        ):
            b = pick.take(eligible & (b_keyless == base_keyless), n)
            cl = other_claimant(b, [pool])
            s = second_start(b, cl)
            e = maybe_closed(np.maximum(s, start[b]))
            add("double_claim", "probable", b, cl, c_org[cl], s, e)
        # probable open transfers: keyed → keyless and keyless → keyed
        n1, n2 = split(pr_ot, (0.5, 0.5))
        for n, base_keyless, org_pool in ((n1, False, keyless_o), (n2, True, keyed_o)):
            b = pick.take(eligible & (b_keyless == base_keyless), n)
            s = uniform_int(rng, start[b] + 1, asof_m, len(b))
            org = other_org(b, org_pool)
            add("open_transfer", "probable", b, b_claimant[b], org, s, np.full_like(b, -1))

    # decoy: transfers closed in time (half of them to or from a keyless organisation)
    n1, n2 = split(d_closed, (0.5, 0.5) if has_keyless else (1.0, 0.0))
    for n, pool in ((n1, keyed_o), (n2, keyless_o)):
        b = pick.take(eligible & ~b_keyless & (start <= asof_m - 2), n)
        m1 = uniform_int(rng, start[b], asof_m - 2, len(b))
        end[b] = m1
        s = np.minimum(m1 + uniform_int(rng, 1, 3, len(b)), asof_m)
        add("closed_transfer", "", b, b_claimant[b], other_org(b, pool), s, np.full_like(b, -1))
    # decoy: second claims that start only after as_of (double claims and transfers)
    n1, n2, n3 = split(d_after, (0.4, 0.3, 0.3) if has_keyless else (0.6, 0.4, 0.0))
    for n, transfer, pool in ((n1, False, keyed_c), (n2, True, keyed_c), (n3, False, keyless_c)):
        b = pick.take(eligible & ~b_keyless, n)
        s = asof_m + uniform_int(rng, 1, 6, len(b))
        if transfer:
            cl, org = b_claimant[b], other_org(b, keyed_o)
        else:
            cl = other_claimant(b, [pool])
            org = c_org[cl]
        add("after_as_of", "", b, cl, org, s, np.full_like(b, -1))

    # decoy: namesakes — a keyed person given another keyed person's name, birth date, relation
    namesake_pairs: list[tuple[int, int]] = []
    if d_names:
        p1 = pick.take(ongoing & ~b_keyless & (start <= asof_m), d_names)
        for rel in range(len(RELATIONS)):
            a = p1[p_rel[p1] == rel]
            if len(a) == 0:
                continue
            cand = np.flatnonzero(ongoing & ~b_keyless & (p_rel == rel) & ~pick.used)
            bb = rng.choice(cand, size=len(a), replace=False)
            clash = (b_org[bb] == b_org[a]) | (b_claimant[bb] == b_claimant[a])
            bb = np.where(clash, rng.choice(cand, size=len(a), replace=False), bb)
            ok = (b_org[bb] != b_org[a]) & (b_claimant[bb] != b_claimant[a])
            ok &= ~pick.used[bb]
            a, bb = a[ok], bb[ok]
            _, first_i = np.unique(bb, return_index=True)  # no person twice
            a, bb = a[first_i], bb[first_i]
            pick.used[bb] = True
            p_name[bb] = p_name[a]
            p_dob[bb] = p_dob[a]
            p_group[bb] = p_group[a]
            namesake_pairs += list(zip(a.tolist(), bb.tolist(), strict=True))
    # decoy: spouses who split their children (the second spouse may be at a keyless org)
    split_pairs: list[tuple[int, int]] = []
    if d_split:
        kid_ok = (p_rel == CHILD) & (end < 0) & (start <= asof_m) & ~b_keyless & ~pick.used
        rows_k = np.flatnonzero(kid_ok)  # sorted by claimant (persons are)
        cl_k = p_claimant[rows_k]
        firsts = np.flatnonzero(np.r_[True, cl_k[1:] != cl_k[:-1]])
        has_two = firsts[(firsts + 1 < len(rows_k))]
        has_two = has_two[cl_k[np.minimum(has_two + 1, len(cl_k) - 1)] == cl_k[has_two]]
        chosen = np.sort(rng.choice(has_two, size=min(d_split, len(has_two)), replace=False))
        r1, r2 = rows_k[chosen], rows_k[chosen + 1]
        pick.used[r1] = pick.used[r2] = True
        pools = [keyed_c, keyless_c] if has_keyless else [keyed_c]
        spouse = other_claimant(r2, pools)
        b_claimant[r2] = spouse
        b_org[r2] = c_org[spouse]
        b_keyless[r2] = o_keyless[b_org[r2]]
        child_order[r2] = 1
        amount[r2] = AMOUNT_CHILD[0]
        split_pairs = list(zip(r1.tolist(), r2.tolist(), strict=True))

    # ---- claim rows: base rows then the extra rows
    xp = np.concatenate(x_person) if x_person else np.zeros(0, dtype=np.int64)
    n_rows = base + len(xp)
    r_person = np.r_[np.arange(base), xp]
    r_claimant = np.r_[b_claimant, np.concatenate(x_claimant)]
    r_org = np.r_[b_org, np.concatenate(x_org)]
    r_start = np.r_[start, np.concatenate(x_start)]
    r_end = np.r_[end, np.concatenate(x_end)]
    r_keyless = o_keyless[r_org]
    r_name = p_name[r_person].copy()

    # the extra rows in plan order, and the name variation of the keyless side
    truth = Truth()
    pair_rows: list[tuple[str, str, int, int]] = []  # label, match, row a, row b
    offset = base
    probable_rows: list[tuple[int, int]] = []
    for label, match, bs in plan:
        for i, b_row in enumerate(bs.tolist()):
            x_row = offset + i
            pair_rows.append((label, match, b_row, x_row))
            if match == "probable":
                probable_rows.append((b_row, x_row))
        offset += len(bs)
    variation = vary_names(rng, r_name, r_keyless, probable_rows)

    # ---- no accidental look-alikes: re-draw birth dates until none is left
    fold = fold_table()
    full, dels = look_alike_keys(r_name, fold)
    protected = np.zeros(base, dtype=np.bool_)
    protected[pick.used] = True
    priority = np.where(protected, 0, 2).astype(np.int64)
    priority[r_person[r_keyless]] = np.minimum(priority[r_person[r_keyless]], 1)
    r_group = p_group[r_person]
    redrawn = 0
    child_floor = days(dt.date(year - 19, month, 1)) + 31
    for _ in range(100):
        moved = conflicting_groups(p_dob[r_group], full, dels, r_group, r_keyless, priority)
        if len(moved) == 0:
            break
        redrawn += len(moved)
        shift = uniform_int(rng, 1, 365, len(moved))
        new = p_dob[moved] - shift
        floor = np.where(p_rel[moved] == CHILD, child_floor, -40_000)
        new = np.where(new < floor, np.minimum(p_dob[moved] + shift, asof_end), new)
        p_dob[moved] = new
    else:
        raise RuntimeError("look-alike birth dates did not settle")
    for grp in (p_group != np.arange(base)).nonzero()[0].tolist():
        p_dob[grp] = p_dob[p_group[grp]]  # namesakes follow their group's birth date

    # ---- claim ids: per organisation, in order of start month
    order = np.lexsort((np.arange(n_rows), r_start, r_org))
    sorted_org = r_org[order]
    org_first = np.r_[0, np.flatnonzero(sorted_org[1:] != sorted_org[:-1]) + 1]
    seq_sorted = np.arange(n_rows) - np.repeat(org_first, np.diff(np.r_[org_first, n_rows])) + 1
    seq = np.empty(n_rows, dtype=np.int64)
    seq[order] = seq_sorted
    codes = [o.code for o in org_list]

    def ref(row: int) -> str:
        return f"{codes[int(r_org[row])]}:C{int(seq[row]):08d}"

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
        frozenset((ref(a), ref(bb))) for a, bb in namesake_pairs
    )
    truth.decoys.setdefault("split_children", set()).update(
        frozenset((ref(a), ref(bb))) for a, bb in split_pairs
    )
    for k in DECOY_KINDS:
        truth.decoys.setdefault(k, set())

    # ---- columns, in file order
    r_rel = p_rel[r_person]
    r_co = child_order[r_person]
    r_amount = amount[r_person]
    months_lo = int(min(r_start.min(), asof_m))
    months_hi = int(max(r_start.max(), r_end.max(), asof_m))
    month_texts = pa.array([month_text(m) for m in range(months_lo, months_hi + 1)])

    o = order
    end_o = r_end[o]
    co_o = r_co[o]
    table = pa.table(
        {
            "claim_id": claim_ids(seq[o]),
            "source_org": pa.array(codes).take(pa.array(r_org[o])),
            "claimant_key": fixed_strings(c_key[r_claimant[o]]),
            "claimant_name": utf8(c_name[r_claimant[o]]),
            "claimant_birth_date": pa.array(c_dob[r_claimant[o]].astype(np.int32), pa.date32()),
            "dependent_key": fixed_strings(p_key[r_person[o]], ~r_keyless[o]),
            "dependent_name": utf8(r_name[o]),
            "dependent_birth_date": pa.array(p_dob[r_person[o]].astype(np.int32), pa.date32()),
            "relation": pa.array(RELATIONS).take(pa.array(r_rel[o])),
            "child_order": pa.array(co_o, pa.int64(), mask=(r_rel[o] != CHILD) | (co_o < 1)),
            "start_month": month_texts.take(pa.array(r_start[o] - months_lo)),
            "end_month": month_texts.take(
                pa.array(np.maximum(end_o - months_lo, 0), mask=end_o < 0)
            ),
            "monthly_amount": pa.array(r_amount[o], pa.int64()),
        }
    )
    assert tuple(table.column_names) == COLUMNS
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    opts = pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
    bounds = np.r_[org_first, n_rows]
    for j, lo in enumerate(org_first.tolist()):
        code = codes[int(sorted_org[lo])]
        path = out_dir / f"{code}.csv"
        pa_csv.write_csv(table.slice(lo, int(bounds[j + 1]) - lo), str(path), opts)
        files.append(path)

    truth.orgs = tuple(codes)
    truth.keyless_orgs = tuple(c for c, k in zip(codes, o_keyless.tolist(), strict=True) if k)
    truth.rows = n_rows
    truth.keyless_rows = int(r_keyless.sum())
    truth.redrawn = redrawn
    truth.files = tuple(files)
    return truth
