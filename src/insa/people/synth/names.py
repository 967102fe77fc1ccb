"""Korean names from ``people/data/names.yaml``: surnames by frequency, given names by era."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from insa.people.synth.common import I64, Bool


@cache
def names_data() -> dict[str, Any]:
    text = resources.files("insa.people").joinpath("data/names.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def given_names(rng: np.random.Generator, female: Bool, birth_year: I64) -> list[str]:
    """A given name per person, from the pool of their sex and birth era."""
    data = names_data()
    era = np.where(birth_year < 1975, 0, np.where(birth_year < 1995, 1, 2))
    eras = ("born_before_1975", "born_1975_1994", "born_since_1995")
    pick = rng.integers(0, 1_000_000, len(female))
    out = []
    for f, e, p in zip(female.tolist(), era.tolist(), pick.tolist(), strict=True):
        pool = data["given"]["F" if f else "M"][eras[e]]
        out.append(pool[p % len(pool)])
    return out


def names_for(rng: np.random.Generator, female: Bool, birth_year: I64) -> list[str]:
    """Full names: a surname drawn by frequency, then a given name."""
    data = names_data()
    surnames = list(data["surnames"])
    w = np.array(list(data["surnames"].values()), dtype=np.float64)
    sur = rng.choice(len(surnames), size=len(female), p=w / w.sum())
    given = given_names(rng, female, birth_year)
    return [surnames[s] + g for s, g in zip(sur.tolist(), given, strict=True)]


def surname_of(name: str) -> str:
    """The family name: two-syllable surnames (남궁, 제갈 …) first."""
    two = name[:2]
    return two if len(name) > 2 and two in names_data()["surnames"] else name[:1]
