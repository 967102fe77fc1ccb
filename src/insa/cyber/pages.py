"""Page evidence: a candidate's page fetched (httpx, through the given HTTP proxy; https
first, then http when the tunnel is refused or the certificate does not verify; short
timeouts, a size limit, redirects followed and recorded, no JavaScript run, no form ever
submitted) and compared with the official pages' fingerprints: the visible text's shingles
(Jaccard), ssdeep of the page's tag structure (ppdeep), TLSH of the normalised HTML
(py-tlsh), the title, the forms (a password, a 주민등록번호 or a phone field; a form posting
to another domain), and the perceptual hashes (imagehash's pHash) of the favicon and the
logo. Plain functions apart from the fetch."""

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
MAX_IMAGE_BYTES = 512 * 2**10
LOGO_DISTANCE = 8  # pHash bits (of 64) two images may differ by and still be one logo
TLSH_SPAN = 250  # TLSH distance at which two pages share nothing (0: the same page)
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
    tlsh: str = ""  # TLSH of the normalised HTML ("" when the page is too small for one)
    images: list[str] = field(default_factory=list)  # pHash (hex) of the favicon and the logo
    shot: str = ""  # the official page's screenshot, a file beside the fingerprints

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "shingles": self.shingles, "structure": self.structure,
                "forms": [f.__dict__ for f in self.forms], "words": self.words, "tlsh": self.tlsh,
                "images": self.images, "shot": self.shot}  # fmt: skip

    @classmethod
    def of(cls, d: dict[str, Any]) -> Fingerprint:
        return cls(d["url"], d.get("title", ""), list(d.get("shingles", [])), d.get("structure", ""),
                   [Form(**f) for f in d.get("forms", [])], int(d.get("words", 0)), d.get("tlsh", ""),
                   list(d.get("images", [])), d.get("shot", ""))  # fmt: skip


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
        self.icons: list[str] = []  # <link rel="icon"> hrefs
        self.logos: list[str] = []  # <img> whose src, alt, class or id says logo (로고, 심벌)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        self.tags.append(tag)
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "form":
            self.forms.append((a.get("action", ""), []))
        elif tag == "link" and "icon" in a.get("rel", "").lower().split() and a.get("href"):
            self.icons.append(a["href"])
        elif tag == "img" and a.get("src") and not a["src"].startswith("data:"):
            said = " ".join(
                (a["src"], a.get("alt", ""), a.get("class", ""), a.get("id", ""))
            ).lower()
            if any(w in said for w in ("logo", "로고", "symbol", "심벌", "emblem", "상징")):
                self.logos.append(a["src"])
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


def _read(html: str) -> _Reader:
    r = _Reader()
    try:
        r.feed(html)
        r.close()
    except Exception:  # a broken page still has what was read  # noqa: BLE001
        pass
    return r


def image_urls(url: str, html: str) -> list[str]:
    """Where a page's favicon and logo are: its first ``<link rel="icon">`` (else
    ``/favicon.ico``) and its first logo image, as absolute URLs."""
    r = _read(html)
    icon = urljoin(url, r.icons[0]) if r.icons else urljoin(url, "/favicon.ico")
    out = [icon]
    if r.logos:
        out.append(urljoin(url, r.logos[0]))
    return [u for u in dict.fromkeys(out) if urlsplit(u).scheme in ("http", "https")]


def image_hash(data: bytes) -> str:
    """The perceptual hash (pHash, 64 bits, hex) of an image; "" when it is not one Pillow
    reads (an SVG, a broken file)."""
    import io

    import imagehash
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if img.width < 8 or img.height < 8:
                return ""
            flat = img.convert("RGBA")
            back = Image.new("RGBA", flat.size, (255, 255, 255, 255))  # transparency drawn on white
            return str(imagehash.phash(Image.alpha_composite(back, flat).convert("L")))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return ""


def _normalised(html: str) -> bytes:
    return re.sub(r"\s+", " ", html.lower()).strip().encode("utf-8", errors="replace")


def tlsh_of(html: str) -> str:
    import tlsh

    h = str(tlsh.hash(_normalised(html)))
    return "" if h in ("", "TNULL") else h


def fingerprint(url: str, html: str, images: list[str] | tuple[str, ...] = ()) -> Fingerprint:
    import ppdeep

    r = _read(html)
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
    return Fingerprint(url, r.title[:200], _shingles(text), structure, forms, len(text.split()),
                       tlsh_of(html), [i for i in images if i])  # fmt: skip


def logo_distance(a: Fingerprint, b: Fingerprint) -> int | None:
    """The fewest pHash bits by which one of ``a``'s images differs from one of ``b``'s
    (None when either has none)."""
    import imagehash

    best: int | None = None
    for x in a.images:
        for y in b.images:
            d = int(imagehash.hex_to_hash(x) - imagehash.hex_to_hash(y))
            best = d if best is None else min(best, d)
    return best


@dataclass(frozen=True)
class Likeness:
    """How much a page is a copy of an official one, measure by measure (0–1)."""

    text: float
    structure: float
    tlsh: float
    title: bool
    logo: int | None  # pHash distance of the closest images, None without images
    logo_at: int = LOGO_DISTANCE  # this many bits apart or fewer: the same logo

    @property
    def logo_match(self) -> bool:
        return self.logo is not None and self.logo <= self.logo_at

    @property
    def score(self) -> float:
        """The best of the text's shingle overlap, the tag structure's ssdeep and the HTML's
        TLSH, raised by a same title (+0.1) and the official favicon or logo (+0.25)."""
        best = max(self.text, self.structure, self.tlsh)
        if self.title:
            best += 0.1
        if self.logo_match:
            best += 0.25
        return round(min(1.0, best), 2)


def likeness(
    a: Fingerprint, b: Fingerprint, tlsh_span: int = TLSH_SPAN, logo_at: int = LOGO_DISTANCE
) -> Likeness:
    import ppdeep
    import tlsh

    sa, sb = set(a.shingles), set(b.shingles)
    text = len(sa & sb) / len(sa | sb) if sa and sb else 0.0
    struct = ppdeep.compare(a.structure, b.structure) / 100 if a.structure and b.structure else 0.0
    near = max(0.0, 1 - tlsh.diff(a.tlsh, b.tlsh) / tlsh_span) if a.tlsh and b.tlsh else 0.0
    return Likeness(
        text, struct, near, bool(a.title and a.title == b.title), logo_distance(a, b), logo_at
    )


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How much page ``a`` is a copy of official page ``b`` (0–1): :attr:`Likeness.score`."""
    return likeness(a, b).score


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
    images: list[str] = field(default_factory=list)  # pHash of the favicon and the logo

    @property
    def reachable(self) -> bool:
        """A page was served (a 5xx — a proxy's 502 too — is no page)."""
        return 200 <= self.status < 500 and not self.error


def _images(client: Any, url: str, html: str) -> list[str]:
    """The pHashes of the page's favicon and logo, each fetched once (512 KB at most);
    an image that cannot be had is left out."""
    import httpx2 as httpx

    out = []
    for src in image_urls(url, html):
        try:
            with client.stream("GET", src) as r:
                if r.status_code != 200:
                    continue
                body = b""
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > MAX_IMAGE_BYTES:
                        break
                if len(body) <= MAX_IMAGE_BYTES and (h := image_hash(body)):
                    out.append(h)
        except httpx.HTTPError:
            continue
    return out


def fetch(domain: str, proxy: str | None, timeout: float = TIMEOUT, images: bool = True,
          path: str = "/") -> Fetched:  # fmt: skip
    """The page of ``domain``: https first, http when the tunnel is refused or the
    certificate does not verify; redirects followed (at most five) and recorded; with
    ``images``, the perceptual hashes of its favicon and logo."""
    import httpx2 as httpx

    out = Fetched(domain)
    for scheme in ("https", "http"):
        url = f"{scheme}://{domain}{path if path.startswith('/') else '/' + path}"
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
                if images and out.reachable and out.html:
                    out.images = _images(client, out.url, out.html)
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


def fingerprint_of(page: Fetched) -> Fingerprint:
    """The fingerprint of a fetched page, its images included."""
    return fingerprint(page.url or f"http://{page.domain}/", page.html, page.images)


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
