"""Precision and recall of the verification on generated claims with planted double claims.

The generator (``insa.allowance.synth_claims``) plants exact and probable double claims and
open transfers, plus decoys that must not be reported; the test runs the whole verification
(load, validate, exact passes, Splink pass) and scores each finding kind and match against the
planted truth. ``pytest -s`` prints the table.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from insa.allowance.claims import COLUMNS, load_claims, month_index
from insa.allowance.synth_claims import Truth, generate
from insa.allowance.verify import VerifyReport, verify

ROWS = 60_000
ORGS = 40
PLANT_SHARE = 0.01  # 600 planted pairs: enough for the probable kinds to be measured
AS_OF = "2025-12"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Truth, VerifyReport, Path]:
    out = tmp_path_factory.mktemp("claims")
    truth = generate(out, rows=ROWS, orgs=ORGS, seed=7, as_of=AS_OF, plant_share=PLANT_SHARE)
    con = duckdb.connect()
    load_claims(con, out)
    report = verify(con, month_index(AS_OF), probabilistic=True)  # the default threshold
    con.close()
    return truth, report, out


def table(scores: dict[str, dict[str, float]]) -> str:
    lines = [f"{'kind/match':<26}{'planted':>8}{'found':>7}{'prec':>8}{'recall':>8}"]
    for group, s in scores.items():
        lines.append(
            f"{group:<26}{s['planted']:>8.0f}{s['found']:>7.0f}"
            f"{s['precision']:>8.4f}{s['recall']:>8.4f}"
        )
    return "\n".join(lines)


def test_precision_and_recall_on_planted_double_claims(
    run: tuple[Truth, VerifyReport, Path],
) -> None:
    truth, report, _ = run
    scores = truth.score(report.findings)
    text = table(scores)
    print(
        f"\n{ROWS:,} claims from {ORGS} organisations, {truth.keyless_rows:,} without keys\n{text}"
    )
    groups = {f"{k}/{m}" for k in ("double_claim", "open_transfer") for m in ("exact", "probable")}
    assert set(scores) == groups, text  # all four planted, nothing else (no duplicate_claim)
    for group, s in scores.items():
        if group.endswith("/exact"):
            assert s["precision"] > 0.99 and s["recall"] > 0.99, f"{group}\n{text}"
        else:
            assert s["precision"] > 0.9 and s["recall"] > 0.8, f"{group}\n{text}"


def test_probable_recall_by_name_variation(run: tuple[Truth, VerifyReport, Path]) -> None:
    truth, report, _ = run
    found = {(f.kind, frozenset((f.claim_a, f.claim_b))) for f in report.findings}
    lines = []
    for variation in ("identical", "confusion", "missing"):
        want = {key for key, v in truth.variation.items() if v == variation}
        hit = len(want & found)
        lines.append(f"{variation:<10}{len(want):>6}{hit / len(want):>8.4f}")
        assert want, variation
    text = "\n".join(lines)
    print(f"\nprobable recall by the keyless side's name variation\n{text}")
    for line in lines:
        assert float(line.split()[-1]) > 0.8, text


def test_no_decoy_is_reported(run: tuple[Truth, VerifyReport, Path]) -> None:
    truth, report, _ = run
    found = {frozenset((f.claim_a, f.claim_b)) for f in report.findings}
    for kind in ("closed_transfer", "split_children", "namesakes", "after_as_of"):
        assert truth.decoys[kind], f"no {kind} decoys were generated"
        reported = truth.decoys[kind] & found
        assert not reported, f"{kind} decoys reported: {sorted(map(sorted, reported))[:5]}"


def test_generated_files_follow_the_exchange_format(
    run: tuple[Truth, VerifyReport, Path],
) -> None:
    truth, _, out = run
    files = sorted(out.glob("*.csv"))
    assert [p.stem for p in files] == sorted(truth.orgs)
    assert len(truth.orgs) == ORGS
    keyless = set(truth.keyless_orgs)
    assert round(0.1 * ORGS) == len(keyless)
    rows = 0
    for path in files:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            assert tuple(next(reader)) == COLUMNS
            for r in reader:
                rows += 1
                assert r[1] == path.stem
                assert (r[5] == "") == (path.stem in keyless), r
                if r[11]:
                    assert r[10] <= r[11]
                assert r[12].isdigit()
    assert rows == truth.rows == ROWS
    assert any(c.startswith("LG-") for c in truth.orgs)
    assert any(c.startswith("EDU-") for c in truth.orgs)
    assert any(c.startswith("PI-") for c in truth.orgs)
    assert {"MIL", "NEC", "CCOURT"} <= set(truth.orgs)


def test_no_unplanted_look_alike_of_a_keyless_claim(run: tuple[Truth, VerifyReport, Path]) -> None:
    """A keyless claim shares name, birth date and relation only with its planted partner."""
    truth, _, out = run
    con = duckdb.connect()
    load_claims(con, out)
    pairs = con.execute(
        """SELECT a.source_org || ':' || a.claim_id, b.source_org || ':' || b.claim_id
        FROM claims a JOIN claims b
          ON a.dependent_name = b.dependent_name AND a.dependent_birth_date = b.dependent_birth_date
         AND a.relation = b.relation AND a.source_org || a.claim_id < b.source_org || b.claim_id
        WHERE a.dependent_key IS NULL OR b.dependent_key IS NULL"""
    ).fetchall()
    con.close()
    planted = {p for _, p in truth.pairs} | truth.decoy_pairs()
    assert pairs, "the probable plants with identical names should show here"
    stray = [p for p in pairs if frozenset(p) not in planted]
    assert not stray, stray[:5]


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", rows=5_000, orgs=12, seed=3, plant_share=0.005)
    b = generate(tmp_path / "b", rows=5_000, orgs=12, seed=3, plant_share=0.005)
    assert a.pairs == b.pairs and a.decoys == b.decoys and a.variation == b.variation
    for fa in sorted((tmp_path / "a").iterdir()):
        assert fa.read_bytes() == (tmp_path / "b" / fa.name).read_bytes()
