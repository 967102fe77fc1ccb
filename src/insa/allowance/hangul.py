"""Hangul syllable arithmetic and the spelling confusions of Korean names, on syllable codes.

A syllable code is the syllable's offset from 가 (U+AC00) plus one, so that 0 can stand for
"no syllable" in 0-padded name matrices. A syllable is ``(lead * 21 + vowel) * 28 + tail``
(19 leads, 21 vowels, 28 tails counting "no tail"), which is what Unicode NFD splits into
conjoining jamo.

Folding maps each spelling confusion class to one letter: tense → plain initials
(ㄲ/ㄱ ㄸ/ㄷ ㅃ/ㅂ ㅆ/ㅅ ㅉ/ㅈ), the vowels ㅐ/ㅔ ㅒ/ㅖ ㅙ ㅞ/ㅚ ㅢ/ㅣ, the finals ㅇ/ㄴ ㄲ/ㄱ ㅆ/ㅅ. It is
declared once, here, by letter index: the generator of synthetic claims
(:mod:`insa.allowance.synth_claims`) folds syllable codes with it — it plants realistic
misspellings (one confusion within a fold class, or a missing syllable) and must keep
accidental look-alikes out — and :mod:`insa.allowance.linkage` folds names in SQL with the
same table as conjoining jamo (:func:`jamo_fold`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]

HANGUL0 = 0xAC00  # 가
N_SYLLABLES = 11172

# Folding by letter index: lead, vowel and tail maps (each confusion class → one letter).
FOLD_LEAD = {1: 0, 4: 3, 8: 7, 10: 9, 13: 12}
FOLD_VOWEL = {1: 5, 3: 7, 10: 11, 15: 11, 19: 20}
FOLD_TAIL = {21: 4, 2: 1, 20: 19}
# the first conjoining jamo of each position (U+1100 ㄱ, U+1161 ㅏ; tail 0 is "no tail", so
# tail i is U+11A7 + i): the letter indices above as the letters of Unicode NFD
LEAD_JAMO0, VOWEL_JAMO0, TAIL_JAMO0 = 0x1100, 0x1161, 0x11A7
# realistic one-letter spelling confusions (each within one fold class)
CONFUSE_VOWEL = {1: (5,), 5: (1,), 3: (7,), 7: (3,), 10: (11, 15), 11: (10, 15), 15: (10, 11)}
CONFUSE_TAIL = {21: (4,), 4: (21,), 20: (19,), 2: (1,)}


def syllables(text: str) -> list[int]:
    """Text → syllable codes + 1 (0 is reserved for 'no syllable')."""
    return [ord(c) - HANGUL0 + 1 for c in text]


def compose(lead: int, vowel: int, tail: int) -> int:
    return (lead * 21 + vowel) * 28 + tail


def decompose(s: int) -> tuple[int, int, int]:
    return s // 588, (s % 588) // 28, s % 28


def fold_table() -> I32:
    """Syllable code + 1 → folded syllable code + 1 (index 0 stays 0)."""
    s = np.arange(N_SYLLABLES)
    lead, vowel, tail = s // 588, (s % 588) // 28, s % 28
    for table, arr in ((FOLD_LEAD, lead), (FOLD_VOWEL, vowel), (FOLD_TAIL, tail)):
        for a, b in table.items():
            arr[arr == a] = b
    out = np.zeros(N_SYLLABLES + 1, dtype=np.int32)
    out[1:] = (lead * 21 + vowel) * 28 + tail + 1
    return out


def jamo_fold() -> tuple[str, str]:
    """The fold as conjoining jamo: (letters, the letters they fold to), for SQL
    ``translate`` over a name in NFD — leads, then vowels, then tails."""
    pairs = [
        (first + a, first + b)
        for first, table in (
            (LEAD_JAMO0, FOLD_LEAD), (VOWEL_JAMO0, FOLD_VOWEL), (TAIL_JAMO0, FOLD_TAIL),
        )
        for a, b in table.items()
    ]  # fmt: skip
    return "".join(chr(a) for a, _ in pairs), "".join(chr(b) for _, b in pairs)


def confusions(code: int) -> list[int]:
    """Realistic misspellings of one syllable (code + 1) that fold to the same syllable."""
    lead, vowel, tail = decompose(code - 1)
    out = [compose(lead, v, tail) + 1 for v in CONFUSE_VOWEL.get(vowel, ())]
    out += [compose(lead, vowel, t) + 1 for t in CONFUSE_TAIL.get(tail, ())]
    if vowel == 19:  # 희 → 히, 의 → 이
        out.append(compose(lead, 20, tail) + 1)
    if vowel == 20 and lead in (11, 18):  # 히 → 희, 이 → 의
        out.append(compose(lead, 19, tail) + 1)
    if lead in FOLD_LEAD:  # tense → plain
        out.append(compose(FOLD_LEAD[lead], vowel, tail) + 1)
    return out


def confuse(name: list[int], given_from: int, pick: int) -> list[int] | None:
    """``name`` with one spelling confusion, or None when no syllable has one.

    The confusion is in the given name (syllables from ``given_from`` on) if it has any,
    else in the surname; ``pick`` (any non-negative integer) chooses among the options.
    """
    options = [(i, alt) for i in range(given_from, len(name)) for alt in confusions(name[i])]
    if not options:
        options = [(i, alt) for i in range(given_from) for alt in confusions(name[i])]
    if not options:
        return None
    i, alt = options[pick % len(options)]
    return [alt if j == i else c for j, c in enumerate(name)]


def drop_syllable(name: list[int], given_from: int, pick: int) -> list[int]:
    """``name`` without one syllable of the given name, chosen by ``pick`` (non-negative)."""
    out = list(name)
    del out[given_from + pick % (len(name) - given_from)]
    return out
