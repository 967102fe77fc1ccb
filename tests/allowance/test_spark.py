"""The verification on Apache Spark (pyspark in local mode on one core — the suite's other
worker keeps the other, for the timing tests — and Debian's OpenJDK): the exact
passes by Spark SQL and the probable pass by Splink's Spark backend give the same findings
as the DuckDB engine on generated claims — ids, kinds, overlaps, amounts, probabilities."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from insa.allowance.claims import load_claims, month_index
from insa.allowance.synth_claims import generate
from insa.allowance.verify import _finding, verify
from insa.cli import app

pytest.importorskip("pyspark")


def test_spark_finds_what_duckdb_finds(tmp_path: Path) -> None:
    from insa.allowance.spark import exact_findings, probable_pairs, session

    generate(tmp_path / "claims", rows=4000, orgs=12, seed=9, plant_share=0.01)
    con = duckdb.connect()
    load_claims(con, tmp_path / "claims")
    want = verify(con, month_index("2025-12"), probabilistic=True, threshold=0.5).findings
    exact = [f.row() for f in want if f.match == "exact"]
    probable = [f.row() for f in want if f.match == "probable"]
    assert len(exact) > 10 and len(probable) > 3
    parquet = tmp_path / "claims.parquet"
    con.execute(f"COPY claims TO '{parquet}' (FORMAT parquet)")
    with session("local[1]") as spark:
        got = exact_findings(spark, parquet, month_index("2025-12"))
        paired = len({c for f in got for c in (f.claim_a, f.claim_b)})
        pairs = probable_pairs(con, spark, 0.5, tmp_path, paired)
    assert [f.row() for f in got] == exact
    assert sorted(_finding(r, "probable", p).row() for r, p in pairs) == sorted(probable)


def test_the_command_runs_on_spark(tmp_path: Path) -> None:
    generate(tmp_path / "claims", rows=3000, orgs=12, seed=9, plant_share=0.01)
    outs = {}
    for run_on in ("duckdb", "spark"):
        out = tmp_path / f"{run_on}.csv"
        r = CliRunner().invoke(app, ["allowance", "verify", str(tmp_path / "claims"), "--as-of", "2025-12", "-o", str(out),
                                     "--no-store", "--engine", run_on, "--spark-master", "local[1]"])  # fmt: skip
        assert r.exit_code == 0, r.output
        outs[run_on] = list(csv.reader(out.open(encoding="utf-8")))
    assert outs["spark"] == outs["duckdb"] and len(outs["spark"]) > 5
    assert any(row[2] == "probable" for row in outs["spark"][1:])
