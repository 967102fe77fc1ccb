"""One fold of spelling confusions: the generator's (syllable codes) and the linkage's (SQL
``translate`` over conjoining jamo) come from the same table and agree on every syllable."""

from __future__ import annotations

import unicodedata

import duckdb

from insa.allowance import linkage
from insa.allowance.hangul import HANGUL0, N_SYLLABLES, fold_table


def test_the_jamo_fold_is_the_syllable_fold_for_every_syllable() -> None:
    table = fold_table()
    jamo = str.maketrans(linkage._FOLD_FROM, linkage._FOLD_TO)
    assert len(linkage._FOLD_FROM) == len(linkage._FOLD_TO) == 13
    for s in range(N_SYLLABLES):
        folded = unicodedata.normalize("NFD", chr(HANGUL0 + int(table[s + 1]) - 1))
        assert unicodedata.normalize("NFD", chr(HANGUL0 + s)).translate(jamo) == folded, s


def test_the_sql_jamo_are_nfd() -> None:
    con = duckdb.connect()
    con.execute(linkage._JAMO_MACRO)
    names = ["김민준", "이서연", "황보예은", "강ㄱ A"]
    got = [con.execute("SELECT hangul_jamo(?)", [n]).fetchone()[0] for n in names]  # type: ignore[index]
    assert got == [unicodedata.normalize("NFD", n) for n in names]
