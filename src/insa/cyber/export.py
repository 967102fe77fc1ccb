"""The same Sigma rules for a SIEM cluster, through pySigma's backends: Elasticsearch (ES|QL,
correlations as ``stats``), OpenSearch (PPL) and Splunk (SPL in ``savedsearches.conf``).
Each rule is converted with the rules it reads (a correlation with its base rules) and
insa's pipeline (the Sigma taxonomy to ECS, the placeholders filled). A rule a backend
cannot express — a correlation of correlations, which every backend writes broken — is named, not written
as a broken query. Nothing is downloaded (the backends' SIEM-rule formats, which fetch
MITRE ATT&CK data, are not used)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TARGETS = ("opensearch", "elasticsearch", "splunk")


@dataclass
class Exported:
    text: str
    converted: list[str] = field(default_factory=list)  # rule names
    skipped: list[tuple[str, str]] = field(default_factory=list)  # name, why (Korean)


def _docs(folders: Iterable[Path]) -> list[dict[str, Any]]:
    from insa.cyber.sigma import _files

    out = []
    for path in _files(folders):
        for d in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(d, dict) and d.get("title"):
                out.append(d)
    return out


def _key(d: Mapping[str, Any]) -> str:
    return str(d.get("name") or d.get("id"))


def export(
    folders: Sequence[Path], target: str, placeholders: Mapping[str, Sequence[str]] | None = None
) -> Exported:
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    from insa.cyber.sigma import pipeline

    if target not in TARGETS:
        raise ValueError(f"대상은 {', '.join(TARGETS)} 중 하나입니다: {target}")
    docs = _docs(folders)
    by: dict[str, dict[str, Any]] = {}
    for d in docs:
        by[_key(d)] = d
        if d.get("id"):
            by[str(d["id"])] = d
    refs = {str(r) for d in docs for r in ((d.get("correlation") or {}).get("rules") or [])}

    def closure(d: dict[str, Any]) -> list[dict[str, Any]]:
        out = [d]
        for r in (d.get("correlation") or {}).get("rules") or []:
            if str(r) in by:
                out += closure(by[str(r)])
        return out

    # what is read by a correlation goes out inside it (a base rule, a step of a correlation)
    units = [d for d in docs if _key(d) not in refs and str(d.get("id")) not in refs]
    result = Exported("")
    lines: list[str] = []
    for d in units:
        nested = "correlation" in d and any("correlation" in x for x in closure(d)[1:])
        if nested:  # the backends write broken queries for these (a stanza inside a search, a sequence in a sequence)
            result.skipped.append(
                (
                    _key(d),
                    "상관 규칙을 읽는 상관 규칙은 SIEM 질의로 바꿀 수 없습니다 (insa 안에서만 평가)",
                )
            )
            continue
        query, language, why = "", "", ""
        for language in _LANGUAGES[target]:
            if language == "lucene" and "correlation" in d:
                continue  # Lucene has no correlations
            backend = _backend(language, pipeline(placeholders or {}))
            try:
                got = backend.convert(
                    SigmaCollection.from_dicts(closure(d)),
                    "savedsearches" if target == "splunk" else "default",
                )
            except (SigmaError, NotImplementedError, ValueError) as exc:
                why = why or str(exc)
                continue
            query = got if isinstance(got, str) else str(got[-1])
            break
        if not query:
            result.skipped.append((_key(d), f"변환하지 못했습니다: {why}"[:300]))
            continue
        result.converted.append(_key(d))
        if target == "splunk":
            lines.append(query)
        else:
            lines.append(json.dumps({"id": str(d.get("id", "")), "name": _key(d), "title": d.get("title"),
                                     "level": d.get("level", "medium"), "tags": d.get("tags", []),
                                     "language": language, "query": query},
                                    ensure_ascii=False))  # fmt: skip
    if target == "splunk":
        result.text = _merge_savedsearches(lines)
    else:
        result.text = "".join(x + "\n" for x in lines)
    return result


# each target's query languages, the first that can express a rule used: ES|QL and PPL have
# correlations but no keyword search, Lucene the other way round
_LANGUAGES = {
    "elasticsearch": ("esql", "lucene"),
    "opensearch": ("ppl", "lucene-os"),
    "splunk": ("spl",),
}


def _backend(language: str, pipe: Any) -> Any:
    if language == "esql":
        from sigma.backends.elasticsearch.elasticsearch_esql import ESQLBackend

        return ESQLBackend(processing_pipeline=pipe)
    if language == "lucene":
        from sigma.backends.elasticsearch.elasticsearch_lucene import LuceneBackend

        return LuceneBackend(processing_pipeline=pipe)
    if language == "ppl":
        from sigma.backends.opensearch.opensearch_ppl import OpenSearchPPLBackend

        return OpenSearchPPLBackend(processing_pipeline=pipe)
    if language == "lucene-os":
        from sigma.backends.opensearch.opensearch import OpensearchLuceneBackend

        return OpensearchLuceneBackend(processing_pipeline=pipe)
    from sigma.backends.splunk.splunk import SplunkBackend

    return SplunkBackend(processing_pipeline=pipe)


def _merge_savedsearches(parts: list[str]) -> str:
    """One ``savedsearches.conf``: the ``[default]`` stanza once, then every search."""
    head = ""
    body: list[str] = []
    for p in parts:
        text = p.strip("\n")
        if text.lstrip().startswith("[default]"):
            first, _, rest = text.partition("\n\n")
            head = head or first.strip()
            text = rest
        body.append(text.strip("\n"))
    return (head + "\n\n" if head else "") + "\n\n".join(body) + "\n"
