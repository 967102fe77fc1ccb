"""The verdict from both kinds of evidence: the domain's signals and its page. A page that
clones an official one alerts even when its domain scores low; a look-alike domain serving
an unrelated business (a 고시원, an academy, a taxi company) does not alert; an unreachable or
parked page stays ``watch`` and is re-checked. Plain functions; the fetch is the caller's."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from insa.cyber.pages import (
    Fetched,
    Fingerprint,
    fingerprint_of,
    is_parked,
    likeness,
    offsite_forms,
)
from insa.cyber.schemas import Finding, Verdict


def load_fingerprints(path: Path) -> dict[str, list[Fingerprint]]:
    """Asset id → its official pages' fingerprints, as ``insa cyber assets fingerprint`` stored them."""
    if not path.exists():
        return {}
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {k: [Fingerprint.of(x) for x in v] for k, v in doc.get("assets", {}).items()}


def save_fingerprints(path: Path, prints: Mapping[str, list[Fingerprint]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"assets": {k: [f.as_dict() for f in v] for k, v in prints.items()}}, ensure_ascii=False),
                   encoding="utf-8")  # fmt: skip
    tmp.replace(path)


def judge(
    found: Finding, page: Fetched, officials: Mapping[str, list[Fingerprint]], w: Mapping[str, int]
) -> Finding:
    """The finding with its page evidence."""
    reasons = list(found.reasons)
    score, verdict, asset = found.score, found.verdict, found.asset
    if page.redirects:
        reasons.append(f"redirects:{len(page.redirects)}")
    if not page.reachable:
        reasons.append("unreachable")
        return replace(found, verdict=_at_most_watch(verdict), reasons=tuple(reasons))
    fp = fingerprint_of(page)
    if is_parked(fp, page.html):
        reasons.append("parked")
        return replace(found, verdict=_at_most_watch(verdict), reasons=tuple(reasons))
    best, best_asset, closest = 0.0, asset, None
    span, logo_at = int(w.get("page_tlsh_span", 250)), int(w.get("page_logo_distance", 8))
    for asset_id, prints in officials.items():
        for official in prints:
            like = likeness(fp, official, span, logo_at)
            if like.score > best or (like.score == best and asset_id == asset) or closest is None:
                best, best_asset, closest = like.score, asset_id, like
    if closest is not None and closest.logo_match:
        reasons.append(f"logo-match:{closest.logo}")
    elsewhere = offsite_forms(fp)
    asks = [k for k in ("password", "rrn", "phone") if any(getattr(f, k) for f in fp.forms)]
    if best >= w["page_clone_at"] / 100:
        reasons.append(f"page-clone:{best:.2f}")
        score, verdict, asset = max(score, w["page_clone_score"]), "alert", best_asset
    if elsewhere:
        reasons.append("form-offsite")
    for k in asks:
        reasons.append(f"form-{k}")
    if verdict != "alert" and asset and (elsewhere or "password" in asks or "rrn" in asks):
        score, verdict = max(score, w["page_form_score"]), "alert"
    elif (
        found.verdict != "ignore"
        and best < w["page_unrelated_below"] / 100
        and not (elsewhere or asks)
        and verdict == "alert"
    ):
        reasons.append(f"unrelated-page:{best:.2f}")
        score, verdict = min(score, w["watch"] + 5), "watch"
    return Finding(found.domain, asset, int(min(100, score)), verdict, tuple(reasons))


def _at_most_watch(v: Verdict) -> Verdict:
    return "watch" if v == "alert" else v
