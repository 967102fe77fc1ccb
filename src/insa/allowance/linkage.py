"""Probable double claims where a side has no ``dependent_key``: Splink, DuckDB backend.

Candidates are claims in force by ``as_of`` (the ``active`` table of :mod:`verify`). Only
pairs with at least one side lacking a key are generated — two keyed records never pair
here, so namesakes with different keys are never reported — and pairs of the same claimant
at the same organisation are left out.

The model is fixed, not trained at run time: m and u probabilities per comparison level, set
below from judgement and from ``estimate_u_using_random_sampling`` on generated data, so a
run is deterministic and needs no labelled data. Names are compared on Hangul letters (jamo):
one syllable is three letters, so 김민준/김민중 differ by one letter where a syllable-level
distance would see a third of the name changed; common spelling confusions (ㅐ/ㅔ, tense and
plain consonants, final ㄴ/ㅇ) are folded before comparing.

On Spark, the same settings run through ``splink.SparkAPI(spark_session=…)`` in place of
``DuckDBAPI`` (see docs/allowance.md); the jamo columns are then precomputed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import duckdb

from insa.allowance.hangul import (
    HANGUL0,
    LEAD_JAMO0,
    N_SYLLABLES,
    TAIL_JAMO0,
    VOWEL_JAMO0,
    jamo_fold,
)
from insa.allowance.pairs import PAIR_COLUMNS, pair_rows
from insa.params import fraction, load

# Hangul syllable → conjoining jamo (the same result as Unicode NFD), in SQL.
_S0, _LAST = HANGUL0, HANGUL0 + N_SYLLABLES - 1
_JAMO_MACRO = f"""CREATE OR REPLACE TEMP MACRO hangul_jamo(s) AS (
  array_to_string(list_transform(string_split(s, ''), lambda c:
    CASE WHEN unicode(c) BETWEEN {_S0} AND {_LAST} THEN
      chr({LEAD_JAMO0} + (unicode(c) - {_S0}) // 588)
      || chr({VOWEL_JAMO0} + ((unicode(c) - {_S0}) % 588) // 28)
      || CASE WHEN (unicode(c) - {_S0}) % 28 > 0 THEN chr({TAIL_JAMO0} + (unicode(c) - {_S0}) % 28)
              ELSE '' END
    ELSE c END), ''))"""
# spelling confusions folded together (the table of :mod:`insa.allowance.hangul`): tense →
# plain initials; ㅐ/ㅔ ㅒ/ㅖ ㅙ ㅞ/ㅚ ㅢ/ㅣ; finals ㅇ/ㄴ ㄲ/ㄱ ㅆ/ㅅ
_FOLD_FROM, _FOLD_TO = jamo_fold()

# The prior is per pair of claims, so it shrinks as the data grows: the same name, birth date
# and relation score about 0.99 among 60,000 claims and about 0.6 among 5,000,000 — where they
# are also less conclusive, since namesakes born the same day exist nationally. Probable
# findings are a review list: at 0.5, precision 0.96 and recall 1.0 on 60,000 generated claims;
# at national scale 0.5 keeps exact-name matches, and a lower --threshold (0.15) also keeps
# spelling confusions and missing syllables (docs/allowance.md). Both figures are parameters
# (``allowance/params/verification/probable_match.yaml``).


def match_rules(on: dt.date | None = None) -> tuple[float, float]:
    """(threshold, duplicate share) in force on ``on`` (today by default)."""
    p = load("allowance").get("verification.probable_match", on or dt.date.today())
    return float(fraction(p["threshold"])), float(fraction(p["duplicate_share"]))


def _prepare(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    con.execute(_JAMO_MACRO)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE link_input AS
        WITH t AS (
          SELECT ref AS unique_id, source_org, claimant_key, dependent_key,
                 regexp_replace(nfc_normalize(dependent_name), '\\s+', '', 'g') AS dependent_name,
                 strftime(dependent_birth_date, '%Y-%m-%d') AS dependent_birth_date, relation,
                 start_m, stop_m, monthly_amount
          FROM active),
        j AS (
          SELECT *, hangul_jamo(dependent_name) AS name_jamo,
                 translate(hangul_jamo(dependent_name), '{_FOLD_FROM}', '{_FOLD_TO}') AS name_fold,
                 translate(hangul_jamo(left(dependent_name, 1)), '{_FOLD_FROM}', '{_FOLD_TO}')
                   AS fold_first,
                 translate(hangul_jamo(right(dependent_name, 1)), '{_FOLD_FROM}', '{_FOLD_TO}')
                   AS fold_last
          FROM t)
        SELECT * FROM j
        -- a keyed claim can only pair with a keyless one of the same birth date
        WHERE dependent_key IS NULL
          OR dependent_birth_date IN (SELECT dependent_birth_date FROM j WHERE dependent_key IS NULL)"""
    )
    row = con.execute(
        "SELECT count(*) FILTER (WHERE dependent_key IS NULL), count(*) FROM link_input"
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def _level(level: Any, m: float, u: float) -> Any:
    return level.configure(m_probability=m, u_probability=u)


def _name_comparison() -> Any:
    """Dependent names: exact, then the spelling confusions folded, a missing syllable, one
    other letter, two letters (on jamo), else different."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="dependent_name",
        comparison_levels=[
            cll.NullLevel("dependent_name"),
            _level(cll.ExactMatchLevel("dependent_name"), 0.80, 3e-4),
            _level(cll.CustomLevel("name_fold_l = name_fold_r", "spelling confusion"), 0.08, 2e-4),
            _level(
                cll.CustomLevel(
                    "abs(length(dependent_name_l) - length(dependent_name_r)) = 1 "
                    "AND levenshtein(dependent_name_l, dependent_name_r) = 1",
                    "one syllable missing",
                ),
                0.06,
                6e-5,
            ),
            _level(
                cll.CustomLevel(
                    "damerau_levenshtein(name_jamo_l, name_jamo_r) <= 1", "one other letter"
                ),
                0.03,
                1e-3,
            ),
            _level(
                cll.CustomLevel("levenshtein(name_fold_l, name_fold_r) <= 2", "two letters"),
                0.01,
                6e-3,
            ),
            _level(cll.ElseLevel(), 0.02, 0.9905),
        ],
    )


def _birth_date_comparison() -> Any:
    """Dependent birth dates: exact, then day and month swapped, within three days, one
    character off, else different."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="dependent_birth_date",
        comparison_levels=[
            cll.NullLevel("dependent_birth_date"),
            _level(cll.ExactMatchLevel("dependent_birth_date"), 0.95, 6e-5),
            _level(
                cll.CustomLevel(
                    "substr(dependent_birth_date_l, 1, 4) = substr(dependent_birth_date_r, 1, 4)"
                    " AND substr(dependent_birth_date_l, 6, 2) = substr(dependent_birth_date_r, 9, 2)"
                    " AND substr(dependent_birth_date_l, 9, 2) = substr(dependent_birth_date_r, 6, 2)",
                    "day and month swapped",
                ),
                0.01,
                2.5e-5,
            ),
            _level(
                cll.AbsoluteDateDifferenceLevel(
                    "dependent_birth_date", input_is_string=True, threshold=3, metric="day"
                ),
                0.01,
                3.3e-4,
            ),
            _level(cll.LevenshteinLevel("dependent_birth_date", 1), 0.02, 1.2e-3),
            _level(cll.ElseLevel(), 0.01, 0.9984),
        ],
    )


def _comparisons() -> list[Any]:
    """The fixed model: name, birth date and relation, with their m and u probabilities."""
    import splink.comparison_library as cl

    relation = cl.ExactMatch("relation").configure(
        m_probabilities=[0.95, 0.05], u_probabilities=[0.43, 0.57]
    )
    # the claimant, keyed on both sides: a claim of the same claimant at another organisation
    # is an open transfer far more often than two different dependents of one claimant share a
    # birth date and a syllable (twins); different claimants are the double claims' case
    claimant = cl.ExactMatch("claimant_key").configure(
        m_probabilities=[0.3, 0.7], u_probabilities=[2e-5, 1 - 2e-5]
    )
    return [_name_comparison(), _birth_date_comparison(), relation, claimant]


def _settings(keyless: int, total: int) -> Any:
    """The Splink settings for ``keyless`` claims without a key among ``total``: the fixed
    comparisons, the prior from the duplicate share in force, and the blocking rules."""
    from splink import SettingsCreator, block_on
    from splink.blocking_rule_library import And, CustomRule

    pairs = keyless * (total - keyless) + keyless * (keyless - 1) / 2
    _threshold, duplicate_share = match_rules()
    prior = min(max(duplicate_share * keyless / max(pairs, 1.0), 1e-12), 0.5)
    one_keyless = CustomRule("l.dependent_key IS NULL OR r.dependent_key IS NULL")
    not_same_place = CustomRule(
        "NOT (l.claimant_key = r.claimant_key AND l.source_org = r.source_org)"
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=_comparisons(),
        # same birth date and the same first or last syllable (spelling confusions folded):
        # covers exact names, spelling confusions and a missing syllable, at a few comparisons
        # per keyless claim even at national scale
        blocking_rules_to_generate_predictions=[
            And(block_on("dependent_birth_date", "fold_first"), one_keyless, not_same_place),
            And(block_on("dependent_birth_date", "fold_last"), one_keyless, not_same_place),
        ],
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[
            "dependent_key", "source_org", "claimant_key", "start_m", "stop_m", "monthly_amount",
        ],
    )  # fmt: skip


def probable_pairs(
    con: duckdb.DuckDBPyConnection, *, threshold: float | None = None
) -> Iterator[tuple[dict[str, Any], float]]:
    """Pairs scored at or above ``threshold`` (default: the parameter in force) that also
    overlap in time, as verify rows."""
    from splink import DuckDBAPI, Linker

    if threshold is None:
        threshold = match_rules()[0]

    keyless, total = _prepare(con)
    if keyless == 0:
        return
    db_api = DuckDBAPI(con)
    table = db_api.register("link_input", dataset_display_name="claims")
    linker = Linker(table, _settings(keyless, total), log_level=logging.WARNING)
    pred = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE probable AS
        SELECT p.match_probability AS probability,
          least(p.unique_id_l, p.unique_id_r) AS ref_a, greatest(p.unique_id_l, p.unique_id_r) AS ref_b
        FROM {pred.physical_name} p
        WHERE (p.dependent_key_l IS NULL OR p.dependent_key_r IS NULL)
          AND greatest(p.start_m_l, p.start_m_r) <= least(p.stop_m_l, p.stop_m_r)"""
    )
    rows = pair_rows(
        con,
        f"""SELECT {PAIR_COLUMNS}, p.probability FROM probable p
        JOIN active a ON a.ref = p.ref_a JOIN active b ON b.ref = p.ref_b
        ORDER BY a.ref, b.ref""",
    )
    for r in rows:
        yield r, float(r["probability"])
