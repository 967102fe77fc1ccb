"""``[DOMAIN_EXPIRATION]``: how long until a monitor's registered domain expires, asked of
the registry's RDAP server (RFC 9083: the domain's ``expiration`` event). The registered
domain is found with the public suffix list tldextract ships (``www.gosi.kr`` → ``gosi.kr``,
``a.mpm.go.kr`` → ``mpm.go.kr``; nothing downloaded); the server by the domain's top-level
domain from the bootstrap subset insa ships (``data/rdap.json``) and the configuration's
``rdap.servers``. Answers are kept for the domain-expiration interval (5 minutes, as Gatus
keeps them), so ten monitors of one domain ask once."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import httpx2 as httpx

CACHE_SECONDS = 300.0


class RdapError(Exception):
    """Why a domain's expiry could not be had (Korean, shown as the check's error)."""


@cache
def bootstrap() -> dict[str, str]:
    """Top-level domain → RDAP base URL, from the shipped subset of IANA's registry."""
    doc = json.loads(
        resources.files("insa.watch").joinpath("data/rdap.json").read_text(encoding="utf-8")
    )
    return {tld.lower(): urls[0] for tlds, urls in doc["services"] for tld in tlds if urls}


@cache
def _extractor() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # the snapshot it ships


def registered_domain(host: str) -> str:
    got = _extractor()(host.strip().rstrip(".").lower())
    domain = getattr(got, "top_domain_under_public_suffix", None) or got.registered_domain
    if not domain:
        raise RdapError(f"등록 도메인을 알 수 없는 주소입니다: {host}")
    return str(domain)


def server_for(domain: str, servers: Mapping[str, str]) -> str:
    """The RDAP base URL for ``domain``: the configuration's ``rdap.servers`` (by top-level
    domain or by a longer suffix such as ``go.kr``) before the shipped bootstrap."""
    labels = domain.lower().split(".")
    for i in range(1, len(labels)):  # the longest configured suffix first
        suffix = ".".join(labels[i:])
        if suffix in servers:
            return servers[suffix]
    tld = labels[-1]
    if tld in bootstrap():
        return bootstrap()[tld]
    raise RdapError(f"'.{tld}'의 RDAP 서버를 모릅니다: 설정의 rdap.servers에 지정하세요")


def expiration(doc: Mapping[str, Any]) -> dt.datetime:
    for event in doc.get("events") or []:
        if str(event.get("eventAction", "")).lower() == "expiration" and event.get("eventDate"):
            at = dt.datetime.fromisoformat(str(event["eventDate"]).replace("Z", "+00:00"))
            return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    raise RdapError("RDAP 응답에 만료일(expiration)이 없습니다")


class Lookup:
    """Domain expiry lookups with their answers kept a while."""

    def __init__(
        self, servers: Mapping[str, str] | None = None, keep: float = CACHE_SECONDS
    ) -> None:
        self.servers = {k.lower().lstrip("."): v for k, v in (servers or {}).items()}
        self.keep = keep
        self._known: dict[str, tuple[float, dt.datetime]] = {}

    async def until_expiry_ms(self, host: str, client: httpx.AsyncClient, timeout: float) -> int:
        domain = registered_domain(host)
        hit = self._known.get(domain)
        if hit is None or time.monotonic() - hit[0] > self.keep:
            base = server_for(domain, self.servers)
            r = await client.get(base.rstrip("/") + f"/domain/{domain}", timeout=timeout,
                                 headers={"Accept": "application/rdap+json"})  # fmt: skip
            if r.status_code == 404:
                raise RdapError(f"RDAP 서버가 {domain}을(를) 모릅니다 (404)")
            if r.status_code != 200:
                raise RdapError(f"RDAP 서버가 {r.status_code}로 답했습니다")
            hit = (time.monotonic(), expiration(r.json()))
            self._known[domain] = hit
        return int((hit[1] - dt.datetime.now(dt.UTC)).total_seconds() * 1000)
