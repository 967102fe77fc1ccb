"""A second generator that shares nothing with insa's: dnstwist's own fuzzers (homoglyphs,
transpositions, omissions, repetitions, hyphenation, bit flips …) on the official domains,
under the suffixes an attacker can register. What share of them insa flags (watch or alert),
per fuzzer, printed; the bounds are what the domain signals promise."""

from __future__ import annotations

import collections
from pathlib import Path

import dnstwist
import pytest

from insa.cyber.assets import load
from insa.cyber.signals import Prepared, prepare, score, split

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def prep() -> Prepared:
    return prepare(load(DATA / "assets.yaml"))


def _flagged(prep: Prepared, domain: str, tld: str) -> dict[str, float]:
    f = dnstwist.Fuzzer(domain)
    _, label, _ = split(domain)
    f.subdomain, f.domain, f.tld = "", label, tld
    f.generate()
    seen: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for row in f.domains:
        if row["fuzzer"] in ("*original", "subdomain"):
            continue
        seen[row["fuzzer"]][0] += 1
        seen[row["fuzzer"]][1] += score(row["domain"], prep).verdict != "ignore"
    return {k: hit / n for k, (n, hit) in seen.items()}


@pytest.mark.parametrize(
    ("domain", "tld", "bounds"),
    [
        ("gosi.kr", "kr", {"homoglyph": 0.95, "transposition": 1.0, "repetition": 1.0, "omission": 1.0, "insertion": 0.9}),
        ("hometax.go.kr", "com", {"homoglyph": 0.9, "transposition": 1.0, "repetition": 1.0, "omission": 1.0,
                                  "hyphenation": 1.0, "insertion": 0.9, "replacement": 0.9, "bitsquatting": 0.9}),
        ("hometax.go.kr", "kr", {"homoglyph": 0.9, "addition": 1.0, "vowel-swap": 1.0}),
        ("kdca.go.kr", "com", {"homoglyph": 0.6, "transposition": 1.0, "hyphenation": 1.0}),
    ],
)  # fmt: skip
def test_dnstwists_permutations_are_flagged(prep: Prepared, domain: str, tld: str, bounds: dict[str, float],
                                           capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    got = _flagged(prep, domain, tld)
    with capsys.disabled():
        print(f"\n{domain} → .{tld}: " + ", ".join(f"{k} {v:.0%}" for k, v in sorted(got.items())))
    for fuzzer, bound in bounds.items():
        assert got[fuzzer] >= bound, (fuzzer, got[fuzzer])
