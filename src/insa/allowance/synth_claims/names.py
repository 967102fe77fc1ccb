"""Names as syllable matrices: drawing them, and the variations of the keyless side of a pair.

A name is a row of syllable codes + 1 (:mod:`insa.allowance.hangul`), 0-padded on the right
to four columns: the surname (one or two syllables) and a two-syllable given name.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np
import yaml

from insa.allowance.hangul import confuse, drop_syllable, syllables
from insa.allowance.synth_claims.common import F64, I32, I64, Bool

VARIATIONS = ("identical", "confusion", "missing")
# given-name syllables by sex (first, second), most common first
GIVEN = {
    "M": ("민서도예시하주지준건현우승유정태동성재영상진종경병용기대세윤은한원석형창희규",
          "준우호민현진훈수원혁석빈규성재윤찬영철식환후율결범욱택섭근모중한"),
    "F": ("서지하수민예채윤다소은유시가아나혜미현정영선경연주진보세희효슬새해라",
          "연윤우은아현원서린빈민진희영정경숙지나율주인혜미라별솔비름슬애예란"),
}  # fmt: skip


def surnames() -> tuple[list[list[int]], F64]:
    """The surnames (as syllable codes + 1) and their shares, from ``people/data/names.yaml``."""
    text = resources.files("insa.people").joinpath("data/names.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    sur: dict[str, int] = data["surnames"]
    codes = [syllables(s) for s in sur]
    w = np.array(list(sur.values()), dtype=np.float64)
    return codes, w / w.sum()


def draw_names(
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


def vary_names(
    rng: np.random.Generator,
    names: I32,
    keyless: Bool,
    pairs: list[tuple[int, int]],
) -> list[str]:
    """Give the keyless side of each probable pair its variation; return them in order.

    Identical (60 %), one spelling confusion (25 %; a missing syllable where the name has no
    syllable to confuse) or one syllable of the given name missing (15 %).
    """
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
