"""Names in Latin letters against names in Hangul: a sound skeleton both scripts reduce to.

A dependent born abroad, or a foreign-born spouse, is written ``KIM MINJUN``, ``Minjun Kim``
or ``GIM MIN-JUN`` at one organisation and 김민준 at another; 응우옌티호아 at one and
``NGUYEN THI HOA`` at another. Both are reduced to their consonants by sound class — vowels,
ㅇ/``Y``/``W``/``H`` dropped; ㄱ/ㅋ/ㄲ and ``G``/``K``/``C``/``Q`` one class, ㄷ/ㅌ and ``D``/``T``,
ㅂ/ㅍ and ``B``/``P``/``F``/``V``, ㅈ/ㅊ and ``J``/``CH``/``Z``, ㄹ and ``L``/``R``, final ㅇ and ``NG``
— so that the Revised Romanisation of a Hangul name and the Hangul transcription of a foreign
name meet the original: 김민준 and ``MINJUN KIM`` are both ``KMMNJN``; 응우옌티호아 and
``NGUYEN THI HOA`` both ``ŊNT``. Korean surnames are spelt in passports by custom, not by rule
(이 ``LEE``/``YI``/``RHEE``, 박 ``PARK``, 최 ``CHOI``): a table of the customary spellings
(:data:`SURNAME_SPELLINGS`) turns a recognised surname into its Hangul before the reduction,
and a surname written last is moved first.

Hangul names are reduced in SQL (:func:`skeleton_translate`, over the conjoining jamo of
:mod:`insa.allowance.linkage`); Latin names, a few in any run, in Python (:func:`latin_key`).
The skeleton is only compared across scripts: within Hangul it drops too much (서연, 수연).
"""

from __future__ import annotations

import re

from insa.allowance.hangul import LEAD_JAMO0, TAIL_JAMO0, VOWEL_JAMO0

# customary passport spellings of Korean surnames (the commonest; the Ministry of Foreign
# Affairs' romanisation guidance and common usage)
SURNAME_SPELLINGS: dict[str, tuple[str, ...]] = {
    "김": ("KIM", "GIM", "KHIM"), "이": ("LEE", "YI", "RHEE", "RHIE", "YEE", "I", "RI"),
    "박": ("PARK", "PAK", "BAK", "BARK"), "최": ("CHOI", "CHOE", "CHOY"),
    "정": ("JUNG", "JEONG", "CHUNG", "CHEONG", "JOUNG"), "강": ("KANG", "GANG"),
    "조": ("CHO", "JO", "CHOH"), "윤": ("YOON", "YUN", "YOUN"), "장": ("JANG", "CHANG"),
    "임": ("LIM", "IM", "YIM", "RIM"), "한": ("HAN",), "오": ("OH", "O"),
    "서": ("SEO", "SUH", "SEOH"), "신": ("SHIN", "SIN"), "권": ("KWON", "GWON"),
    "황": ("HWANG",), "안": ("AHN", "AN"), "송": ("SONG",), "전": ("JEON", "JUN", "CHUN"),
    "홍": ("HONG",), "유": ("YOO", "YU", "YOU"), "고": ("KO", "GO", "KOH"),
    "문": ("MOON", "MUN"), "양": ("YANG",), "손": ("SON", "SOHN"), "배": ("BAE", "PAE"),
    "백": ("BAEK", "PAIK", "BAIK"), "허": ("HEO", "HUR", "HUH"), "노": ("NOH", "ROH", "NO"),
    "남": ("NAM",), "심": ("SHIM", "SIM"), "하": ("HA",), "곽": ("KWAK", "GWAK"),
    "성": ("SUNG", "SEONG"), "차": ("CHA",), "주": ("JOO", "JU", "CHOO"), "우": ("WOO", "WU"),
    "구": ("KOO", "KU", "GU"), "나": ("NA", "RA"), "민": ("MIN",), "류": ("RYU", "RYOO", "YU"),
    "진": ("JIN", "CHIN"), "지": ("JI", "CHI"), "엄": ("UM", "EOM", "EUM"), "채": ("CHAE",),
    "원": ("WON",), "천": ("CHEON", "CHUN"), "방": ("BANG",), "공": ("KONG", "GONG"),
    "현": ("HYUN", "HYEON"), "함": ("HAM",), "변": ("BYUN", "BYEON"), "염": ("YEOM", "YUM"),
    "여": ("YEO", "YUH"), "추": ("CHU", "CHOO"), "도": ("DO", "DOH"), "석": ("SEOK", "SUK"),
    "남궁": ("NAMGUNG", "NAMKOONG"), "황보": ("HWANGBO",), "제갈": ("JEGAL",),
    "선우": ("SUNWOO", "SEONU"),
}  # fmt: skip
_BY_SPELLING = {sp: h for h, spellings in SURNAME_SPELLINGS.items() for sp in spellings}

# sound classes by jamo index: leads (19), tails (1..27); vowels all drop
_LEAD_CLASS = "KKNTTLMPPSS JJJKTP "  # ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ (ㅇ, ㅎ drop)
_TAIL_CLASS = (
    "KKKNNNTLKMLLLPLMPPTTŊTTKTPT"  # ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ
)
_DIGRAPHS = (("NG", "Ŋ"), ("CH", "J"), ("SH", "S"), ("PH", "P"), ("TH", "T"), ("KH", "K"),
             ("KK", "K"), ("TT", "T"), ("PP", "P"), ("SS", "S"), ("JJ", "J"))  # fmt: skip
_LATIN_CLASS = str.maketrans("GKCQBPFVDTJZSXLRMN", "KKKKPPPPTTJJSSLLMN", "AEIOUYWH")


def skeleton_translate() -> tuple[str, str]:
    """(letters, their classes) for SQL ``translate`` over conjoining jamo: every letter
    without a class (vowels, lead ㅇ and ㅎ) comes last in the first string, to be dropped."""
    keep_from: list[str] = []
    keep_to: list[str] = []
    drop: list[str] = []
    for i, cls in enumerate(_LEAD_CLASS):
        (drop if cls == " " else keep_from).append(chr(LEAD_JAMO0 + i))
        if cls != " ":
            keep_to.append(cls)
    for i, cls in enumerate(_TAIL_CLASS, start=1):
        keep_from.append(chr(TAIL_JAMO0 + i))
        keep_to.append(cls)
    drop += [chr(VOWEL_JAMO0 + v) for v in range(21)]
    return "".join(keep_from + drop), "".join(keep_to)


def hangul_skeleton(text: str) -> str:
    """The skeleton of Hangul text (what the SQL computes; for Latin surnames here)."""
    out = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            continue
        lead, tail = code // 588, code % 28
        if _LEAD_CLASS[lead] != " ":
            out.append(_LEAD_CLASS[lead])
        if tail:
            out.append(_TAIL_CLASS[tail - 1])
    return "".join(out)


def _latin_sound(word: str) -> str:
    for a, b in _DIGRAPHS:
        word = word.replace(a, b)
    return word.translate(_LATIN_CLASS)


def latin_key(name: str) -> tuple[str, str, str]:
    """A Latin-letter name → (its normal form, its skeleton read surname first, its skeleton
    read surname last). Passports write either order (``KIM MINJUN``, ``Minjun Kim``), and a
    syllable of a given name can itself be a surname's spelling (``JU``, ``CHAE``), so both
    readings are kept and a Hangul name is compared with each. The normal form is upper case,
    a recognised Korean surname first, without spaces or hyphens (``Minjun Kim``,
    ``KIM MIN-JUN`` → ``KIMMINJUN``)."""
    words = [w for w in re.split(r"[^A-Z]+", name.upper()) if w]
    if not words:
        return "", "", ""
    first = _reading(words)
    last = _reading([words[-1], *words[:-1]]) if len(words) > 1 else first
    if len(words) > 1 and words[-1] in _BY_SPELLING and words[0] not in _BY_SPELLING:
        words = [words[-1], *words[:-1]]
    return "".join(words), first, last


def _reading(words: list[str]) -> str:
    """The skeleton of words read with the first as the surname."""
    sur = _BY_SPELLING.get(words[0]) if len(words) > 1 else None
    head = hangul_skeleton(sur) if sur else _latin_sound(words[0])
    return head + "".join(_latin_sound(w) for w in words[1:])
