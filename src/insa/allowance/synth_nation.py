"""A second claims generator, household-first at national density — it shares no code with
:mod:`insa.allowance.synth_claims` and makes different assumptions, so the verification is
measured on data its own generator did not shape.

The world is families, not claim lists: a father and a mother (a few mothers foreign-born,
their names in Latin letters at some organisations and in Hangul at others), 0–4 children born
to the mother's age (twins included), grandparents old enough to be dependants. Names are drawn
as Koreans are named: surnames at their census shares, given names from each birth cohort's
popular names and a long tail of other names, weighted 1/(rank + 10): the top name about 2 %
of a cohort's boys or girls, the top ten 14 %, the top fifty 35 % — so children of the same name born on the same day, different people, occur as
often as they do nationally. Nothing is re-drawn: every namesake stays.

Each parent works in the public sector (an organisation drawn by size) or not; the family's
claims follow the rules: the children by one parent (or split between two public servants), a
non-working spouse, the claimant's own parents. Then the wrong payments a verification must
find, all from what happens to families:

- **both parents claim** some or all of the children (at two organisations, or one);
- **a grandparent claimed by two of their children** (siblings; the second is drawn as a
  person of the same surname about the claimant's age);
- **transfers**: a claimant moves to another organisation and the old claims are left open
  (or closed months late) — every dependent of the household at once; closed in time, they are
  not wrong.

Organisations without resident numbers (public institutions, some local bodies) leave
``dependent_key`` empty and type names by hand: a few spelling confusions (ㅐ/ㅔ, final ㅇ/ㄴ,
tense initials), a missing syllable, romanised names for dependents born abroad (``KIM MINJUN``,
``Minjun Kim``, ``GIM MIN-JUN``), and ``child_order`` often blank.

The truth is computed, not planted: two claims of the same person, both in force in an
overlapping month up to ``as_of``, are a wrong payment — a ``double_claim`` when the claimants
differ, an ``open_transfer`` when one claimant is paid at two organisations, a
``duplicate_claim`` at one; ``exact`` when both sides carry the dependent's key, else
``probable``. ``NationTruth.namesakes`` counts the pairs of different people with the same name
and birth date where a side lacks a key: what a name-and-birth-date linkage cannot tell apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
EPOCH = dt.date(1970, 1, 1)

# (surname, census share %, romanisations seen in passports)
SURNAMES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("김", 21.5, ("KIM", "GIM")), ("이", 14.7, ("LEE", "YI", "RHEE")),
    ("박", 8.4, ("PARK", "PAK", "BAK")), ("최", 4.7, ("CHOI", "CHOE")),
    ("정", 4.3, ("JUNG", "JEONG", "CHUNG")), ("강", 2.4, ("KANG", "GANG")),
    ("조", 2.1, ("CHO", "JO")), ("윤", 2.1, ("YOON", "YUN")), ("장", 2.0, ("JANG", "CHANG")),
    ("임", 1.7, ("LIM", "IM")), ("한", 1.5, ("HAN",)), ("오", 1.5, ("OH",)),
    ("서", 1.5, ("SEO", "SUH")), ("신", 1.5, ("SHIN", "SIN")), ("권", 1.4, ("KWON", "GWON")),
    ("황", 1.4, ("HWANG",)), ("안", 1.4, ("AHN", "AN")), ("송", 1.3, ("SONG",)),
    ("전", 1.1, ("JEON", "JUN")), ("홍", 1.1, ("HONG",)), ("유", 1.1, ("YOO", "YU")),
    ("고", 0.9, ("KO", "GO")), ("문", 0.9, ("MOON", "MUN")), ("양", 0.8, ("YANG",)),
    ("손", 0.9, ("SON", "SOHN")), ("배", 0.8, ("BAE",)), ("백", 0.7, ("BAEK", "PAIK")),
    ("허", 0.6, ("HEO", "HUR")), ("노", 0.4, ("NOH", "ROH")), ("남", 0.6, ("NAM",)),
    ("심", 0.5, ("SHIM", "SIM")), ("하", 0.5, ("HA",)), ("곽", 0.4, ("KWAK",)),
    ("성", 0.4, ("SUNG", "SEONG")), ("차", 0.4, ("CHA",)), ("주", 0.4, ("JOO", "JU")),
    ("우", 0.4, ("WOO",)), ("구", 0.4, ("KOO", "GU")), ("나", 0.3, ("NA",)),
    ("민", 0.3, ("MIN",)), ("류", 0.3, ("RYU", "YOO")), ("진", 0.3, ("JIN",)),
    ("지", 0.3, ("JI",)), ("엄", 0.3, ("UM", "EOM")), ("채", 0.2, ("CHAE",)),
    ("원", 0.2, ("WON",)), ("천", 0.2, ("CHEON",)), ("방", 0.2, ("BANG",)),
    ("공", 0.2, ("KONG",)), ("현", 0.2, ("HYUN",)), ("함", 0.2, ("HAM",)),
    ("변", 0.2, ("BYUN",)), ("염", 0.1, ("YEOM",)), ("여", 0.1, ("YEO",)),
    ("추", 0.1, ("CHU",)), ("도", 0.1, ("DO",)), ("석", 0.1, ("SEOK",)),
    ("남궁", 0.05, ("NAMGUNG",)), ("황보", 0.02, ("HWANGBO",)), ("제갈", 0.01, ("JEGAL",)),
)  # fmt: skip

# popular given names by birth cohort, most popular first (Statistics Korea / the Supreme
# Court's name registrations, as commonly reported)
POPULAR: dict[str, dict[int, str]] = {
    "M": {
        1960: "영수 영호 영식 영철 정수 성수 상철 정호 성호 영진 상훈 광수 동수 병철 재호",
        1975: "정훈 성훈 상훈 성진 성민 준호 재훈 지훈 정호 현철 성호 동현 상우 준영 재현",
        1985: "지훈 성민 현우 준호 민수 동현 민석 준영 상현 진우 승현 성현 재현 현준 민호",
        2000: "민준 현우 동현 준혁 민재 도현 지훈 준영 승민 우진 지호 승현 유준 성민 건우",
        2010: "민준 서준 도윤 예준 시우 하준 주원 지호 지후 준우 준서 건우 도현 현우 우진",
    },
    "F": {
        1960: "영숙 정숙 영희 순자 미숙 경숙 영자 정희 명숙 경희 현숙 미경 은숙 정순 혜숙",
        1975: "미영 은정 은영 지영 현정 미정 수진 은주 정은 선영 혜진 지현 미경 은희 정민",
        1985: "지혜 지영 수진 민지 은지 지은 혜진 지현 수연 은영 유진 민정 소연 지원 보람",
        2000: "유진 민지 수빈 지원 지현 서연 지민 수민 예은 민서 지은 은지 채원 윤서 다은",
        2010: "서연 서윤 지우 서현 민서 하은 하윤 윤서 지유 지민 채원 지윤 은서 수아 다은",
    },
}
# the long tail: other names from these syllables (first, second)
TAIL_SYLLABLES = {
    "M": ("민서도예시하주지준건현우승유정태동성재영상진종경병용기대세윤은한원석형창희규",
          "준우호민현진훈수원혁석빈규성재윤찬영철식환후율결범욱택섭근모중한"),
    "F": ("서지하수민예채윤다소은유시가아나혜미현정영선경연주진보세희효슬새해라",
          "연윤우은아현원서린빈민진희영정경숙지나율주인혜미라별솔비름슬애예란"),
}  # fmt: skip

# foreign-born mothers: (Latin, Hangul) — surname, middle, given
FOREIGN_SURNAMES = (
    ("NGUYEN", "응우옌"),
    ("TRAN", "쩐"),
    ("LE", "레"),
    ("PHAM", "팜"),
    ("WANG", "왕"),
    ("LIU", "리우"),
    ("SANTOS", "산토스"),
    ("REYES", "레예스"),
)
FOREIGN_MIDDLES = (("THI", "티"), ("", ""))
FOREIGN_GIVEN = (("HOA", "호아"), ("LAN", "란"), ("MAI", "마이"), ("LINH", "린"),
                 ("THAO", "타오"), ("TRANG", "짱"), ("MEI", "메이"), ("LING", "링"),
                 ("MARIA", "마리아"), ("GRACE", "그레이스"))  # fmt: skip

# Revised Romanisation, by jamo index (the generator's own table)
_RR_LEAD = "g kk n d tt r m b pp s ss  j jj ch k t p h".split(" ")
_RR_VOWEL = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_RR_TAIL = [""] + "k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()


@dataclass
class NationTruth:
    """The wrong payments in the generated claims, computed from who is who."""

    pairs: dict[frozenset[str], tuple[str, str]] = field(default_factory=dict)  # → kind, match
    orgs: tuple[str, ...] = ()
    keyless_orgs: tuple[str, ...] = ()
    rows: int = 0
    keyless_rows: int = 0
    namesakes: int = 0  # pairs of different people, same name and birth date, a side keyless
    romanised_rows: int = 0
    files: tuple[Path, ...] = ()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {"namesake_pairs": self.namesakes}
        for kind, match in self.pairs.values():
            out[f"{kind}/{match}"] = out.get(f"{kind}/{match}", 0) + 1
        return dict(sorted(out.items()))

    def score(self, findings: Iterable[_FindingLike]) -> dict[str, dict[str, float]]:
        """Precision and recall per ``kind/match`` of the findings against the truth."""
        found: dict[str, set[frozenset[str]]] = {}
        for f in findings:
            found.setdefault(f"{f.kind}/{f.match}", set()).add(frozenset((f.claim_a, f.claim_b)))
        want: dict[str, set[frozenset[str]]] = {}
        for pair, (kind, match) in self.pairs.items():
            want.setdefault(f"{kind}/{match}", set()).add(pair)
        out: dict[str, dict[str, float]] = {}
        for group in sorted(set(want) | set(found)):
            w, g = want.get(group, set()), found.get(group, set())
            hit = len(w & g)
            out[group] = {
                "planted": len(w),
                "found": len(g),
                "hit": hit,
                "precision": hit / len(g) if g else 1.0,
                "recall": hit / len(w) if w else 1.0,
            }
        return out


class _FindingLike(Protocol):
    kind: str
    match: str
    claim_a: str
    claim_b: str


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def _month(days: I64) -> I64:
    m = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return (m + 1970 * 12).astype(np.int64)  # the exchange's month index: year * 12 + month - 1


class _Names:
    """Given names by sex and birth cohort, surnames, romanisations."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.sur = np.array([s for s, _, _ in SURNAMES])
        w = np.array([p for _, p, _ in SURNAMES])
        self.sur_p = w / w.sum()
        self.roman = {s: r for s, _, r in SURNAMES}
        self._pools: dict[tuple[str, int], npt.NDArray[np.object_]] = {}

    def surnames(self, n: int) -> I64:
        return self.rng.choice(len(self.sur), size=n, p=self.sur_p)

    def given(self, female: npt.NDArray[np.bool_], born: I64) -> npt.NDArray[np.str_]:
        """Given names for people of this sex born on these days."""
        rng = self.rng
        out = np.empty(len(born), dtype=object)
        year = born.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        cohorts = sorted(POPULAR["M"])
        cohort = np.array(cohorts)[np.clip(np.searchsorted(cohorts, year, "right") - 1, 0, None)]
        for sex in ("M", "F"):
            for c in cohorts:
                idx = np.flatnonzero((female == (sex == "F")) & (cohort == c))
                if not len(idx):
                    continue
                pool = self._pool(sex, c)
                w = 1.0 / (np.arange(len(pool)) + 10.0)
                out[idx] = pool[rng.choice(len(pool), len(idx), p=w / w.sum())]
        return out

    def _pool(self, sex: str, cohort: int) -> npt.NDArray[np.object_]:
        """A cohort's names by popularity: its popular list, then the other names in an
        order of the cohort's own (drawn once)."""
        key = (sex, cohort)
        if key not in self._pools:
            top = POPULAR[sex][cohort].split()
            first, second = TAIL_SYLLABLES[sex]
            rest = [a + b for a in first for b in second if a != b and a + b not in top]
            order = self.rng.permutation(len(rest))
            self._pools[key] = np.array(top + [rest[i] for i in order], dtype=object)
        return self._pools[key]

    def romanise(self, surname: str, given: str) -> str:
        """A passport-style spelling: a surname variant, the given name in RR, in some order."""
        rng = self.rng
        sur = self.roman.get(surname, (surname,))[
            int(rng.integers(0, len(self.roman.get(surname, (surname,)))))
        ]
        parts = [_rr(ch) for ch in given]
        style = int(rng.integers(0, 3))
        g = "".join(parts) if style == 0 else ("-".join(parts) if style == 1 else " ".join(parts))
        text = f"{g} {sur}" if rng.random() < 0.4 else f"{sur} {g}"
        return text.upper() if rng.random() < 0.6 else text.title()


def _rr(syllable: str) -> str:
    code = ord(syllable) - 0xAC00
    if not 0 <= code < 11172:
        return syllable
    lead, vowel, tail = code // 588, (code % 588) // 28, code % 28
    return _RR_LEAD[lead] + _RR_VOWEL[vowel] + _RR_TAIL[tail]


# a handwritten name's slips: vowel ㅐ↔ㅔ, final ㅇ↔ㄴ, a tense initial relaxed
def _slip(name: str, rng: np.random.Generator) -> str:
    chars = list(name)
    order = rng.permutation(len(chars))
    for i in order:
        code = ord(chars[i]) - 0xAC00
        if not 0 <= code < 11172:
            continue
        lead, vowel, tail = code // 588, (code % 588) // 28, code % 28
        swaps = []
        if vowel in (1, 5):
            swaps.append((lead, 6 - vowel, tail))
        if tail in (4, 21):
            swaps.append((lead, vowel, 25 - tail))
        if lead in (1, 4, 8, 10, 13):
            swaps.append((lead - 1, vowel, tail))
        if swaps:
            lv = swaps[int(rng.integers(0, len(swaps)))]
            chars[i] = chr(0xAC00 + (lv[0] * 21 + lv[1]) * 28 + lv[2])
            return "".join(chars)
    return name


def _orgs(rng: np.random.Generator, n: int, keyless_share: float) -> tuple[list[str], Any, Any]:
    """Organisation codes, size weights, and which have no resident numbers (about
    ``keyless_share`` of the claims: public institutions first, then local bodies)."""
    lg = ["SEOUL", "BUSAN", "DAEGU", "INCHEON", "GWANGJU", "DAEJEON", "ULSAN", "SEJONG",
          "GYEONGGI", "GANGWON", "CHUNGBUK", "CHUNGNAM", "JEONBUK", "JEONNAM", "GYEONGBUK",
          "GYEONGNAM", "JEJU"]  # fmt: skip
    codes = ["MIL", "NEC", "CCOURT"]
    weights = [60.0, 3.0, 0.4]
    n_lg = min(17, max((n - 3) // 6, 1))
    codes += [f"LG-{x}" for x in lg[:n_lg]] + [f"EDU-{x}" for x in lg[:n_lg]]
    weights += list(rng.uniform(3, 25, n_lg)) + list(rng.uniform(5, 30, n_lg))
    n_ca = max((n - len(codes)) // 2, 0)
    codes += [f"CA-{i + 1:02d}" for i in range(n_ca)]
    weights += list(rng.pareto(1.5, n_ca) + 0.5)
    n_pi = max(n - len(codes), 0)
    codes += [f"PI-{i + 1:04d}" for i in range(n_pi)]
    weights += list(rng.pareto(1.2, n_pi) * 0.5 + 0.2)
    codes, w = codes[:n], np.array(weights[:n])
    keyless = np.zeros(len(codes), dtype=np.bool_)
    share = w / w.sum()
    order = [i for i, c in enumerate(codes) if c.startswith("PI-")]
    order += [i for i, c in enumerate(codes) if c.startswith("LG-")][::-1]
    total = 0.0
    for i in order:
        if total >= keyless_share:
            break
        if total + share[i] <= keyless_share * 1.3:
            keyless[i] = True
            total += share[i]
    return codes, w, keyless


def _keys(ids: I64, seed: int) -> npt.NDArray[np.object_]:
    """A 64-hex key per person id (as if an HMAC of the resident number)."""
    salt = f"nation-{seed}".encode()
    return np.array(
        [
            hashlib.blake2b(int(i).to_bytes(8, "little"), key=salt, digest_size=32).hexdigest()
            for i in ids
        ],
        dtype=object,
    )


def generate_nation(
    out_dir: Path,
    *,
    rows: int,
    orgs: int = 160,
    seed: int = 11,
    as_of: str = "2025-12",
    keyless_share: float = 0.15,
    error_rate: float = 1.0,
    fmt: str = "parquet",
) -> NationTruth:
    """About ``rows`` claims from families, one CSV or one Parquet delivery (directory with a
    manifest) per organisation in ``out_dir``; the truth of every wrong payment in them.

    ``error_rate`` scales how often families are paid wrongly (1.0: both parents claim in 5 %
    of the families where both are public servants, 1.5 % of claimants' transfers left open,
    1 % of grandparents claimed twice)."""
    import duckdb

    rng = np.random.default_rng(seed)
    names = _Names(rng)
    year, month = (int(x) for x in as_of.split("-"))
    asof_m = year * 12 + month - 1
    asof_day = _days(dt.date(year + (month == 12), month % 12 + 1, 1)) - 1
    codes, weights, org_keyless = _orgs(rng, orgs, keyless_share)
    org_p = weights / weights.sum()

    n_h = max(int(rows / 2.06), 10)
    # -- families
    f_dob = rng.integers(_days(dt.date(1961, 1, 1)), _days(dt.date(1999, 12, 31)), n_h)
    m_dob = f_dob + np.round(rng.normal(2.2, 2.5, n_h) * 365.25).astype(np.int64)
    foreign = rng.random(n_h) < 0.04
    m_dob[foreign] += np.round(rng.uniform(2, 12, int(foreign.sum())) * 365.25).astype(np.int64)
    f_sur, m_sur = names.surnames(n_h), names.surnames(n_h)
    f_given = names.given(np.zeros(n_h, np.bool_), f_dob)
    m_given = names.given(np.ones(n_h, np.bool_), m_dob)
    kinds = rng.choice(3, size=n_h, p=[0.42, 0.33, 0.25])  # father / mother / both in service
    f_ps, m_ps = kinds != 1, kinds != 0
    f_org = rng.choice(len(codes), n_h, p=org_p)
    m_org = rng.choice(len(codes), n_h, p=org_p)
    f_hired = _month(f_dob) + rng.integers(24 * 12, 33 * 12, n_h)
    m_hired = _month(m_dob) + rng.integers(23 * 12, 33 * 12, n_h)

    # people: the fathers, the mothers (family + n_h), then children, grandparents, siblings
    fam_pid = np.arange(n_h, dtype=np.int64)  # the father; the mother is fam_pid + n_h
    person_dob = [f_dob, m_dob]
    person_sur = [names.sur[f_sur], names.sur[m_sur]]
    person_given = [f_given, m_given]
    fgl, fgh = FOREIGN_SURNAMES, FOREIGN_GIVEN
    fi = np.flatnonzero(foreign)
    fs = rng.integers(0, len(fgl), len(fi))
    fm = rng.integers(0, len(FOREIGN_MIDDLES), len(fi))
    fg = rng.integers(0, len(fgh), len(fi))
    latin: dict[int, str] = {}  # person id → the Latin spelling (foreign-born mothers)
    m_hangul_sur = person_sur[1].astype(object)
    m_hangul_given = person_given[1].astype(object)
    for n_i, fam_i in enumerate(fi.tolist()):
        fsur, fmid, fgiv = fgl[fs[n_i]], FOREIGN_MIDDLES[fm[n_i]], fgh[fg[n_i]]
        m_hangul_sur[fam_i] = fsur[1]
        m_hangul_given[fam_i] = fmid[1] + fgiv[1]
        latin[int(fam_pid[fam_i] + n_h)] = " ".join(x for x in (fsur[0], fmid[0], fgiv[0]) if x)
    person_sur[1] = m_hangul_sur
    person_given[1] = m_hangul_given
    m_ps[foreign] &= rng.random(len(fi)) < 0.2
    next_pid = 2 * n_h

    # children
    n_kids = rng.choice(5, size=n_h, p=[0.16, 0.30, 0.40, 0.12, 0.02])
    kid_fam = np.repeat(np.arange(n_h), n_kids)
    kid_rank = np.arange(len(kid_fam)) - np.repeat(np.cumsum(n_kids) - n_kids, n_kids)
    first = m_dob + np.round(rng.normal(30.5, 3.5, n_h).clip(20, 44) * 365.25).astype(np.int64)
    # spacing: at least about nine months, then a gamma spread (mean about 2.7 years)
    gaps = np.round((0.8 + rng.gamma(2.0, 0.95, len(kid_fam))) * 365.25).astype(np.int64)
    twin = (rng.random(len(kid_fam)) < 0.015) & (kid_rank > 0)
    gaps[twin | (kid_rank == 0)] = 0
    first_kid = (np.cumsum(n_kids) - n_kids)[kid_fam]
    cg = np.cumsum(gaps)
    gaps = cg - cg[first_kid] if len(gaps) else gaps
    kid_dob = first[kid_fam] + gaps
    born = kid_dob <= asof_day
    kid_fam, kid_rank, kid_dob = kid_fam[born], kid_rank[born], kid_dob[born]
    kid_female = rng.random(len(kid_fam)) < 0.49
    kid_sur = np.where(
        rng.random(len(kid_fam)) < 0.985, person_sur[0][kid_fam], person_sur[1][kid_fam]
    )
    kid_given = names.given(kid_female, kid_dob)
    kid_pid = next_pid + np.arange(len(kid_fam))
    next_pid += len(kid_fam)
    person_dob.append(kid_dob)
    person_sur.append(kid_sur)
    person_given.append(kid_given)
    abroad = rng.random(len(kid_fam)) < 0.02  # born abroad: a passport name at some places

    # grandparents (each parent's mother and father), dependants from 60
    gp_parent = np.repeat(np.arange(2 * n_h), 2)  # their child: 2 * family + (0 father, 1 mother)
    gp_female = np.tile([False, True], 2 * n_h)
    child_dob = np.where(gp_parent % 2 == 0, f_dob[gp_parent // 2], m_dob[gp_parent // 2])
    gap_y = rng.normal(29, 4, len(gp_parent)).clip(18, 45) + np.where(gp_female, -3.0, 0.0)
    gp_dob = child_dob - np.round(gap_y * 365.25).astype(np.int64)
    age = (asof_day - gp_dob) / 365.25
    abroad_side = (gp_parent % 2 == 1) & foreign[gp_parent // 2]
    keep = (age < rng.normal(84, 7, len(gp_parent))) & (age >= 60) & ~abroad_side
    child_sur = np.where(
        gp_parent % 2 == 0, person_sur[0][gp_parent // 2], person_sur[1][gp_parent // 2]
    )
    gp_sur = np.where(gp_female, names.sur[names.surnames(len(gp_parent))], child_sur)
    gp_given = names.given(gp_female, gp_dob)
    gp_sel = np.flatnonzero(keep)
    gp_pid = next_pid + np.arange(len(gp_sel))
    next_pid += len(gp_sel)
    person_dob.append(gp_dob[gp_sel])
    person_sur.append(gp_sur[gp_sel])
    person_given.append(gp_given[gp_sel])
    gp_child = gp_parent[gp_sel]  # 2*family + (0 father, 1 mother)
    gp_fam, gp_side = gp_child // 2, gp_child % 2

    # -- claims: (claimant pid, dependent pid, relation, org, start, end, child rank)
    cl: dict[str, list[Any]] = {
        k: [] for k in ("claimant", "dep", "rel", "org", "start", "end", "rank")
    }

    def add(claimant: I64, dep: I64, rel: str, org: I64, start: I64, end: I64, rank: I64) -> None:
        cl["claimant"].append(claimant)
        cl["dep"].append(dep)
        cl["rel"].append(np.full(len(dep), rel, dtype=object))
        cl["org"].append(org)
        cl["start"].append(start)
        cl["end"].append(end)
        cl["rank"].append(rank)

    def starts(lo: I64) -> I64:
        back = rng.integers(0, 180, len(lo))
        s = np.maximum(asof_m - back, lo)
        future = rng.random(len(lo)) < 0.01
        s[future] = asof_m + rng.integers(1, 4, int(future.sum()))
        return s

    def ends(s: I64, share: float = 0.08) -> I64:
        e = np.full(len(s), -1, dtype=np.int64)
        closed = (rng.random(len(s)) < share) & (s < asof_m)
        e[closed] = s[closed] + (rng.random(int(closed.sum())) * (asof_m - s[closed])).astype(
            np.int64
        )
        return e

    hired = np.stack([f_hired, m_hired], 1)
    porg = np.stack([f_org, m_org], 1)
    ps = np.stack([f_ps, m_ps], 1)
    # children: one parent claims (the one in service; both: father 55 %, split 15 %)
    primary = np.where(
        kinds == 0, 0, np.where(kinds == 1, 1, (rng.random(n_h) >= 0.55).astype(np.int64))
    )
    split = (kinds == 2) & (rng.random(n_h) < 0.15)
    side = primary[kid_fam].copy()
    sk = split[kid_fam]
    side[sk] = rng.integers(0, 2, int(sk.sum()))
    claimed = rng.random(len(kid_fam)) < 0.93
    k = np.flatnonzero(claimed)
    fam, sd = kid_fam[k], side[k]
    lo = np.maximum(_month(kid_dob[k]), hired[fam, sd])
    s = starts(lo)
    add(fam_pid[fam] + sd * n_h, kid_pid[k], "child", porg[fam, sd], s, ends(s), kid_rank[k] + 1)
    # both parents claim (the wrong payment): the other parent claims some or all of them
    both = (kinds == 2) & ~split & (rng.random(n_h) < 0.05 * error_rate)
    kb = k[both[fam]]
    pick = rng.random(len(kb)) < np.where(rng.random(n_h) < 0.7, 1.0, 0.5)[kid_fam[kb]]
    kb = kb[pick]
    fam_b = kid_fam[kb]
    other = 1 - primary[fam_b]
    lo = np.maximum(_month(kid_dob[kb]), hired[fam_b, other])
    s = np.maximum(asof_m - rng.integers(0, 72, len(kb)), lo)
    add(
        fam_pid[fam_b] + other * n_h,
        kid_pid[kb],
        "child",
        porg[fam_b, other],
        s,
        ends(s, 0.05),
        kid_rank[kb] + 1,
    )
    # a spouse not in service: claimed 60 % of the time
    sp_side = np.where(kinds == 0, 0, 1)
    spouse_ok = (kinds != 2) & (rng.random(n_h) < 0.6)
    h = np.flatnonzero(spouse_ok)
    sd = sp_side[h]
    s = starts(np.maximum(hired[h, sd], asof_m - 300))
    add(
        fam_pid[h] + sd * n_h,
        fam_pid[h] + (1 - sd) * n_h,
        "spouse",
        porg[h, sd],
        s,
        ends(s),
        np.zeros(len(h), np.int64),
    )
    # grandparents: by their child in service, 30 %
    g = np.flatnonzero(ps[gp_fam, gp_side] & (rng.random(len(gp_sel)) < 0.3))
    s = starts(hired[gp_fam[g], gp_side[g]])
    add(
        fam_pid[gp_fam[g]] + gp_side[g] * n_h,
        gp_pid[g],
        "lineal_ascendant",
        porg[gp_fam[g], gp_side[g]],
        s,
        ends(s),
        np.zeros(len(g), np.int64),
    )
    # ... and by a sibling of theirs too (wrong): a new person, same surname, near in age
    g2 = g[rng.random(len(g)) < 0.01 * error_rate]
    sib = next_pid + np.arange(len(g2))
    next_pid += len(g2)
    sib_dob = np.where(gp_side[g2] == 0, f_dob[gp_fam[g2]], m_dob[gp_fam[g2]]) + rng.integers(
        -3650, 3650, len(g2)
    )
    person_dob.append(sib_dob)
    person_sur.append(child_sur[gp_sel][g2])
    sib_female = rng.random(len(g2)) < 0.5
    person_given.append(names.given(sib_female, sib_dob))
    sib_org = rng.choice(len(codes), len(g2), p=org_p)
    s = np.maximum(asof_m - rng.integers(0, 60, len(g2)), _month(sib_dob) + 25 * 12)
    add(sib, gp_pid[g2], "lineal_ascendant", sib_org, s, ends(s, 0.05), np.zeros(len(g2), np.int64))

    claimant = np.concatenate(cl["claimant"])
    dep = np.concatenate(cl["dep"])
    rel = np.concatenate(cl["rel"])
    org = np.concatenate(cl["org"])
    start = np.concatenate(cl["start"])
    end = np.concatenate(cl["end"])
    rank = np.concatenate(cl["rank"])

    # transfers: a claimant moves; every open claim of theirs is claimed again at the new
    # organisation; the old ones are closed in time (40 %), months late, or left open
    movers = np.unique(claimant)
    movers = movers[rng.random(len(movers)) < 0.025 * max(error_rate, 0.0)]
    mv = np.flatnonzero(np.isin(claimant, movers) & (end < 0) & (start < asof_m - 1))
    if len(mv):
        when_of = {int(c): int(asof_m - rng.integers(1, 60)) for c in movers}
        new_org_of = {int(c): int(rng.choice(len(codes), p=org_p)) for c in movers}
        when = np.array(
            [
                max(when_of[int(c)], int(st) + 1)
                for c, st in zip(claimant[mv], start[mv], strict=True)
            ]
        )
        new_org = np.array([new_org_of[int(c)] for c in claimant[mv]])
        same = new_org == org[mv]
        new_org[same] = (new_org[same] + 1) % len(codes)
        fate = rng.random(len(movers))
        fate_of = dict(zip(movers.tolist(), fate.tolist(), strict=True))
        f = np.array([fate_of[int(c)] for c in claimant[mv]])
        late = np.minimum(when + rng.integers(1, 7, len(mv)), asof_m)
        end[mv] = np.where(f < 0.4, when - 1, np.where(f < 0.6, late, -1))
        claimant = np.r_[claimant, claimant[mv]]
        dep = np.r_[dep, dep[mv]]
        rel = np.r_[rel, rel[mv]]
        org = np.r_[org, new_org]
        start = np.r_[start, when]
        end = np.r_[end, np.full(len(mv), -1, np.int64)]
        rank = np.r_[rank, rank[mv]]

    n = len(dep)
    dobs = np.concatenate(person_dob)
    surs = np.concatenate(person_sur).astype(object)
    givens = np.concatenate(person_given).astype(object)
    keyless = org_keyless[org]
    dep_name = surs[dep] + givens[dep]
    clm_name = surs[claimant] + givens[claimant]
    # the names as typed where there are no resident numbers
    typed = dep_name.copy()
    kl = np.flatnonzero(keyless)
    u = rng.random(len(kl))
    latin_orgs = rng.random(len(codes)) < 0.5
    romanised = 0
    latin_ids = np.array(sorted(latin), dtype=np.int64)
    for i in np.flatnonzero(np.isin(dep, latin_ids) & latin_orgs[org]):
        typed[i] = latin[int(dep[i])]
    kid0 = 2 * n_h
    for j, i in enumerate(kl):
        d = int(dep[i])
        if d in latin:
            continue
        if kid0 <= d < kid0 + len(kid_pid) and abroad[d - kid0] and u[j] < 0.7:
            typed[i] = names.romanise(str(surs[d]), str(givens[d]))
            romanised += 1
        elif u[j] < 0.06:
            typed[i] = _slip(str(dep_name[i]), rng)
        elif u[j] < 0.08 and len(str(givens[d])) >= 2 and len(str(surs[d])) == 1:
            g_ = str(givens[d])
            typed[i] = str(surs[d]) + (g_[1:] if rng.random() < 0.5 else g_[0])
    # child order: blank at half the keyless organisations
    blank_order = org_keyless & (rng.random(len(codes)) < 0.5)
    order_txt = np.where((rel == "child") & ~blank_order[org], rank.astype(str), "")
    child_amounts = np.array((50_000, 80_000, 120_000), dtype=np.int64)
    amount = np.where(
        rel == "spouse",
        40_000,
        np.where(rel == "child", child_amounts[np.clip(rank - 1, 0, 2)], 20_000),
    ).astype(np.int64)
    seed_keys = _keys(np.arange(next_pid), seed)
    dep_key = np.where(keyless, "", seed_keys[dep])
    order = np.lexsort((start, org))
    seq = np.empty(n, dtype=np.int64)
    org_sorted = org[order]
    firsts = np.r_[0, np.flatnonzero(org_sorted[1:] != org_sorted[:-1]) + 1]
    run = np.arange(n) - np.repeat(firsts, np.diff(np.r_[firsts, n]))
    seq[order] = run + 1
    code_arr = np.array(codes, dtype=object)
    claim_id = np.char.add("N", np.char.zfill(seq.astype(str), 9)).astype(object)
    ref = code_arr[org] + ":" + claim_id

    def date_txt(d: I64) -> Any:
        return d.astype("datetime64[D]").astype(str).astype(object)

    def month_txt(m: I64) -> Any:
        txt = (m - 1970 * 12).astype("datetime64[M]").astype(str).astype(object)
        return np.where(m < 0, "", txt)

    import pyarrow as pa  # type: ignore[import-untyped]

    table = pa.table({
        "claim_id": claim_id, "source_org": code_arr[org], "claimant_key": seed_keys[claimant],
        "claimant_name": clm_name, "claimant_birth_date": date_txt(dobs[claimant]),
        "dependent_key": dep_key, "dependent_name": typed,
        "dependent_birth_date": date_txt(dobs[dep]), "relation": rel,
        "child_order": order_txt.astype(object), "start_month": month_txt(start),
        "end_month": month_txt(end), "monthly_amount": amount.astype(str).astype(object),
    })  # fmt: skip
    files = _write(out_dir, table, org, codes, as_of, fmt)

    # the truth, from who is who
    con = duckdb.connect()
    stop = np.where(end < 0, asof_m, np.minimum(end, asof_m))
    facts = pa.table({"ref": ref, "person": dep, "claimant": claimant, "org": org,
                      "keyless": keyless, "start": start, "stop": stop,
                      "name": typed, "dob": dobs[dep]})  # fmt: skip
    con.register("facts", facts)
    pairs = con.execute(
        f"""SELECT a.ref, b.ref, a.claimant <> b.claimant, a.org <> b.org, a.keyless OR b.keyless
        FROM facts a JOIN facts b ON a.person = b.person AND a.ref < b.ref
        WHERE a.start <= {asof_m} AND b.start <= {asof_m}
          AND greatest(a.start, b.start) <= least(a.stop, b.stop)"""
    ).fetchall()
    namesakes = con.execute(
        f"""SELECT count(*) FROM facts a JOIN facts b ON a.name = b.name AND a.dob = b.dob
         AND a.ref < b.ref AND a.person <> b.person
        WHERE (a.keyless OR b.keyless) AND a.start <= {asof_m} AND b.start <= {asof_m}
          AND greatest(a.start, b.start) <= least(a.stop, b.stop)"""
    ).fetchone()
    con.close()
    truth = NationTruth(
        orgs=tuple(codes),
        keyless_orgs=tuple(c for c, k in zip(codes, org_keyless, strict=True) if k),
        rows=n,
        keyless_rows=int(keyless.sum()),
        namesakes=int(namesakes[0]) if namesakes else 0,
        romanised_rows=romanised,
        files=tuple(files),
    )
    for a, b, diff_claimant, diff_org, probable in pairs:
        kind = (
            "double_claim"
            if diff_claimant
            else ("open_transfer" if diff_org else "duplicate_claim")
        )
        truth.pairs[frozenset((a, b))] = (kind, "probable" if probable else "exact")
    return truth


def _write(
    out_dir: Path, table: Any, org: I64, codes: list[str], as_of: str, fmt: str
) -> list[Path]:
    import pyarrow.csv as pcsv  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    from insa.allowance.claims import write_manifest

    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    by_org = np.argsort(org, kind="stable")
    bounds = np.searchsorted(org[by_org], np.arange(len(codes) + 1))
    for i, code in enumerate(codes):
        part = table.take(by_org[bounds[i] : bounds[i + 1]])
        if fmt == "csv":
            path = out_dir / f"{code}.csv"
            pcsv.write_csv(part, path)
        else:
            folder = out_dir / code
            folder.mkdir(exist_ok=True)
            half = part.num_rows // 2
            for j, piece in enumerate((part.slice(0, half), part.slice(half))):
                pq.write_table(piece, folder / f"part-{j}.parquet")
            write_manifest(folder, code, as_of)
            path = folder
        files.append(path)
    return files
