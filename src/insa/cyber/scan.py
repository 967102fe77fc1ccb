"""A scan: candidate domains read (a text file of names, or certificate-transparency
messages as JSON lines in certstream's shape), each scored against every asset
(:mod:`insa.cyber.signals`), in chunks over worker processes, and the findings written as
the public CSV contract (``domain, asset, score, verdict, reasons``) — the whole file or
nothing (a temporary file renamed into place)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insa.cyber.schemas import FINDING_COLUMNS, Assets, Finding
from insa.cyber.signals import Prepared, prepare, score
from insa.spreadsheets import csv_writer

CHUNK = 20_000
LABEL = re.compile(
    r"^[a-z0-9\u00a1-\U0010ffff](?:[a-z0-9\u00a1-\U0010ffff-]{0,61}[a-z0-9\u00a1-\U0010ffff])?$"
)
MAX_ERRORS = 20


class CandidateError(ValueError):
    """The candidates file is wrong; every problem named by file and line."""


@dataclass(frozen=True)
class Candidates:
    domains: list[str]
    lines: int  # lines read
    duplicates: int  # names seen again (one row each)
    kind: str  # text | certstream


def valid_domain(name: str) -> bool:
    if not name or len(name) > 253 or "." not in name:
        return False
    return all(LABEL.match(label) for label in name.split("."))


def normalise(name: str) -> str | None:
    """A candidate name as scanned (lower case, no trailing dot, ``*.`` wildcards read as the
    name under them, a URL as its host), or None when it is no domain."""
    d = name.strip().lower().rstrip(".")
    if d.startswith("*."):
        d = d[2:]
    if "://" in d:
        d = d.split("://", 1)[1].split("/", 1)[0]
    return d if valid_domain(d) else None


def read_candidates(path: Path) -> Candidates:
    """The candidate names of a file, in order, each once. A text file: one name a line
    (``#`` comments and blank lines skipped); JSON lines: certstream messages, the names in
    ``data.leaf_cert.all_domains`` (``*.`` wildcards read as the name under them)."""
    domains: list[str] = []
    seen: set[str] = set()
    errors: list[str] = []
    duplicates = 0
    kind = "text"
    n = 0
    with path.open(encoding="utf-8", errors="strict") as f:
        try:
            for n, raw in enumerate(f, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                names: list[str]
                if line.startswith("{"):
                    kind = "certstream"
                    try:
                        doc = json.loads(line)
                        got = doc["data"]["leaf_cert"]["all_domains"]
                        if not isinstance(got, list):
                            raise TypeError
                        names = [str(x) for x in got]
                    except json.JSONDecodeError as exc:
                        errors.append(f"{path}:{n}: JSON으로 읽을 수 없습니다 ({exc.msg})")
                        continue
                    except (KeyError, TypeError):
                        errors.append(f"{path}:{n}: data.leaf_cert.all_domains 목록이 없습니다")
                        continue
                else:
                    names = [line.split()[0]] if len(line.split()) == 1 else []
                    if not names:
                        errors.append(f"{path}:{n}: 한 줄에 도메인 하나만 씁니다: {line[:60]!r}")
                        continue
                for name in names:
                    d = normalise(name)
                    if d is None:
                        errors.append(f"{path}:{n}: 도메인이 아닙니다: {name[:80]!r}")
                        continue
                    if d in seen:
                        duplicates += 1
                        continue
                    seen.add(d)
                    domains.append(d)
                if len(errors) >= MAX_ERRORS:
                    break
        except UnicodeDecodeError as exc:
            errors.append(f"{path}:{n + 1}: UTF-8이 아닙니다 ({exc.reason})")
    if errors:
        raise CandidateError("\n".join(errors))
    return Candidates(domains, n, duplicates, kind)


_PREPARED: Prepared | None = None


def _init(assets: Assets) -> None:
    global _PREPARED
    _PREPARED = prepare(assets)


def _chunk(domains: list[str]) -> list[Finding]:
    assert _PREPARED is not None
    return [score(d, _PREPARED) for d in domains]


def score_many(domains: list[str], assets: Assets, workers: int | None = None,
               progress: Callable[[int], None] | None = None) -> Iterator[Finding]:  # fmt: skip
    """The findings in the candidates' order, scored in chunks by ``workers`` processes (the
    machine's cores by default; one: in this process)."""
    workers = workers or os.cpu_count() or 1
    chunks = [domains[i : i + CHUNK] for i in range(0, len(domains), CHUNK)]
    if workers == 1 or len(chunks) <= 1:
        prep = prepare(assets)
        for part in chunks:
            yield from (score(d, prep) for d in part)
            if progress is not None:
                progress(len(part))
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(assets,)) as pool:
        for part, found in zip(chunks, pool.map(_chunk, chunks), strict=True):
            yield from found
            if progress is not None:
                progress(len(part))


def write_findings(findings: Iterator[Finding] | list[Finding], out: Path) -> dict[str, int]:
    """The findings as the public CSV, whole or not at all; returns the count per verdict."""
    counts = {"alert": 0, "watch": 0, "ignore": 0}
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            w = csv_writer(f)  # a candidate named like a formula stays text
            w.writerow(FINDING_COLUMNS)
            for finding in findings:
                counts[finding.verdict] += 1
                row = finding.row()
                w.writerow([row[c] for c in FINDING_COLUMNS])
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return counts


def judge_pages(findings: list[Finding], proxy: str | None, officials: Mapping[str, list[Any]],
                threads: int = 16) -> tuple[list[Finding], dict[str, Any]]:  # fmt: skip
    """Every finding that matched an asset (not an official or allowed name) with its page
    fetched (through ``proxy``, a few at a time) and judged against the official
    fingerprints; returns the findings and the pages fetched, by domain."""
    from concurrent.futures import ThreadPoolExecutor

    from insa.cyber.evidence import judge
    from insa.cyber.pages import fetch
    from insa.cyber.signals import weights

    w = weights()
    todo = [i for i, f in enumerate(findings)
            if f.asset and "official" not in f.reasons and "allowed" not in f.reasons]  # fmt: skip
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pages = list(pool.map(lambda i: fetch(findings[i].domain, proxy), todo))
    out = list(findings)
    fetched: dict[str, Any] = {}
    for i, page in zip(todo, pages, strict=True):
        out[i] = judge(findings[i], page, officials, w)
        fetched[findings[i].domain] = page
    return out, fetched


def with_pages(findings: list[Finding], proxy: str | None, prints_path: Path,
               pages_out: dict[str, Any] | None = None, threads: int = 16) -> list[Finding]:  # fmt: skip
    """``--fetch``: :func:`judge_pages` with the fingerprints ``insa cyber assets
    fingerprint`` kept at ``prints_path``."""
    from insa.cyber.evidence import load_fingerprints

    out, fetched = judge_pages(findings, proxy, load_fingerprints(prints_path), threads)
    if pages_out is not None:
        pages_out.update(fetched)
    return out
