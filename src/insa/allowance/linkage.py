"""Probable double claims where a side has no ``dependent_key``: Splink, DuckDB backend.

Candidates are claims in force by ``as_of`` (the ``active`` table of :mod:`verify`). Only
pairs with at least one side lacking a key are generated — two keyed records never pair
here, so namesakes with different keys are never reported — and pairs of the same claimant
at the same organisation are left out.

The model is trained on each run's candidates (:func:`train`): u by random sampling, m from
the exact matches (keyed pairs of one dependent as labels) and, for the names, by expectation
maximisation over keyless pairs; the prior from the exact matches' share. Beyond the
dependent's name, birth date and relation it compares the claimants (the same one, their
ages, an age unfit for the relation), the other dependents of each household claimed at each
organisation, the child order and the claimants' surnames (docs/allowance.md). Names are
compared on Hangul letters (jamo): one syllable is three letters, so 김민준/김민중 differ by one
letter where a syllable-level distance would see a third of the name changed; common
spelling confusions (ㅐ/ㅔ, tense and plain consonants, final ㄴ/ㅇ) are folded before
comparing; a Latin spelling meets a Hangul one by its sound skeleton (:mod:`roman`).

On Spark the model trained in DuckDB predicts through ``splink.SparkAPI`` (:func:`apply_model`).
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
from insa.allowance.roman import latin_key, skeleton_translate
from insa.params import fraction, load

log = logging.getLogger(__name__)

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


def match_rules(on: dt.date | None = None) -> tuple[float, float]:
    """(threshold, duplicate share) in force on ``on`` (today by default)."""
    p = load("allowance").get("verification.probable_match", on or dt.date.today())
    return float(fraction(p["threshold"])), float(fraction(p["duplicate_share"]))


_SKEL_FROM, _SKEL_TO = skeleton_translate()
# a claimant's age against the dependent's that the relation allows (days)
_YEAR = 365
_GAP_OK = f"""CASE a.relation
  WHEN 'child' THEN a.dbd - a.cbd BETWEEN {15 * _YEAR} AND {60 * _YEAR}
  WHEN 'lineal_ascendant' THEN a.cbd - a.dbd BETWEEN {15 * _YEAR} AND {60 * _YEAR}
  WHEN 'spouse' THEN abs(a.dbd - a.cbd) <= {30 * _YEAR}
  ELSE true END"""


def _prepare(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Every claim in force with what the comparisons read (``link_all``: random pairs, labels
    and name frequencies are counted there), and the prediction's candidates (``link_input``):
    the keyless claims and the keyed ones sharing a blocking key with one. Names are prepared
    once per distinct name (a national file repeats its popular names thousands of times)."""
    con.execute(_JAMO_MACRO)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE name_forms AS
        WITH d AS (SELECT dependent_name AS raw FROM active UNION SELECT claimant_name FROM active),
        n AS (SELECT raw, regexp_replace(nfc_normalize(raw), '[\\s·.\\-]+', '', 'g') AS nm,
                     regexp_matches(raw, '[A-Za-z]') AS latin FROM d),
        j AS (SELECT *, hangul_jamo(nm) AS jamo FROM n)
        SELECT raw, nm AS dependent_name, latin, jamo AS name_jamo,
          translate(jamo, '{_FOLD_FROM}', '{_FOLD_TO}') AS name_fold,
          translate(hangul_jamo(left(nm, 1)), '{_FOLD_FROM}', '{_FOLD_TO}') AS fold_first,
          translate(hangul_jamo(left(nm, 2)), '{_FOLD_FROM}', '{_FOLD_TO}') AS fold_12,
          translate(hangul_jamo(right(nm, 2)), '{_FOLD_FROM}', '{_FOLD_TO}') AS fold_l2,
          translate(hangul_jamo(left(nm, 1) || right(nm, 1)), '{_FOLD_FROM}', '{_FOLD_TO}') AS fold_1l,
          translate(jamo, '{_SKEL_FROM}', '{_SKEL_TO}') AS skel,
          translate(jamo, '{_SKEL_FROM}', '{_SKEL_TO}') AS skel2
        FROM j"""
    )
    latin = [r[0] for r in con.execute("SELECT raw FROM name_forms WHERE latin").fetchall()]
    if latin:
        keys = [(raw, *latin_key(raw)) for raw in latin]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE latin_forms (raw VARCHAR, nm VARCHAR, skel VARCHAR, skel2 VARCHAR)"
        )
        con.executemany("INSERT INTO latin_forms VALUES (?, ?, ?, ?)", keys)
        con.execute(
            """UPDATE name_forms SET dependent_name = l.nm, name_jamo = l.nm, name_fold = l.nm,
                 fold_first = left(l.nm, 1), fold_12 = l.nm, fold_l2 = l.nm, fold_1l = l.nm,
                 skel = l.skel, skel2 = l.skel2
            FROM latin_forms l WHERE name_forms.raw = l.raw"""
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE link_all AS
        WITH kin AS (
          SELECT hash(c.claimant_key, c.source_org) AS place,
                 list(hash(c.dependent_birth_date, f.name_fold)) AS kin
          FROM active c JOIN name_forms f ON f.raw = c.dependent_name
          GROUP BY 1),
        a AS (
          SELECT c.*, datediff('day', DATE '1970-01-01', c.claimant_birth_date) AS cbd,
                 datediff('day', DATE '1970-01-01', c.dependent_birth_date) AS dbd,
                 hash(c.claimant_key, c.source_org) AS place
          FROM active c)
        SELECT a.ref AS unique_id, hash(a.claimant_key) AS claimant_hash,
          a.place, hash(a.claimant_key, 'tag') AS claimant_tag,
          a.dependent_key IS NULL AS keyless,
          CASE WHEN a.dependent_key IS NOT NULL THEN hash(a.dependent_key) END AS dep_hash,
          f.dependent_name, strftime(a.dependent_birth_date, '%Y-%m-%d') AS dependent_birth_date,
          a.relation, a.child_order, a.start_m, a.stop_m,
          f.latin, f.name_jamo, f.name_fold, f.fold_first, f.fold_12, f.fold_l2, f.fold_1l, f.skel, f.skel2,
          a.cbd AS claimant_born, ({_GAP_OK}) AS age_fits,
          CASE WHEN f.latin THEN NULL
               ELSE (left(a.claimant_name, 1) = left(f.dependent_name, 1))::INTEGER END AS same_surname,
          list_filter(k.kin, lambda x: x <> hash(a.dependent_birth_date, f.name_fold)) AS kin,
          hash(a.claimant_birth_date, me.name_fold) AS me
        FROM a JOIN name_forms f ON f.raw = a.dependent_name
        JOIN name_forms me ON me.raw = a.claimant_name
        JOIN kin k ON k.place = a.place"""
    )
    # what the prediction compares: the keyless claims, and the keyed ones that share a
    # blocking key with one (the same pairs as blocking the whole, on a fraction of the rows)
    block_keys = ", ".join(f"hash(dependent_birth_date, {c})" for c in _BLOCK_COLUMNS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE link_input AS
        WITH kl AS (SELECT DISTINCT unnest([{block_keys}]) AS h FROM link_all WHERE keyless),
        near AS (
          SELECT DISTINCT unique_id FROM
            (SELECT unique_id, unnest([{block_keys}]) AS h FROM link_all WHERE NOT keyless) k
          SEMI JOIN kl USING (h))
        SELECT * FROM link_all WHERE keyless OR unique_id IN (SELECT unique_id FROM near)"""
    )
    # how common each name is, among all candidates (the term-frequency adjustment)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE name_tf AS
        SELECT dependent_name, count(*) / (SELECT count(*) FROM link_all) AS tf_dependent_name
        FROM link_all GROUP BY dependent_name"""
    )
    row = con.execute("SELECT count(*) FILTER (WHERE keyless), count(*) FROM link_all").fetchall()[
        0
    ]
    return int(row[0]), int(row[1])


def _level(level: Any, m: float, u: float) -> Any:
    return level.configure(m_probability=m, u_probability=u)


def _name_comparison() -> Any:
    """Dependent names: exact, then the spelling confusions folded, a missing syllable, one
    other letter (on jamo), the same sound across scripts (a Latin spelling and a Hangul
    one), two letters, else different. The m and u here are starting values; a run trains
    them (:func:`_train`)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="dependent_name",
        comparison_levels=[
            cll.NullLevel("dependent_name"),
            # weighted by how common the name is: two 김민준 born the same day are far likelier
            # namesakes than two 남궁별 (term frequency adjustment, from the candidates' names)
            _level(
                cll.ExactMatchLevel("dependent_name", term_frequency_adjustments=True), 0.80, 3e-4
            ),
            _level(cll.CustomLevel("name_fold_l = name_fold_r", "spelling confusion"), 0.08, 2e-4),
            _level(
                cll.CustomLevel(
                    "NOT latin_l AND NOT latin_r"
                    " AND abs(length(dependent_name_l) - length(dependent_name_r)) = 1"
                    " AND levenshtein(dependent_name_l, dependent_name_r) = 1",
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
                cll.CustomLevel(
                    "latin_l <> latin_r AND length(skel_l) >= 2"
                    " AND (skel_l = skel_r OR skel_l = skel2_r OR skel2_l = skel_r)",
                    "same sound in another script",
                ),
                0.02,
                1e-4,
            ),
            _level(
                cll.CustomLevel(
                    "NOT latin_l AND NOT latin_r AND levenshtein(name_fold_l, name_fold_r) <= 2",
                    "two letters",
                ),
                0.01,
                6e-3,
            ),
            _level(cll.ElseLevel(), 0.02, 0.99),
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


def _claimant_comparison() -> Any:
    """The two claimants: the same person (an open transfer), a claimant whose age does not
    fit the relation (a parent younger than the child), born within 3 years of each other
    (spouses, siblings), within 10, else."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="claimant",
        comparison_levels=[
            _level(cll.ExactMatchLevel("claimant_hash"), 0.3, 1e-5),
            _level(cll.CustomLevel("NOT (age_fits_l AND age_fits_r)", "an age unfit for the relation"), 0.005, 0.3),
            _level(cll.CustomLevel(f"abs(claimant_born_l - claimant_born_r) <= {3 * _YEAR}", "born within 3 years"), 0.45, 0.15),
            _level(cll.CustomLevel(f"abs(claimant_born_l - claimant_born_r) <= {10 * _YEAR}", "born within 10 years"), 0.2, 0.3),
            _level(cll.ElseLevel(), 0.045, 0.25),
        ],
    )  # fmt: skip


def _household_comparison(dialect: str = "duckdb") -> Any:
    """The other dependents each claimant claims at that organisation (birth date and folded
    name): two or more in common (the household's other children claimed on both sides), one
    — or one claimant claims the other (a spouse, a parent: their name and birth date among
    the other's dependents) —, none; no evidence either way when a side claims no one else."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    spark = dialect == "spark"
    size = "size" if spark else "len"
    shared = f"{size}({'array_intersect' if spark else 'list_intersect'}(kin_l, kin_r))"
    has = "array_contains" if spark else "list_contains"
    kin_of_other = f"({has}(kin_l, me_r) OR {has}(kin_r, me_l))"
    return cl.CustomComparison(
        output_column_name="household",
        comparison_levels=[
            cll.CustomLevel(
                f"claimant_hash_l = claimant_hash_r OR (({size}(kin_l) = 0 OR {size}(kin_r) = 0) AND NOT {kin_of_other})",
                "the same claimant, or no other dependent",
            ).configure(is_null_level=True),
            _level(cll.CustomLevel(f"{shared} >= 2", "two or more in common"), 0.3, 1e-5),
            _level(cll.CustomLevel(f"{shared} = 1 OR {kin_of_other}", "one in common"), 0.4, 1e-3),
            _level(cll.ElseLevel(), 0.3, 0.999),
        ],
    )  # fmt: skip


def _child_order_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="child_order",
        comparison_levels=[
            cll.NullLevel("child_order"),
            _level(cll.ExactMatchLevel("child_order"), 0.95, 0.5),
            _level(cll.ElseLevel(), 0.05, 0.5),
        ],
    )


def _surname_comparison() -> Any:
    """How many of the two claimants share the dependent's surname: a child's two parents
    usually one (the father), two namesakes' claimants as it happens."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    both = "same_surname_l + same_surname_r"
    return cl.CustomComparison(
        output_column_name="surnames",
        comparison_levels=[
            cll.CustomLevel(
                "claimant_hash_l = claimant_hash_r OR same_surname_l IS NULL OR same_surname_r IS NULL",
                "the same claimant, or unknown",
            ).configure(is_null_level=True),
            _level(cll.CustomLevel(f"{both} = 2", "both"), 0.3, 0.3),
            _level(cll.CustomLevel(f"{both} = 1", "one"), 0.6, 0.4),
            _level(cll.ElseLevel(), 0.1, 0.3),
        ],
    )  # fmt: skip


def _comparisons(dialect: str = "duckdb") -> list[Any]:
    """The model's comparisons, with starting m and u probabilities."""
    import splink.comparison_library as cl

    relation = cl.ExactMatch("relation").configure(
        m_probabilities=[0.95, 0.05], u_probabilities=[0.43, 0.57]
    )
    return [
        _name_comparison(), _birth_date_comparison(), relation, _claimant_comparison(),
        _household_comparison(dialect), _child_order_comparison(), _surname_comparison(),
    ]  # fmt: skip


_ONE_KEYLESS = "l.keyless OR r.keyless"
_NOT_SAME_PLACE = "l.place <> r.place"  # not the same claimant at the same organisation
_BLOCK_COLUMNS = ("name_fold", "fold_12", "fold_l2", "fold_1l", "skel", "skel2")


def _blocking() -> list[Any]:
    """Same birth date, one side keyless, not the same claimant at the same organisation, and
    a name alike in one of these ways: the same with spelling confusions folded; the same
    first two, last two, or first and last syllables (a missing syllable, or one other letter
    in the third); the same sound skeleton (a Latin spelling against Hangul). Each rule pairs
    a keyless claim with a handful of others even at national scale — where the birth date
    and surname alone pair it with hundreds."""
    from splink import block_on
    from splink.blocking_rule_library import And, CustomRule

    one_keyless, not_same = CustomRule(_ONE_KEYLESS), CustomRule(_NOT_SAME_PLACE)
    return [
        And(block_on("dependent_birth_date", column), one_keyless, not_same)
        for column in _BLOCK_COLUMNS
    ]


def _settings(keyless: int, total: int, prior: float | None = None, dialect: str = "duckdb") -> Any:
    """The Splink settings for ``keyless`` claims without a key among ``total``."""
    from splink import SettingsCreator

    if prior is None:
        pairs = keyless * (total - keyless) + keyless * (keyless - 1) / 2
        _threshold, duplicate_share = match_rules()
        prior = duplicate_share * keyless / max(pairs, 1.0)
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=_comparisons(dialect),
        blocking_rules_to_generate_predictions=_blocking(),
        probability_two_random_records_match=min(max(prior, 1e-12), 0.5),
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[
            "keyless", "start_m", "stop_m",
        ],
    )  # fmt: skip


# how many pairs the training reads: u from random pairs of candidates, m by EM over
# blocked pairs of a record sample (the counts are what Splink's estimates settle with at
# national scale, within a few seconds)
U_PAIRS = 1_000_000
EM_PAIRS = 1_000_000
MIN_LABELLED = 30  # keyed pairs of one dependent needed to learn m from them
MIN_EM_KEYLESS = 1_000  # keyless claims needed to learn how they type names
MIN_U_CANDIDATES = 5_000  # candidates needed for random pairs to show the rare levels
# the comparisons whose m the exact matches cannot teach: keyed organisations copy names from
# the resident register, so how a keyless organisation types them is learnt by EM
_EM_ONLY = {"dependent_name"}
_M_FLOOR = 1e-4  # no level is impossible among matches
_RARE_AMONG_RANDOM = {
    "household": {"two or more in common": 0.01, "one in common": 1.0},
    "dependent_name": {"same sound in another script": 1.0},
}


def _prior(con: duckdb.DuckDBPyConnection, keyless: int, total: int, paired: int) -> float | None:
    """The chance that a pair of candidates (a side keyless) is one dependent, from the data:
    the share of keyed claims in force that the exact pass paired (``paired`` claims; a
    claim's partner is keyed as often as claims are), carried over to the keyless ones. None
    when too few keyed pairs exist to tell (the parameter's share is used)."""
    keyed = total - keyless
    if paired < MIN_LABELLED or keyed <= 0:
        return None
    k = keyless / total
    share = (paired / keyed) / max(1 - k, 1e-9)  # of claims with a twin paid alongside
    expected = share * keyless * (1 - k / 2)
    pairs = keyless * (total - keyless) + keyless * (keyless - 1) / 2
    return float(expected / max(pairs, 1.0))


def _levels(linker: Any) -> Iterator[tuple[tuple[str, str], Any]]:
    """Every comparison level of a linker but the null ones, with its (comparison, label)."""
    for c in linker._settings_obj.comparisons:
        for lv in c._comparison_levels_excluding_null:
            yield (c.output_column_name, lv.label_for_charts), lv


def _unseen_u(linker: Any) -> list[tuple[str, str]]:
    """Levels never seen among the random pairs: rarer than one in ``U_PAIRS`` where rarity
    is their point (a household in common, two members a hundred times rarer still; a name's
    sound across scripts), else no evidence either way — those are returned, for their u to
    be set to their final m once trained."""
    neutral = []
    for key, level in _levels(linker):
        rare = _RARE_AMONG_RANDOM.get(key[0], {})
        if [t for t in level._trained_u_probabilities if isinstance(t["probability"], int | float)]:
            level.u_probability = max(float(level.u_probability), 1e-9)
        elif key[1] in rare:
            level.u_probability = rare[key[1]] / U_PAIRS
        else:
            neutral.append(key)
    return neutral


def _same_claimant_u(con: duckdb.DuckDBPyConnection) -> float:
    """The chance that two random claims are one claimant's: counted, not sampled (one in
    a million pairs at national scale, too rare for the random pairs to show)."""
    row = con.execute(
        """SELECT sum(n * (n - 1)), (SELECT count(*) FROM link_all) FROM
        (SELECT count(*) AS n FROM link_all GROUP BY claimant_hash)"""
    ).fetchall()[0]
    pairs, total = float(row[0] or 0), float(row[1] or 0)
    return max(pairs / max(total * (total - 1), 1.0), 1e-12)


def _copy(src: Any, dst: Any, what: str) -> None:
    """One linker's trained m or u into another's, level by level (with their record)."""
    levels = dict(_levels(src))
    for key, lv in _levels(dst):
        other = levels[key]
        if what == "u":
            lv.u_probability = other.u_probability
            lv._trained_u_probabilities = list(other._trained_u_probabilities)
        else:
            lv.m_probability = other.m_probability
            lv._trained_m_probabilities = list(other._trained_m_probabilities)


def register_tf(linker: Any, table: Any) -> None:
    """The names' frequencies among all candidates (``name_tf``, registered with the
    linker's database API), for the term-frequency adjustment."""
    linker.table_management.register_term_frequency_lookup(table, "dependent_name")


def _last(trained: list[dict[str, Any]], default: float | None) -> float:
    """The latest trained value of a level (else its starting value)."""
    vals = [t["probability"] for t in trained if isinstance(t["probability"], int | float)]
    return float(vals[-1] if vals else (default if default is not None else _M_FLOOR))


def train(con: duckdb.DuckDBPyConnection, keyless: int, total: int, paired: int) -> dict[str, Any]:
    """The model trained on this run's candidates: u by random sampling of all claims in
    force (``link_all``; the same claimant's counted); m from the exact matches (two keyed
    claims of one dependent, the label) and, for the names, by expectation maximisation over
    keyless pairs blocked on birth date and first syllable (``link_input``); the prior from
    the ``paired`` claims the exact pass found. Returns Splink's settings as a dict, for
    either backend."""
    from splink import DuckDBAPI, Linker, block_on
    from splink.blocking_rule_library import And, CustomRule

    db_api = DuckDBAPI(con)
    table = db_api.register("link_input", dataset_display_name="claims")
    prior = _prior(con, keyless, total, paired)
    linker = Linker(table, _settings(keyless, total, prior), log_level=logging.ERROR)
    register_tf(linker, db_api.register("name_tf"))
    start_m = {key: lv.m_probability for key, lv in _levels(linker)}
    neutral: list[tuple[str, str]] = []
    if total >= MIN_U_CANDIDATES:  # else too few pairs to count rare levels: the starting u
        # u among random pairs of all candidates (the prediction's table keeps only the
        # keyed claims near a keyless one: its random pairs are not random)
        every = Linker(
            db_api.register("link_all"), _settings(keyless, total, prior), log_level=logging.ERROR
        )
        every.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=1)
        neutral = _unseen_u(every)
        _copy(every, linker, "u")
    same_key, same = next((k, lv) for k, lv in _levels(linker) if k[0] == "claimant")
    same.u_probability = _same_claimant_u(con)  # the claimant's first level: the same one
    same._trained_u_probabilities = [
        {"probability": same.u_probability, "description": "counted", "m_or_u": "u"}
    ]
    neutral = [key for key in neutral if key != same_key]
    con.execute(
        """CREATE OR REPLACE TEMP TABLE link_labels AS SELECT * FROM link_all
        WHERE dep_hash IN (SELECT dep_hash FROM link_all WHERE dep_hash IS NOT NULL
                           GROUP BY dep_hash HAVING count(*) > 1)"""
    )
    labelled = int(
        con.execute(
            """SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
            (SELECT count(*) AS n FROM link_labels GROUP BY dep_hash)"""
        ).fetchall()[0][0]
    )
    taught = labelled >= MIN_LABELLED
    if taught:
        by_labels = Linker(
            db_api.register("link_labels"),
            _settings(keyless, total, prior),
            log_level=logging.ERROR,
        )
        by_labels.training.estimate_m_from_label_column("dep_hash")
        _copy(by_labels, linker, "m")

    def learnt_by_em(key: tuple[str, str]) -> bool:
        return key[0] in _EM_ONLY or not taught

    for key, level in _levels(linker):
        if learnt_by_em(key):  # EM from the starting m
            level.m_probability = start_m[key]
        else:  # the labels' m, kept
            level.m_probability = max(
                _last(level._trained_m_probabilities, level.m_probability), _M_FLOOR
            )
            level._fix_m_probability = True
        level._fix_u_probability = key[0] not in _EM_ONLY
    # EM over keyless pairs of different claimants (one claimant's twins moved to another
    # organisation would read as matches with different names)
    em = And(
        block_on("dependent_birth_date", "fold_first"),
        CustomRule(_ONE_KEYLESS),
        # not on claimant_key itself: Splink would take the rule to imply the claimant
        # comparison's first level and raise the prior for the blocked pairs by its weight
        CustomRule("l.claimant_tag <> r.claimant_tag"),
    )
    # the names' u too, among EM's pairs: they share a birth date and a first syllable, so two
    # different names there are closer than two random ones; the random pairs' u is put back
    # for the prediction, which multiplies by the prior of all pairs
    random_u = {key: lv.u_probability for key, lv in _levels(linker)}
    before_em = linker.misc.save_model_to_json()
    try:
        if keyless < MIN_EM_KEYLESS:  # too few pairs to learn from: the starting m stay
            raise ValueError(f"{keyless} keyless claims")
        linker.training.estimate_parameters_using_expectation_maximisation(
            em, max_pairs=EM_PAIRS, fix_u_probabilities=False
        )
    except ValueError as e:  # or a level's m driven to 0 on a small file
        log.info("no EM (%s): the names keep their starting m", e)
        linker = Linker(table, before_em, log_level=logging.ERROR)
        for key, level in _levels(linker):
            if learnt_by_em(key):
                level.m_probability = start_m[key]
            level._fix_m_probability = True
    for key, level in _levels(linker):
        if not level._fix_m_probability:
            level.m_probability = max(
                _last(level._trained_m_probabilities, level.m_probability), _M_FLOOR
            )
        level.u_probability = level.m_probability if key in neutral else random_u[key]
        level._fix_m_probability = level._fix_u_probability = False
    model: dict[str, Any] = linker.misc.save_model_to_json()
    return model


def apply_model(linker: Any, model: dict[str, Any]) -> None:
    """Set a linker's m and u (and prior) to a trained model's, level by level — how the
    Spark backend predicts with the model DuckDB trained (its SQL is made for Spark by
    Splink from the same comparisons)."""
    trained = {
        c["output_column_name"]: [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
        for c in model["comparisons"]
    }  # fmt: skip
    settings = linker._settings_obj
    settings._probability_two_random_records_match = model["probability_two_random_records_match"]
    for comparison in settings.comparisons:
        levels = comparison._comparison_levels_excluding_null
        for level, lv in zip(levels, trained[comparison.output_column_name], strict=True):
            level.m_probability = lv["m_probability"]
            level.u_probability = lv["u_probability"]
            if lv.get("tf_adjustment_column"):
                level._tf_adjustment_weight = lv.get("tf_adjustment_weight", 1.0)


def probable_pairs(
    con: duckdb.DuckDBPyConnection, *, paired: int, threshold: float | None = None
) -> Iterator[tuple[dict[str, Any], float]]:
    """Pairs scored at or above ``threshold`` (default: the parameter in force) that also
    overlap in time, as verify rows; ``paired``: the claims the exact pass paired."""
    from splink import DuckDBAPI, Linker

    if threshold is None:
        threshold = match_rules()[0]

    keyless, total = _prepare(con)
    if keyless == 0:
        return
    model = train(con, keyless, total, paired)
    db_api = DuckDBAPI(con)
    table = db_api.register("link_input", dataset_display_name="claims")
    linker = Linker(table, model, log_level=logging.ERROR)
    register_tf(linker, db_api.register("name_tf"))
    pred = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE probable AS
        SELECT p.match_probability AS probability,
          least(p.unique_id_l, p.unique_id_r) AS ref_a, greatest(p.unique_id_l, p.unique_id_r) AS ref_b
        FROM {pred.physical_name} p
        WHERE (p.keyless_l OR p.keyless_r)
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
