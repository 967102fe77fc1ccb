"""The shapes of the look-alike hunt: protected assets (the public YAML contract) and the
findings of a scan (the public CSV contract: ``domain, asset, score, verdict, reasons``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from insa.errors import Where as Where  # a place in an input file, shown file:line

Verdict = Literal["alert", "watch", "ignore"]
FINDING_COLUMNS = ("domain", "asset", "score", "verdict", "reasons")
VERDICT_LABELS = {"alert": "경보", "watch": "지켜봄", "ignore": "무시"}


@dataclass(frozen=True)
class Problem:
    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Asset:
    """A protected service: its owner, official registered domains, names (Korean and
    Latin), the words attackers pair with it, and its official pages."""

    id: str
    ministry: str
    domains: tuple[str, ...]
    names: tuple[str, ...] = ()
    lures: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    where: Where = Where("?", 0)


@dataclass(frozen=True)
class Assets:
    assets: tuple[Asset, ...] = ()
    allow: tuple[str, ...] = ()  # suffixes and domains that never alert
    problems: tuple[Problem, ...] = ()
    file: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Finding:
    domain: str
    asset: str  # an asset id, or "" when the candidate matches none
    score: int  # 0–100
    verdict: Verdict
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def row(self) -> dict[str, str]:
        return {"domain": self.domain, "asset": self.asset, "score": str(self.score),
                "verdict": self.verdict, "reasons": ";".join(self.reasons)}  # fmt: skip
