"""The verification's exact passes on Apache Spark (pyspark; the optional ``insa[spark]``):
the same SQL as the DuckDB engine (:mod:`insa.allowance.verify` — the active claims, then
the self-join on the dependent key with overlapping months) run by Spark SQL over the claims
as Parquet, so that a centre that outgrows one machine runs them on a cluster
(``--spark-master spark://…:7077`` or ``sc://…`` for Spark Connect), with the data on shared
storage. The findings are built by the same function as DuckDB's: the same ids, kinds,
overlaps and amounts. The probable pass is not on Spark yet (docs/allowance.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from insa.allowance.verify import _ACTIVE, _EXACT, Finding, _finding


@contextmanager
def session(master: str | None = None) -> Iterator[Any]:
    """A Spark session: ``master`` (a URL, or ``sc://`` for Spark Connect), else local with
    every core, bound to 127.0.0.1, without its web UI."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if master and master.startswith("sc://"):
        spark = SparkSession.builder.remote(master).getOrCreate()
    else:
        builder = (SparkSession.builder.master(master or "local[*]").appName("insa allowance verify")
                   .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "8"))  # fmt: skip
        spark = builder.getOrCreate()
    try:
        yield spark
    finally:
        spark.stop()


def exact_findings(spark: Any, claims: Path, as_of: int) -> list[Finding]:
    """The exact passes over the claims (Parquet, the typed columns of the ``claims`` table
    that :func:`insa.allowance.claims.load_claims` fills) as of the month index ``as_of``."""
    spark.read.parquet(str(claims)).createOrReplaceTempView("claims")
    active = _ACTIVE.format(as_of=as_of).replace("CREATE OR REPLACE TEMP TABLE active AS", "")
    spark.sql(active).createOrReplaceTempView("active")
    rows = [r.asDict() for r in spark.sql(_EXACT).collect()]
    return sorted(
        (_finding(r, "exact", 1.0) for r in rows),
        key=lambda f: (f.kind, f.match, f.claim_a, f.claim_b),
    )
