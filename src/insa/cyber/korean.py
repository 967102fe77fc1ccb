"""Korean names as attackers spell them in Latin letters: the Revised Romanization
(korean-romanizer, with its sound changes: 국가 → gukga), and the spellings people and
attackers also use — McCune–Reischauer without its marks (k/t/p/ch for g/d/b/j, o and u
for eo and eu), and the common ones (oo for u, ee for i, sh for s before i, r for l) —
each variant with the substitutions that made it (``g>k``, ``eo>o``) for a finding's
reasons. Plain functions over strings."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from functools import cache

from korean_romanizer.romanizer import Romanizer

HANGUL_START, HANGUL_END = 0xAC00, 0xD7A3
# per jamo: the Revised Romanization first, then the other spellings in use
INITIALS = (("g", "k"), ("kk", "gg"), ("n",), ("d", "t"), ("tt", "dd"), ("r", "l"), ("m",),
            ("b", "p"), ("pp", "bb"), ("s", "sh"), ("ss",), ("",), ("j", "ch"), ("jj", "tch"),
            ("ch", "c"), ("k",), ("t",), ("p", "f"), ("h",))  # fmt: skip
MEDIALS = (("a",), ("ae", "e"), ("ya",), ("yae",), ("eo", "o", "u"), ("e",), ("yeo", "yo"),
           ("ye",), ("o",), ("wa",), ("wae",), ("oe", "oi", "we"), ("yo",), ("u", "oo"),
           ("wo",), ("we",), ("wi",), ("yu",), ("eu", "u"), ("ui", "eui"), ("i", "ee"))  # fmt: skip
FINALS = (("",), ("k", "g"), ("k",), ("k",), ("n",), ("n",), ("n",), ("t", "d"), ("l", "r"),
          ("k",), ("m",), ("l",), ("l",), ("l",), ("p",), ("l",), ("m",), ("p", "b"), ("p",),
          ("t", "s"), ("t", "ss"), ("ng",), ("t", "j"), ("t",), ("k",), ("t",), ("p",), ("t", "h"))  # fmt: skip
MAX_VARIANTS = 400
# whole words spelt otherwise in practice (service names, agency acronyms)
COMMON: dict[str, tuple[str, ...]] = {
    "정부": ("gov", "jungbu"), "국세청": ("nts",), "홈택스": ("hometax",), "고시": ("gosi", "kosi"),
    "민원": ("minwon", "minone"), "인사혁신처": ("mpm",), "법제처": ("moleg",), "질병관리청": ("kdca",),
    "국가보훈부": ("mpva",), "새만금": ("saemangeum", "saemankum"), "행복청": ("naacc",),
    "우체국": ("epost", "koreapost"), "경찰청": ("police", "knpa"), "건강보험": ("nhis",),
}  # fmt: skip


def is_hangul(ch: str) -> bool:
    return HANGUL_START <= ord(ch) <= HANGUL_END


def has_hangul(text: str) -> bool:
    return any(is_hangul(c) for c in text)


def _jamo(ch: str) -> tuple[int, int, int]:
    code = ord(ch) - HANGUL_START
    return code // 588, (code % 588) // 28, code % 28


@cache
def revised(text: str) -> str:
    """The Revised Romanization of ``text`` (spaces and marks dropped, Latin letters and
    digits kept, lower case)."""
    out = Romanizer(text).romanize().lower()
    return re.sub(r"[^a-z0-9]", "", out)


MR = {"initial": {"g": "k", "d": "t", "b": "p", "j": "ch"}, "medial": {"eo": "o", "eu": "u"}}


def _slots(text: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """Each part of the text (initial, medial, final or other) with its alternatives, each
    (spelling, the jamo's RR spelling)."""
    slots: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for ch in text:
        if is_hangul(ch):
            i, m, f = _jamo(ch)
            for kind, table, idx in (
                ("initial", INITIALS, i),
                ("medial", MEDIALS, m),
                ("final", FINALS, f),
            ):
                alts = table[idx]
                slots.append((kind, tuple((a, alts[0]) for a in alts)))
        elif ch.isascii() and ch.isalnum():
            slots.append(("other", ((ch.lower(), ch.lower()),)))
    return slots


def variants(text: str, limit: int = MAX_VARIANTS) -> dict[str, tuple[str, ...]]:
    """Latin spellings of ``text`` → the substitutions from the Revised Romanization that
    make each one (empty for the RR forms: the romanizer's, with sound changes, and the
    letter-by-letter one). Bounded: the RR forms, McCune–Reischauer as a whole, and every
    spelling that differs in one or two places."""
    out: dict[str, tuple[str, ...]] = {}
    rr = revised(text)
    if rr:
        out[rr] = ()
    typed = _slots(text)
    slots = [alts for _, alts in typed]
    base = "".join(s[0][0] for s in slots)
    if base:
        out.setdefault(base, ())
    choice = [i for i, s in enumerate(slots) if len(s) > 1]
    mr_parts = [MR.get(kind, {}).get(alts[0][0], alts[0][0]) for kind, alts in typed]
    mr = "".join(mr_parts)
    if mr and mr not in out:
        out[mr] = tuple(sorted({f"{alts[0][0]}>{m}" for (_, alts), m in zip(typed, mr_parts, strict=True)
                                if m != alts[0][0]}))  # fmt: skip
    for k in (1, 2):
        for picks in itertools.combinations(choice, k):
            for alts in itertools.product(*(range(1, len(slots[p])) for p in picks)):
                spelled = [s[0][0] for s in slots]
                subs = []
                for p, a in zip(picks, alts, strict=True):
                    spelled[p] = slots[p][a][0]
                    subs.append(f"{slots[p][0][0] or '∅'}>{slots[p][a][0] or '∅'}")
                word = "".join(spelled)
                if word and word not in out:
                    out[word] = tuple(subs)
                if len(out) >= limit:
                    return out
    return out


def spellings(name: str) -> Iterator[tuple[str, str]]:
    """Every Latin form of a service name worth matching: (spelling, how it was made) —
    ``rr``, ``romanisation:g>k``, ``common``, or ``name`` for a Latin name as written."""
    text = re.sub(r"\s+", "", name.strip())
    if not text:
        return
    if not has_hangul(text):
        latin = re.sub(r"[^a-z0-9]", "", text.lower())
        if latin:
            yield latin, "name"
        return
    for word, alts in COMMON.items():
        if word == text:
            for a in alts:
                yield a, "common"
    for spelled, subs in variants(text).items():
        yield spelled, ("romanisation:" + ",".join(subs)) if subs else "rr"
