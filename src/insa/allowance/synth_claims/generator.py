"""``generate``: the steps of the claims generator, in the order they draw random numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import yaml

from insa.allowance.claims import COLUMNS, month_index, month_text
from insa.allowance.hangul import HANGUL0, confuse, drop_syllable, fold_table, syllables

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]
Bool = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
PairKey = tuple[str, frozenset[str]]

RELATIONS = ("spouse", "child", "lineal_ascendant", "other")
SPOUSE, CHILD, ASCENDANT, OTHER = 0, 1, 2, 3
AMOUNT_SPOUSE, AMOUNT_OTHER = 40_000, 20_000
AMOUNT_CHILD = (50_000, 80_000, 120_000)  # 1st, 2nd, 3rd and later
DECOY_KINDS = ("closed_transfer", "split_children", "namesakes", "after_as_of")
VARIATIONS = ("identical", "confusion", "missing")

# the 17 regions (metropolitan cities and provinces), with population in millions
REGIONS: tuple[tuple[str, float], ...] = (
    ("SEOUL", 9.4), ("GYEONGGI", 13.6), ("BUSAN", 3.3), ("GYEONGNAM", 3.2), ("INCHEON", 3.0),
    ("GYEONGBUK", 2.5), ("DAEGU", 2.4), ("CHUNGNAM", 2.1), ("JEONNAM", 1.8), ("JEONBUK", 1.7),
    ("CHUNGBUK", 1.6), ("GANGWON", 1.5), ("DAEJEON", 1.4), ("GWANGJU", 1.4), ("ULSAN", 1.1),
    ("JEJU", 0.7), ("SEJONG", 0.4),
)  # fmt: skip
LOCAL_STAFF = 380_000  # local officials, by region population
EDU_STAFF = 520_000  # teachers and education-office staff, by region population
SPECIALS: tuple[tuple[str, str, float], ...] = (
    ("MND", "military", 190_000.0),  # career soldiers and the ministry's civilians
    ("NEC", "election", 3_000.0),
    ("CCOURT", "court", 350.0),
)
# given-name syllables by sex (first, second), most common first
GIVEN = {
    "M": ("민서도예시하주지준건현우승유정태동성재영상진종경병용기대세윤은한원석형창희규",
          "준우호민현진훈수원혁석빈규성재윤찬영철식환후율결범욱택섭근모중한"),
    "F": ("서지하수민예채윤다소은유시가아나혜미현정영선경연주진보세희효슬새해라",
          "연윤우은아현원서린빈민진희영정경숙지나율주인혜미라별솔비름슬애예란"),
}  # fmt: skip

# ------------------------------------------------------------------ results


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


@dataclass(frozen=True)
class Org:
    code: str
    kind: str
    weight: float
    keyless: bool


# ------------------------------------------------------------------ Arrow columns


def _utf8(names: I32) -> Any:
    """A matrix of syllable codes + 1 (0-padded on the right) → an Arrow string array."""
    cp = names.astype(np.int64) - 1 + HANGUL0
    valid = names > 0
    b = np.empty((*names.shape, 3), dtype=np.uint8)
    b[..., 0] = 0xE0 | (cp >> 12)
    b[..., 1] = 0x80 | ((cp >> 6) & 0x3F)
    b[..., 2] = 0x80 | (cp & 0x3F)
    data = b[valid].reshape(-1)
    offsets = np.zeros(len(names) + 1, dtype=np.int32)
    np.cumsum(valid.sum(axis=1) * 3, out=offsets[1:])
    return pa.StringArray.from_buffers(len(names), pa.py_buffer(offsets), pa.py_buffer(data))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex_keys(rng: np.random.Generator, n: int) -> U8:
    """n random 64-hex-digit keys (as if HMAC-SHA256) as an (n, 64) byte matrix."""
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    out = np.empty((n, 64), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 15]
    return out


def _fixed_strings(chars: U8, valid: Bool | None = None) -> Any:
    """An (n, w) byte matrix of ASCII → an Arrow string array (null where not ``valid``)."""
    n, w = chars.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    bitmap = None
    if valid is not None:
        if not valid.all():
            bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars)), bitmap
    )


# ------------------------------------------------------------------ organisations


def organisations(n: int, rng: np.random.Generator, keyless_share: float, as_of: str) -> list[Org]:
    """``n`` organisations with realistic codes by kind and row weights (≈ staff)."""
    if n < 8:
        raise ValueError("at least 8 organisations")
    from insa.people.registry import active_agencies

    year, month = (int(x) for x in as_of.split("-"))
    central = sorted(
        (a for a in active_agencies(dt.date(year, month, 1)) if a.code not in ("MND", "NEC")),
        key=lambda a: (-a.staff, a.code),
    )
    n_lg = n_edu = min(len(REGIONS), round(0.11 * n))
    n_central = min(len(central), round(0.38 * n))
    n_pi = n - len(SPECIALS) - n_lg - n_edu - n_central
    if n_pi < 1:
        n_central += n_pi - 1
        n_pi = 1
    pop = sum(p for _, p in REGIONS)
    orgs = [Org(code, kind, w, False) for code, kind, w in SPECIALS]
    orgs += [Org(a.code, "central", float(a.staff), False) for a in central[:n_central]]
    orgs += [Org(f"LG-{r}", "local", LOCAL_STAFF * p / pop, False) for r, p in REGIONS[:n_lg]]
    orgs += [Org(f"EDU-{r}", "education", EDU_STAFF * p / pop, False) for r, p in REGIONS[:n_edu]]
    pi_w = np.exp(rng.normal(np.log(3000.0), 0.9, n_pi))
    orgs += [Org(f"PI-{i + 1:04d}", "public", float(w), False) for i, w in enumerate(pi_w)]
    k = round(keyless_share * n)
    if keyless_share > 0:
        k = max(k, 1)
    # drawn among public institutions and central agencies (local governments, education
    # offices and the special organisations have resident numbers)
    order = [i for i, o in enumerate(orgs) if o.kind in ("public", "central")]
    order = [order[j] for j in rng.permutation(len(order))]
    keyless = set(order[:k])
    return [Org(o.code, o.kind, o.weight, i in keyless) for i, o in enumerate(orgs)]


# ------------------------------------------------------------------ the generator


@dataclass
class _World:
    """Column arrays for claimants, persons (dependents) and claim rows."""

    # claimants
    c_org: I64
    c_female: Bool
    c_dob: I64  # days since 1970-01-01
    c_name: I32  # (n, 4) syllable codes + 1
    # persons (one per base claim)
    p_claimant: I64
    p_rel: I64
    p_dob: I64
    p_name: I32
    p_group: I64  # birth-date group (namesakes share one)


def _names(
    rng: np.random.Generator, n: int, female: Bool, surname: I64, sur_codes: list[list[int]]
) -> tuple[I32, I64]:
    """Names as syllable matrices: the surname (an index into ``sur_codes``) + two syllables."""
    out = np.zeros((n, 4), dtype=np.int32)
    lens = np.array([len(s) for s in sur_codes], dtype=np.int64)
    sur_mat = np.zeros((len(sur_codes), 2), dtype=np.int32)
    for i, s in enumerate(sur_codes):
        sur_mat[i, : len(s)] = s
    out[:, :2] = sur_mat[surname]
    two = lens[surname] == 2
    for sex, mask in (("M", ~female), ("F", female)):
        idx = np.flatnonzero(mask)
        picks = []
        for pool in GIVEN[sex]:
            codes = np.array(syllables(pool), dtype=np.int32)
            w = 1.0 / (np.arange(len(codes)) + 3.0)
            picks.append(
                (codes, w / w.sum(), codes[rng.choice(len(codes), size=len(idx), p=w / w.sum())])
            )
        (_, _, first), (codes2, w2, second) = picks
        again = np.flatnonzero(first == second)  # no 서서, 지지
        while len(again):
            second[again] = codes2[rng.choice(len(codes2), size=len(again), p=w2)]
            again = again[first[again] == second[again]]
        col = np.where(two[idx], 2, 1)
        out[idx, col] = first
        out[idx, col + 1] = second
    return out, lens[surname]


def _surnames() -> tuple[list[list[int]], F64]:
    text = resources.files("insa.people").joinpath("data/names.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    sur: dict[str, int] = data["surnames"]
    codes = [syllables(s) for s in sur]
    w = np.array(list(sur.values()), dtype=np.float64)
    return codes, w / w.sum()


def _days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _month_of_days(days: I64) -> I64:
    m = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return m + 1970 * 12


def _uniform_int(rng: np.random.Generator, lo: I64 | int, hi: I64 | int, n: int) -> I64:
    """Integers uniform in [lo, hi] (inclusive, elementwise)."""
    lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,))
    hi_a = np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,))
    span = np.maximum(hi_a - lo_a, 0) + 1
    out: I64 = lo_a + np.floor(rng.random(n) * span).astype(np.int64)
    return out


def _splitmix(x: U64) -> U64:
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: U64 = z ^ (z >> np.uint64(31))
    return out


def _name_hash(names: I32) -> U64:
    h = np.full(len(names), 0x1234567, dtype=np.uint64)
    for j in range(names.shape[1]):
        h = _splitmix(h ^ names[:, j].astype(np.uint64))
    return h


def _look_alike_keys(names: I32, fold: I32) -> tuple[U64, list[tuple[U64, I64]]]:
    """Hashes of each folded name, and of each name with one syllable left out (≥ 3 long)."""
    f = fold[names]
    full = _name_hash(f)
    length = (f > 0).sum(axis=1)
    dels: list[tuple[U64, I64]] = []
    for j in range(f.shape[1]):
        rows = np.flatnonzero(length > max(j, 2))
        if len(rows) == 0:
            continue
        sub = np.zeros((len(rows), f.shape[1]), dtype=np.int32)
        sub[:, : f.shape[1] - 1] = np.delete(f[rows], j, axis=1)
        dels.append((_name_hash(sub), rows.astype(np.int64)))
    return full, dels


def _conflicting_groups(
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
    dmix = _splitmix(dob.astype(np.uint64))
    k = np.concatenate([_splitmix(full ^ dmix)] + [_splitmix(h ^ dmix[r]) for h, r in dels])
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


def _split(total: int, shares: tuple[float, ...]) -> list[int]:
    raw = [total * s for s in shares]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    for i in sorted(range(len(raw)), key=lambda i: out[i] - raw[i])[:rest]:
        out[i] += 1
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
    asof_end = _days(dt.date(year + month // 12, month % 12 + 1, 1)) - 1  # last day of as_of
    org_list = organisations(orgs, rng, keyless_org_share, as_of)
    n_org = len(org_list)
    o_keyless = np.array([o.keyless for o in org_list], dtype=np.bool_)
    has_keyless = bool(o_keyless.any())

    # ---- how many of each plant and decoy
    n_plant = round(plant_share * rows)
    if has_keyless:
        ex_dc, ex_ot, pr_dc, pr_ot = _split(n_plant, (0.40, 0.25, 0.25, 0.10))
    else:
        ex_dc, ex_ot, pr_dc, pr_ot = (*_split(n_plant, (0.6, 0.4)), 0, 0)
    d_closed, d_split, d_names, d_after = _split(n_plant, (0.3, 0.2, 0.25, 0.25))
    extra = n_plant + d_closed + d_after
    base = rows - extra
    if base < max(1000, 20 * extra):
        raise ValueError("too few rows for the planted pairs; raise rows or lower plant_share")

    # ---- claimants
    sur_codes, sur_w = _surnames()
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
    c_dob = _uniform_int(rng, _days(dt.date(1962, 1, 1)), _days(dt.date(2000, 12, 31)), n_c)
    c_sur = rng.choice(len(sur_codes), size=n_c, p=sur_w)
    c_name, _ = _names(rng, n_c, c_female, c_sur, sur_codes)
    c_key = _hex_keys(rng, n_c)
    c_hired = np.minimum(
        _month_of_days(c_dob) + _uniform_int(rng, 23 * 12, 33 * 12, n_c), asof_m - 1
    )

    # ---- persons: one per base claim
    p_claimant = np.repeat(np.arange(n_c, dtype=np.int64), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    pos = np.arange(base) - first[p_claimant]
    u = rng.random(base)
    p_rel = np.where(u < 0.66, CHILD, np.where(u < 0.95, ASCENDANT, OTHER)).astype(np.int64)
    p_rel[(pos == 0) & (rng.random(base) < 0.5)] = SPOUSE
    cd = c_dob[p_claimant]
    child_lo = np.maximum(_days(dt.date(year - 19, month, 1)) + 31, cd + 20 * 365)
    p_dob = np.select(
        [p_rel == CHILD, p_rel == SPOUSE, p_rel == ASCENDANT],
        [
            _uniform_int(rng, child_lo, asof_end, base),
            cd + np.round(rng.normal(0, 3 * 365, base)).astype(np.int64),
            cd - _uniform_int(rng, 20 * 365, 38 * 365, base),
        ],
        cd + _uniform_int(rng, -10 * 365, 10 * 365, base),
    )
    p_dob = np.minimum(p_dob, asof_end)
    cfem = c_female[p_claimant]
    p_female = np.where(p_rel == SPOUSE, ~cfem, rng.random(base) < 0.5)
    own = ((p_rel == CHILD) & ~cfem) | (
        ((p_rel == ASCENDANT) | (p_rel == OTHER)) & (rng.random(base) < 0.5)
    )
    p_sur = np.where(own, c_sur[p_claimant], rng.choice(len(sur_codes), size=base, p=sur_w))
    p_name, _ = _names(rng, base, p_female, p_sur, sur_codes)
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
    birth_m = _month_of_days(p_dob)
    back = np.select(
        [p_rel == CHILD, p_rel == SPOUSE, p_rel == ASCENDANT],
        [
            _uniform_int(rng, 0, 180, base),
            _uniform_int(rng, 0, 300, base),
            _uniform_int(rng, 0, 180, base),
        ],
        _uniform_int(rng, 0, 120, base),
    )
    start = np.maximum(np.maximum(asof_m - back, birth_m), c_hired[p_claimant])
    future = rng.random(base) < 0.01
    start[future] = asof_m + _uniform_int(rng, 1, 3, int(future.sum()))
    end = np.full(base, -1, dtype=np.int64)
    closed = (rng.random(base) < 0.10) & (start < asof_m)
    end[closed] = _uniform_int(rng, start[closed], asof_m - 1, int(closed.sum()))

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
        return _uniform_int(rng, lo, asof_m, len(b))

    def maybe_closed(lo: I64) -> I64:
        e = np.full(len(lo), -1, dtype=np.int64)
        c = rng.random(len(lo)) < 0.2
        e[c] = _uniform_int(rng, lo[c], asof_m, int(c.sum()))
        return e

    # exact double claims: a second claimant at a keyed organisation (10 % the same one)
    b = pick.take(eligible & ~b_keyless, ex_dc)
    cl = other_claimant(b, [keyed_c], same_org_ok=0.1)
    s = second_start(b, cl)
    add("double_claim", "exact", b, cl, c_org[cl], s, maybe_closed(np.maximum(s, start[b])))
    # exact open transfers: same claimant at another keyed organisation, old claim still open
    b = pick.take(eligible & ~b_keyless & (start <= asof_m - 1), ex_ot)
    s = _uniform_int(rng, start[b] + 1, asof_m, len(b))
    late = rng.random(len(b)) < 0.2
    end[b[late]] = _uniform_int(rng, s[late], asof_m, int(late.sum()))
    add("open_transfer", "exact", b, b_claimant[b], other_org(b, keyed_o), s, np.full_like(b, -1))
    if has_keyless:
        # probable double claims: keyed ↔ keyless, keyless ↔ keyed, keyless ↔ keyless
        n1, n2, n3 = _split(pr_dc, (0.45, 0.45, 0.10) if len(keyless_o) > 1 else (0.5, 0.5, 0))
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
        n1, n2 = _split(pr_ot, (0.5, 0.5))
        for n, base_keyless, org_pool in ((n1, False, keyless_o), (n2, True, keyed_o)):
            b = pick.take(eligible & (b_keyless == base_keyless), n)
            s = _uniform_int(rng, start[b] + 1, asof_m, len(b))
            org = other_org(b, org_pool)
            add("open_transfer", "probable", b, b_claimant[b], org, s, np.full_like(b, -1))

    # decoy: transfers closed in time (half of them to or from a keyless organisation)
    n1, n2 = _split(d_closed, (0.5, 0.5) if has_keyless else (1.0, 0.0))
    for n, pool in ((n1, keyed_o), (n2, keyless_o)):
        b = pick.take(eligible & ~b_keyless & (start <= asof_m - 2), n)
        m1 = _uniform_int(rng, start[b], asof_m - 2, len(b))
        end[b] = m1
        s = np.minimum(m1 + _uniform_int(rng, 1, 3, len(b)), asof_m)
        add("closed_transfer", "", b, b_claimant[b], other_org(b, pool), s, np.full_like(b, -1))
    # decoy: second claims that start only after as_of (double claims and transfers)
    n1, n2, n3 = _split(d_after, (0.4, 0.3, 0.3) if has_keyless else (0.6, 0.4, 0.0))
    for n, transfer, pool in ((n1, False, keyed_c), (n2, True, keyed_c), (n3, False, keyless_c)):
        b = pick.take(eligible & ~b_keyless, n)
        s = asof_m + _uniform_int(rng, 1, 6, len(b))
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
    variation = _vary_names(rng, r_name, r_keyless, probable_rows)

    # ---- no accidental look-alikes: re-draw birth dates until none is left
    fold = fold_table()
    full, dels = _look_alike_keys(r_name, fold)
    protected = np.zeros(base, dtype=np.bool_)
    protected[pick.used] = True
    priority = np.where(protected, 0, 2).astype(np.int64)
    priority[r_person[r_keyless]] = np.minimum(priority[r_person[r_keyless]], 1)
    r_group = p_group[r_person]
    redrawn = 0
    child_floor = _days(dt.date(year - 19, month, 1)) + 31
    for _ in range(100):
        moved = _conflicting_groups(p_dob[r_group], full, dels, r_group, r_keyless, priority)
        if len(moved) == 0:
            break
        redrawn += len(moved)
        shift = _uniform_int(rng, 1, 365, len(moved))
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
            "claim_id": _claim_ids(seq[o]),
            "source_org": pa.array(codes).take(pa.array(r_org[o])),
            "claimant_key": _fixed_strings(c_key[r_claimant[o]]),
            "claimant_name": _utf8(c_name[r_claimant[o]]),
            "claimant_birth_date": pa.array(c_dob[r_claimant[o]].astype(np.int32), pa.date32()),
            "dependent_key": _fixed_strings(p_key[r_person[o]], ~r_keyless[o]),
            "dependent_name": _utf8(r_name[o]),
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


def _claim_ids(seq: I64) -> Any:
    """1 → 'C00000001' (a fixed-width ASCII column built without Python strings)."""
    digits = np.empty((len(seq), 9), dtype=np.uint8)
    digits[:, 0] = ord("C")
    v = seq.copy()
    for j in range(8, 0, -1):
        digits[:, j] = ord("0") + v % 10
        v //= 10
    return _fixed_strings(digits)


def _vary_names(
    rng: np.random.Generator,
    names: I32,
    keyless: Bool,
    pairs: list[tuple[int, int]],
) -> list[str]:
    """Give the keyless side of each probable pair its variation; return them in order."""
    out: list[str] = []
    draw = rng.random(len(pairs))
    picks = rng.integers(0, 1 << 30, size=(len(pairs), 2))
    for (a, b), u, (p1, p2) in zip(pairs, draw.tolist(), picks.tolist(), strict=True):
        row = b if keyless[b] else a
        name = [int(c) for c in names[row] if c > 0]
        want = VARIATIONS[0 if u < 0.60 else 1 if u < 0.85 else 2]
        sur = 2 if len(name) == 4 else 1  # two-syllable surnames make four-syllable names
        if want == "confusion":
            confused = confuse(name, sur, p1)
            if confused is None:
                want = "missing"
            else:
                name = confused
        if want == "missing":
            name = drop_syllable(name, sur, p2)
        names[row] = 0
        names[row, : len(name)] = name
        out.append(want)
    return out
