"""The exact passes on Apache Spark (pyspark in local mode, Debian's OpenJDK): the same
findings as the DuckDB engine on a few thousand generated claims — ids, kinds, overlaps,
amounts and who recovers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from insa.allowance.claims import load_claims, month_index
from insa.allowance.synth_claims import generate
from insa.allowance.verify import verify

pytest.importorskip("pyspark")


def test_spark_finds_what_duckdb_finds(tmp_path: Path) -> None:
    from insa.allowance.spark import exact_findings, session

    generate(tmp_path / "claims", rows=6000, orgs=20, seed=5, plant_share=0.01)
    con = duckdb.connect()
    load_claims(con, tmp_path / "claims")
    want = verify(con, month_index("2025-12"), probabilistic=False).findings
    assert len(want) > 10
    parquet = tmp_path / "claims.parquet"
    con.execute(f"COPY claims TO '{parquet}' (FORMAT parquet)")
    with session("local[2]") as spark:
        got = exact_findings(spark, parquet, month_index("2025-12"))
    assert [f.row() for f in got] == [f.row() for f in want]
    assert {f.kind for f in got} >= {"double_claim", "open_transfer"}


def test_the_command_runs_the_exact_passes_on_spark(tmp_path: Path) -> None:
    import csv

    from typer.testing import CliRunner

    from insa.cli import app

    generate(tmp_path / "claims", rows=3000, orgs=12, seed=9, plant_share=0.01)
    outs = {}
    for run_on in ("duckdb", "spark"):
        out = tmp_path / f"{run_on}.csv"
        r = CliRunner().invoke(app, ["allowance", "verify", str(tmp_path / "claims"), "--as-of", "2025-12", "-o", str(out),
                                     "--no-store", "--exact-only", "--engine", run_on, "--spark-master", "local[2]"])  # fmt: skip
        assert r.exit_code == 0, r.output
        outs[run_on] = list(csv.reader(out.open(encoding="utf-8")))
    assert outs["spark"] == outs["duckdb"] and len(outs["spark"]) > 5
