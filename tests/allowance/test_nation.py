"""Probable matches on claims from a second generator (``insa.allowance.synth_nation``):
households at national name density, wrong payments computed from who is who, sharing no
code with ``synth_claims``. ``pytest -s`` prints precision and recall per kind."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from insa.allowance.claims import load_claims, month_index
from insa.allowance.synth_nation import NationTruth, generate_nation
from insa.allowance.verify import VerifyReport, verify

ROWS = 40_000


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[NationTruth, VerifyReport]:
    out = tmp_path_factory.mktemp("nation")
    truth = generate_nation(out, rows=ROWS, seed=5, fmt="parquet")
    con = duckdb.connect()
    load_claims(con, out, as_of="2025-12")
    report = verify(con, month_index("2025-12"))
    con.close()
    return truth, report


def test_every_kind_is_found_on_another_generator(run: tuple[NationTruth, VerifyReport]) -> None:
    truth, report = run
    scores = truth.score(report.findings)
    lines = [
        f"{g:<26}{s['planted']:>7.0f}{s['found']:>7.0f}{s['precision']:>8.4f}{s['recall']:>8.4f}"
        for g, s in scores.items()
    ]
    text = "\n".join(lines)
    print(f"\n{truth.rows:,} claims, {truth.keyless_rows:,} without keys, "
          f"{truth.namesakes} namesake pairs\n{text}")  # fmt: skip
    for kind in ("double_claim", "open_transfer"):
        assert scores[f"{kind}/exact"]["precision"] == 1.0, text
        assert scores[f"{kind}/exact"]["recall"] == 1.0, text
    assert scores["open_transfer/probable"]["precision"] > 0.97, text
    assert scores["open_transfer/probable"]["recall"] > 0.97, text
    assert scores["double_claim/probable"]["precision"] > 0.85, text
    assert scores["double_claim/probable"]["recall"] > 0.9, text


def test_the_generator_makes_deliveries_and_namesakes(tmp_path: Path) -> None:
    truth = generate_nation(tmp_path, rows=20_000, seed=2)
    assert all((tmp_path / code / "manifest.json").is_file() for code in truth.orgs)
    assert truth.keyless_orgs and truth.keyless_rows > 0.08 * truth.rows
    assert 17_000 < truth.rows < 23_000
    counts = truth.counts()
    assert counts["double_claim/probable"] and counts["open_transfer/probable"]
    again = generate_nation(tmp_path / "again", rows=20_000, seed=2)
    assert again.pairs == truth.pairs


def test_a_romanised_name_is_typed_somewhere(tmp_path: Path) -> None:
    truth = generate_nation(tmp_path, rows=30_000, seed=3, fmt="csv")
    assert truth.romanised_rows > 0
    text = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.csv"))
    assert any(s in text for s in ("NGUYEN", "TRAN", "SANTOS", "WANG"))
