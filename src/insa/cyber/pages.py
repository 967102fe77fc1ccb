"""Page evidence: a candidate's page fetched (httpx, through the given HTTP proxy; https
first, then http when the tunnel is refused or the certificate does not verify; short
timeouts, a size limit, redirects followed and recorded, no JavaScript run, no form ever
submitted) and compared with the official pages' fingerprints: the visible text's shingles
(Jaccard), ssdeep of the page's tag structure (ppdeep), the title, the forms (a password,
a 주민등록번호 or a phone field; a form posting to another domain). Plain functions apart from
the fetch."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

MAX_BYTES = 2 * 2**20
TIMEOUT = 5.0
MAX_REDIRECTS = 5
SHINGLE = 4  # words a shingle
MAX_SHINGLES = 4000
PARKED = ("domain is for sale", "buy this domain", "parked", "이 도메인은 판매", "도메인 구매", "sedo", "godaddy",
          "this domain may be for sale", "coming soon", "under construction")  # fmt: skip
RRN_WORDS = ("주민등록번호", "주민번호", "jumin", "rrn", "resident")
PHONE_WORDS = ("휴대폰", "휴대전화", "전화번호", "phone", "mobile", "tel")


@dataclass
class Form:
    action: str  # absolute URL
    password: bool = False
    rrn: bool = False
    phone: bool = False


@dataclass
class Fingerprint:
    url: str
    title: str = ""
    shingles: list[int] = field(default_factory=list)
    structure: str = ""  # ssdeep of the tag sequence
    forms: list[Form] = field(default_factory=list)
    words: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "shingles": self.shingles, "structure": self.structure,
                "forms": [f.__dict__ for f in self.forms], "words": self.words}  # fmt: skip

    @classmethod
    def of(cls, d: dict[str, Any]) -> Fingerprint:
        return cls(d["url"], d.get("title", ""), list(d.get("shingles", [])), d.get("structure", ""),
                   [Form(**f) for f in d.get("forms", [])], int(d.get("words", 0)))  # fmt: skip


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.title = ""
        self._in_title = False
        self._skip = 0
        self.forms: list[tuple[str, list[dict[str, str]]]] = []
        self._labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        self.tags.append(tag)
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "form":
            self.forms.append((a.get("action", ""), []))
        elif tag in ("input", "select", "textarea") and self.forms:
            near = " ".join(self._labels[-3:])
            self.forms[-1][1].append({**a, "near": near})

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript") and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data.strip()
            return
        words = data.strip()
        if words:
            self.text.append(words)
            self._labels.append(words)


def _shingles(text: str) -> list[int]:
    words = re.findall(r"[0-9a-z\uac00-\ud7a3]+", text.lower())
    out = {int.from_bytes(hashlib.blake2b(" ".join(words[i : i + SHINGLE]).encode(), digest_size=8).digest(), "big")
           for i in range(max(0, len(words) - SHINGLE + 1))}  # fmt: skip
    return sorted(out)[:MAX_SHINGLES]


def fingerprint(url: str, html: str) -> Fingerprint:
    import ppdeep

    r = _Reader()
    try:
        r.feed(html)
        r.close()
    except Exception:  # a broken page still has what was read  # noqa: BLE001
        pass
    text = " ".join(r.text)
    forms = []
    for action, fields in r.forms:
        f = Form(urljoin(url, action or url))
        for x in fields:
            hint = " ".join(
                (x.get("name", ""), x.get("id", ""), x.get("placeholder", ""), x.get("near", ""))
            ).lower()
            kind = x.get("type", "text").lower()
            f.password |= kind == "password"
            f.rrn |= any(w in hint for w in RRN_WORDS)
            f.phone |= kind == "tel" or any(w in hint for w in PHONE_WORDS)
        forms.append(f)
    structure = ppdeep.hash(" ".join(r.tags)) if len(r.tags) >= 20 else ""
    return Fingerprint(url, r.title[:200], _shingles(text), structure, forms, len(text.split()))


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How much page ``a`` is a copy of official page ``b`` (0–1): the best of the visible
    text's shingle overlap and the tag structure's ssdeep score, raised by a same title."""
    import ppdeep

    sa, sb = set(a.shingles), set(b.shingles)
    text = len(sa & sb) / len(sa | sb) if sa and sb else 0.0
    struct = ppdeep.compare(a.structure, b.structure) / 100 if a.structure and b.structure else 0.0
    best = max(text, struct)
    if a.title and a.title == b.title:
        best = min(1.0, best + 0.1)
    return round(best, 2)


def registered(host: str) -> str:
    from insa.cyber.signals import split

    _, label, suffix = split(host)
    return f"{label}.{suffix}" if suffix else label


@dataclass
class Fetched:
    domain: str
    url: str = ""  # where it ended
    status: int = 0
    redirects: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    html: str = ""
    error: str = ""
    tried: list[str] = field(default_factory=list)  # https://…, then http://…

    @property
    def reachable(self) -> bool:
        """A page was served (a 5xx — a proxy's 502 too — is no page)."""
        return 200 <= self.status < 500 and not self.error


def fetch(domain: str, proxy: str | None, timeout: float = TIMEOUT) -> Fetched:
    """The page of ``domain``: https first, http when the tunnel is refused or the
    certificate does not verify; redirects followed (at most five) and recorded."""
    import httpx2 as httpx

    out = Fetched(domain)
    for scheme in ("https", "http"):
        url = f"{scheme}://{domain}/"
        out.tried.append(url)
        try:
            with httpx.Client(proxy=proxy, timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                              headers={"User-Agent": "Mozilla/5.0 (insa-cyber evidence)"}) as client:  # fmt: skip
                with client.stream("GET", url) as r:
                    body = b""
                    for chunk in r.iter_bytes():
                        body += chunk
                        if len(body) >= MAX_BYTES:
                            break
                    out.url, out.status = str(r.url), r.status_code
                    out.redirects = [str(h.headers.get("location", h.url)) for h in r.history]
                    out.headers = {k: v for k, v in r.headers.items()
                                   if k.lower() in ("server", "content-type", "location", "x-powered-by", "date")}  # fmt: skip
                    out.html = body[:MAX_BYTES].decode(r.encoding or "utf-8", errors="replace")
                    out.error = ""
                    return out
        except (httpx.ProxyError, httpx.ConnectError, httpx.ConnectTimeout) as exc:
            out.error = f"{type(exc).__name__}: {exc}"[:200]
            continue  # the tunnel refused, or nothing listens: try http
        except httpx.HTTPError as exc:
            out.error = f"{type(exc).__name__}: {exc}"[:200]
            if "CERTIFICATE" in str(exc).upper() or "SSL" in str(exc).upper():
                continue
            return out
    return out


def is_parked(f: Fingerprint, html: str) -> bool:
    low = html.lower()
    return f.words < 30 or any(p in low for p in PARKED)


def offsite_forms(f: Fingerprint) -> list[Form]:
    """Forms that post to another registered domain than the page's own."""
    own = registered(urlsplit(f.url).hostname or "")
    return [
        x
        for x in f.forms
        if (urlsplit(x.action).hostname or "")
        and registered(urlsplit(x.action).hostname or "") != own
    ]
