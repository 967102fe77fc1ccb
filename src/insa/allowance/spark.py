"""The verification's exact passes on Apache Spark (pyspark; the optional ``insa[spark]``):
the same SQL as the DuckDB engine (:mod:`insa.allowance.verify` — the active claims, then
the self-join on the dependent key with overlapping months) run by Spark SQL over the claims
as Parquet, so that a centre that outgrows one machine runs them on a cluster
(``--spark-master spark://…:7077`` or ``sc://…`` for Spark Connect), with the data on shared
storage. The findings are built by the same function as DuckDB's: the same ids, kinds,
overlaps and amounts. The probable pass is not on Spark yet (docs/allowance.md)."""

from __future__ import annotations

import logging
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
        from splink.backends.spark import similarity_jar_location

        builder = (SparkSession.builder.master(master or "local[*]").appName("insa allowance verify")
                   .config("spark.jars", similarity_jar_location())  # Splink's string similarities
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


def probable_pairs(
    con: Any, spark: Any, threshold: float, tmp: Path, paired: int
) -> list[tuple[dict[str, Any], float]]:
    """The probable pass on Spark: the candidates prepared as for DuckDB (the jamo columns
    computed there) and the model trained there (``paired``: the claims the exact pass
    paired), then Splink's Spark backend predicting with it; the pairs at or above
    ``threshold`` that overlap in time, as verify rows."""
    from splink import Linker, SparkAPI

    from insa.allowance.linkage import _prepare, _settings, apply_model, register_tf, train
    from insa.allowance.pairs import PAIR_COLUMNS, pair_rows

    keyless, total = _prepare(con)
    if keyless == 0:
        return []
    model = train(con, keyless, total, paired)  # trained in DuckDB: both engines predict with it
    path = tmp / "link_input.parquet"
    con.execute(f"COPY link_input TO '{str(path).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
    spark.sparkContext.setCheckpointDir(
        str(tmp / "checkpoints")
    )  # Splink checkpoints its intermediate tables
    tf_path = tmp / "name_tf.parquet"
    con.execute(f"COPY name_tf TO '{str(tf_path).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
    df = spark.read.parquet(str(path))
    db_api = SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
    table = db_api.register(df, dataset_display_name="link_candidates")
    linker = Linker(table, _settings(keyless, total, dialect="spark"), log_level=logging.ERROR)
    apply_model(linker, model)
    register_tf(linker, db_api.register(spark.read.parquet(str(tf_path))))
    pred = linker.inference.predict(threshold_match_probability=threshold).as_spark_dataframe()
    pairs = [(r["unique_id_l"], r["unique_id_r"], float(r["match_probability"])) for r in pred.select(
        "unique_id_l", "unique_id_r", "match_probability", "keyless_l", "keyless_r", "start_m_l", "start_m_r",
        "stop_m_l", "stop_m_r").where("(keyless_l OR keyless_r) AND "
                                       "greatest(start_m_l, start_m_r) <= least(stop_m_l, stop_m_r)").collect()]  # fmt: skip
    con.execute(
        "CREATE OR REPLACE TEMP TABLE probable (probability DOUBLE, ref_a VARCHAR, ref_b VARCHAR)"
    )
    if pairs:
        con.executemany(
            "INSERT INTO probable VALUES (?, ?, ?)",
            [(p, min(a, b), max(a, b)) for a, b, p in pairs],
        )
    rows = pair_rows(
        con,
        f"""SELECT {PAIR_COLUMNS}, p.probability FROM probable p
        JOIN active a ON a.ref = p.ref_a JOIN active b ON b.ref = p.ref_b ORDER BY a.ref, b.ref""",
    )
    return [(r, float(r["probability"])) for r in rows]
