"""Domain signals: how much a candidate domain looks like a protected asset's, each signal
named with its evidence in the finding's reasons. Plain functions over strings; the weights
and thresholds are dated data (``params/scoring.yaml``), the lure and innocent words data
(``data/words.yaml``).

The candidate is decoded (punycode → Unicode), its look-alike letters folded to Latin
(Unicode's confusables, TR39, through confusable-homoglyphs; digits standing for letters:
0→o, 1→l, 3→e, 5→s, rn→m), and split into subdomain, label and public suffix by the
public suffix list tldextract ships (nothing downloaded). Each asset's brand labels are the
labels of its official domains, its Latin names and the romanisations of its Korean names
(:mod:`insa.cyber.korean`). Then: the brand under another suffix (``tld-swap``,
``sld-swap``), the official domain or brand as a subdomain of another domain
(``brand-subdomain``), the brand inside a longer label (``brand``) with lure words
(``lure:refund``) or a number (``brand-number:2026``), a dot turned into a hyphen
(``dot-hyphen``), one or two edits away (``edit-distance:1`` with the kind of edit:
``transposition``, ``omission``, ``repetition``, ``replacement``, ``insertion``), a
non-standard romanisation (``romanisation:g>k``), a Hangul label (``korean-label``), and
words of innocent businesses (``innocent:gosiwon``) that lower the score. The allow list and
the assets' own domains never alert (``allowed``, ``official``)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from insa.cyber import korean
from insa.cyber.schemas import Asset, Assets, Finding, Verdict

DIGIT_LOOKS = {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"}
SPELLINGS = (("x", "ks"), ("ks", "x"), ("c", "k"), ("k", "c"), ("ph", "f"), ("f", "ph"),
             ("oo", "u"), ("u", "oo"), ("ee", "i"), ("i", "ee"), ("v", "b"), ("w", "v"))  # fmt: skip
MIN_FUZZY = 5  # letters a brand label needs before one edit counts
MIN_FUZZY_2 = 8  # … before two edits count
MIN_BRAND = 4  # letters a brand needs to count inside a longer label


@cache
def weights(on: dt.date | None = None) -> dict[str, int]:
    from insa.params import load

    return {k: int(v) for k, v in load("cyber")["scoring"](on or dt.date.today()).items()}


@cache
def words() -> dict[str, Any]:
    doc = yaml.safe_load(
        resources.files("insa.cyber").joinpath("data/words.yaml").read_text(encoding="utf-8")
    )
    return dict(doc)


@cache
def _extractor() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=8192)  # the official domains are split again for every candidate
def split(host: str) -> tuple[str, str, str]:
    """(subdomain, label, public suffix) of a host name."""
    got = _extractor()(host)
    return str(got.subdomain), str(got.domain), str(got.suffix)


@cache
def _confusable(ch: str, depth: int = 0) -> str | None:
    """The Latin letter or digit a character passes for, if any: Unicode's confusables
    (TR39's table, as confusable-homoglyphs ships it; followed one step further: ԍ → ɢ → g),
    else its decomposition (õ → o), else its name (ø, LATIN SMALL LETTER O WITH STROKE → o;
    ᴏ, LATIN LETTER SMALL CAPITAL O → o)."""
    from confusable_homoglyphs import confusables

    if ch.isascii():
        return ch.lower() if ch.isalnum() and depth else None
    for h in confusables.confusables_data.get(ch, []):
        c = h["c"]
        if len(c) == 1 and c.isascii() and c.isalnum():
            return str(c).lower()
    base = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in base if not unicodedata.combining(c))
    if len(base) == 1 and base.isascii() and base.isalnum():
        return base.lower()
    named = re.match(r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: WITH |$)",
                     unicodedata.name(ch, ""))  # fmt: skip
    if named:
        return named.group(1).lower()
    if depth == 0:
        for h in confusables.confusables_data.get(ch, []):
            c = h["c"]
            if len(c) == 1:
                got = _confusable(c, 1)
                if got:
                    return got
    return None


def decode(host: str) -> tuple[str, list[str]]:
    """A host as written → (its Unicode form, reasons: ``idn:…``), lower case, no trailing dot."""
    host = host.strip().lower().rstrip(".")
    reasons: list[str] = []
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                uni = label[4:].encode("ascii").decode("punycode")
                reasons.append(f"idn:{label}>{uni}")
                labels.append(uni)
                continue
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels), reasons


def fold(text: str) -> tuple[str, list[str]]:
    """Look-alike characters folded to the Latin letters they pass for → (folded, reasons
    ``homoglyph:о>o``). Hangul stays (a Korean label is a signal of its own)."""
    out, reasons = [], []
    for ch in text:
        if ch.isascii() or korean.is_hangul(ch) or ch in ".-":
            out.append(ch)
            continue
        c = _confusable(ch)
        if c is None:
            out.append(ch)
        else:
            reasons.append(f"homoglyph:{ch}>{c}")
            out.append(c)
    return "".join(out), reasons


def undigit(label: str) -> tuple[str, list[str]]:
    """Digits and ``rn``, ``vv`` standing for letters, read as the letters (``g0si`` → gosi)."""
    reasons = []

    def swap(m: re.Match[str]) -> str:
        d = m.group(0)
        reasons.append(f"homoglyph:{d}>{DIGIT_LOOKS[d]}")
        return DIGIT_LOOKS[d]

    # a lone digit among letters (g0si, 1ogin), never one of a number (gosi2026, jeongbu24)
    out = re.sub(r"(?:(?<=[a-z])|^)[0134578](?=[a-z])|(?<=[a-z])[0134578](?=$|-)", swap, label)
    for a, b in (("rn", "m"), ("vv", "w")):
        if a in out:
            out = out.replace(a, b)
            reasons.append(f"homoglyph:{a}>{b}")
    return out, reasons


def edit_kind(got: str, brand: str) -> str:
    """What one edit did to ``brand``: transposition, omission, repetition, insertion or
    replacement."""
    if len(got) == len(brand):
        diff = [i for i in range(len(got)) if got[i] != brand[i]]
        if (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and got[diff[0]] == brand[diff[1]]
            and got[diff[1]] == brand[diff[0]]
        ):
            return "transposition"
        return "replacement"
    if len(got) == len(brand) - 1:
        return "omission"
    if len(got) == len(brand) + 1:
        for i in range(len(got)):
            if got[:i] + got[i + 1 :] == brand:
                return (
                    "repetition"
                    if (i > 0 and got[i] == got[i - 1])
                    or (i + 1 < len(got) and got[i] == got[i + 1])
                    else "insertion"
                )
    return "edit"


@dataclass(frozen=True)
class Brand:
    label: str  # Latin letters and digits
    asset: str
    how: str  # domain | name | rr | common | romanisation:… (how the label was made)
    suffix: str = ""  # for a domain's label: its public suffix


@dataclass
class Prepared:
    """The assets made ready for scoring many candidates."""

    assets: dict[str, Asset]
    brands: list[Brand]
    official: set[str]  # the assets' registered domains
    allow: tuple[str, ...]
    lures: dict[str, set[str]]  # asset id → its lure words (Latin and Hangul), the shared ones too
    korean_names: dict[str, list[str]]  # asset id → Hangul names (spaces removed)
    innocent: dict[str, str] = field(default_factory=dict)  # word → housing | business
    w: dict[str, int] = field(default_factory=dict)
    by_asset: dict[str, list[Brand]] = field(default_factory=dict)
    generic: frozenset[str] = frozenset()  # brands that are everyday words

    exact: dict[str, set[str]] = field(default_factory=dict)  # a brand label → its assets
    deletions: dict[str, set[str]] = field(
        default_factory=dict
    )  # a brand with a letter dropped → assets
    long: dict[int, list[tuple[str, str]]] = field(
        default_factory=dict
    )  # length → long core brands
    heads: dict[str, set[str]] = field(default_factory=dict)  # a brand's first 4 letters → assets
    forms: dict[str, set[str]] = field(
        default_factory=dict
    )  # dot-hyphen forms, official labels → assets

    def __post_init__(self) -> None:
        """An index of the brands, so that a candidate is compared in detail only with the
        assets it may look like: exact labels, their one- and two-letter deletions (the
        symmetric-deletion way to find every label within one or two edits with a few
        lookups), their first four letters (a brand inside a longer label starts with them),
        the dot-hyphen forms and the official labels (a subdomain naming them)."""
        for b in self.brands:
            self.by_asset.setdefault(b.asset, []).append(b)
        for a in self.assets:
            self.by_asset.setdefault(a, [])
        for key in self.by_asset:
            self.by_asset[key].sort(key=lambda b: -len(b.label))
        for b in self.brands:
            self.exact.setdefault(b.label, set()).add(b.asset)
            for d in _deletions(b.label):
                self.deletions.setdefault(d, set()).add(b.asset)
            if len(b.label) >= MIN_FUZZY_2 and b.how in ("domain", "name"):
                self.long.setdefault(len(b.label), []).append((b.label, b.asset))
            if len(b.label) >= MIN_BRAND:
                self.heads.setdefault(b.label[:MIN_BRAND], set()).add(b.asset)
        for asset in self.assets.values():
            for d in asset.domains:
                _, label, suffix = split(d)
                dashed = f"{label}-{suffix.replace('.', '-')}"
                country = f"{label}-{suffix.split('.')[-1]}"
                for form in (
                    dashed,
                    country,
                    f"www-{label}",
                    f"www{label}",
                    f"{label}{suffix.replace('.', '')}",
                    label,
                ):
                    self.forms.setdefault(form, set()).add(asset.id)

    def relevant(self, c: _Candidate) -> set[str]:
        """The assets a candidate may look like (a superset: each is then scored in full)."""
        s = c.squashed
        found: set[str] = set()
        words = [s, *(t for t in c.label_tokens if len(t) >= MIN_FUZZY and t != s)]
        for word in words:  # the label, and each word of it (homtax-refund)
            found |= self.exact.get(word, set())
            found |= self.deletions.get(word, set())
            for d in _deletions(word):
                found |= self.deletions.get(d, set()) | self.exact.get(d, set())
        near = [x for n in range(len(s) - 2, len(s) + 3) for x in self.long.get(n, ())]
        if near:  # two edits from a long official label or name (in C, stopping past 2)
            for _label, _dist, i in process.extract(s, [x[0] for x in near], scorer=OSA.distance,
                                                     score_cutoff=2, limit=None):  # fmt: skip
                found.add(near[i][1])
        for text in (s, "".join(c.sub_tokens)):
            for i in range(len(text) - MIN_BRAND + 1):
                found |= self.heads.get(text[i : i + MIN_BRAND], set())
        parts = c.plain.split("-")
        for n in range(1, min(4, len(parts)) + 1):
            found |= self.forms.get("-".join(parts[:n]), set())
        for t in c.sub_tokens:
            found |= self.forms.get(t, set()) | self.exact.get(t, set())
        if c.hangul:
            found |= {
                a for a, names in self.korean_names.items() if any(n in c.label for n in names)
            }
        return found


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def prepare(assets: Assets, on: dt.date | None = None) -> Prepared:
    brands: list[Brand] = []
    official: set[str] = set()
    shared = words()
    shared_lures = {x["word"] for x in shared["lures"]} | {
        x["ko"] for x in shared["lures"] if x.get("ko")
    }
    innocent = {w: kind for kind, ws in shared["innocent"].items() for w in ws}
    lures: dict[str, set[str]] = {}
    names_ko: dict[str, list[str]] = {}
    for a in assets.assets:
        seen: set[str] = set()
        for d in a.domains:
            sub, label, suffix = split(d)
            official.add(f"{label}.{suffix}" if suffix else label)
            ascii_label = re.sub(r"[^a-z0-9]", "", label)
            if ascii_label and ascii_label not in seen:
                brands.append(Brand(ascii_label, a.id, "domain", suffix))
                seen.add(ascii_label)
        for name in a.names:
            if korean.has_hangul(name):
                names_ko.setdefault(a.id, []).append(re.sub(r"\s+", "", name))
            for spelled, how in korean.spellings(name):
                if len(spelled) >= 3 and spelled not in seen:
                    brands.append(Brand(spelled, a.id, how))
                    seen.add(spelled)
        latin = [b.label for b in brands if b.asset == a.id and b.how in ("domain", "name")]
        for word in names_ko.get(a.id, []):  # 고시 in 국가고시 spells gosi: its other spellings too
            hangul = "".join(c for c in word if korean.is_hangul(c))
            for i in range(len(hangul)):
                for j in range(i + 2, min(len(hangul), i + 4) + 1):
                    part = hangul[i:j]
                    if korean.revised(part) in latin:
                        for spelled, subs in korean.variants(part).items():
                            if subs and spelled not in seen:
                                brands.append(
                                    Brand(spelled, a.id, "romanisation:" + ",".join(subs))
                                )
                                seen.add(spelled)
        for label in latin:  # spellings of a Latin brand: hometaks, fone
            for old, new in SPELLINGS:
                if old in label:
                    spelled = label.replace(old, new)
                    if spelled not in seen and len(spelled) >= MIN_BRAND:
                        brands.append(Brand(spelled, a.id, f"spelling:{old}>{new}"))
                        seen.add(spelled)
        own = {x.lower() for x in a.lures}
        for x in list(own):  # a Korean lure also by its romanisation
            if korean.has_hangul(x):
                own.add(korean.revised(x))
        lures[a.id] = own | shared_lures
    return Prepared({a.id: a for a in assets.assets}, brands, official, assets.allow, lures, names_ko,
                    innocent, weights(on), generic=frozenset(shared.get("generic", ())))  # fmt: skip


def _allowed(host: str, registered: str, prep: Prepared) -> str | None:
    for rule in prep.allow:
        if host == rule or host.endswith("." + rule) or registered == rule:
            return "allowed"
    if registered in prep.official:
        return "official"
    return None


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9\uac00-\ud7a3]+", text) if t]


def _match(
    asset: Asset, brands: list[Brand], c: _Candidate, w: dict[str, int]
) -> tuple[int, list[str]]:
    """How much the candidate looks like one asset: (points, reasons); 0 and [] when not."""
    reasons: list[str] = []
    points = 0
    squashed = c.squashed
    # the brand under another suffix, or the official domain itself written with look-alikes
    for b in brands:
        if b.how == "domain" and squashed == b.label:
            if c.suffix == b.suffix:  # the official name itself, its letters folded: a clone
                reasons.append(f"homoglyph-clone:{b.label}.{b.suffix}")
                points += w["tld_swap"]
            else:
                same_cc = c.suffix.split(".")[-1] == b.suffix.split(".")[-1]
                reasons.append(f"{'sld-swap' if same_cc else 'tld-swap'}:{b.suffix}>{c.suffix}")
                gain = w["sld_swap" if same_cc else "tld_swap"]
                points += gain // 2 if len(b.label) < MIN_BRAND else gain
            break
    # the official domain, or its label, as a subdomain of another registered domain
    if not reasons and c.sub:
        for d in asset.domains:
            _, dlabel, dsuffix = split(d)
            if f"{dlabel}.{dsuffix}" in c.sub or (
                len(dlabel) >= MIN_BRAND and dlabel in c.sub_tokens
            ):
                reasons.append("brand-subdomain")
                points += w["brand_subdomain"]
                break
        if not reasons and any(
            len(b.label) >= MIN_BRAND and b.label in c.sub_tokens for b in brands
        ):
            reasons.append("brand-subdomain")
            points += w["brand_subdomain"]
    # a dot turned into a hyphen or dropped: gosi-kr.com, wwwgosi.kr, hometax-kr.com
    if not reasons:
        for d in asset.domains:
            _, dlabel, dsuffix = split(d)
            dashed = f"{dlabel}-{dsuffix.replace('.', '-')}"
            country = f"{dlabel}-{dsuffix.split('.')[-1]}"  # hometax.go.kr → hometax-kr
            forms = (
                dashed,
                country,
                f"www-{dlabel}",
                f"www{dlabel}",
                f"{dlabel}{dsuffix.replace('.', '')}",
            )
            if c.plain in forms or c.plain.startswith((dashed + "-", country + "-")):
                reasons.append(f"dot-hyphen:{d}>{c.label}")
                points += w["dot_hyphen"]
                break
    if not reasons:  # the label is a brand spelling: a name, a romanisation, a respelling
        for b in brands:
            if b.label == squashed and b.how != "domain":
                if b.how.startswith(("romanisation", "spelling")):
                    reasons.append(b.how)
                    points += w["romanisation"]
                elif b.how in ("rr", "common"):
                    reasons.append(f"romanised-name:{b.label}")
                    points += w["romanised_name"]
                else:
                    reasons.append(f"brand:{b.label}")
                    points += w["tld_swap"]
                break
    if not reasons:  # the brand inside a longer label
        for b in sorted(brands, key=lambda b: -len(b.label)):
            if (
                len(b.label) >= MIN_BRAND
                and b.label in squashed
                and len(squashed) > len(b.label) + 1
            ):
                reasons.append(f"brand:{b.label}")
                points += w["brand_generic"] if b.label in c.generic else w["brand"]
                if b.how.startswith(("romanisation", "spelling")):
                    reasons.append(b.how)
                for token in c.label_tokens:  # gosi2026, 2026gosi
                    number = token.replace(b.label, "", 1) if b.label in token else ""
                    if number.isdigit() and len(number) >= 2:
                        reasons.append(f"brand-number:{number}")
                        points += w["brand_number"]
                        break
                break
    words = [squashed, *(t for t in c.label_tokens if len(t) >= MIN_FUZZY and t != squashed)]
    for word, b in ((wd, b) for wd in words for b in brands):  # one or two edits away
        if reasons:
            break
        n = len(b.label)
        dist = OSA.distance(word, b.label, score_cutoff=2)  # a swap of neighbours: one edit
        if dist not in (1, 2) or (
            dist == 2 and (n < MIN_FUZZY_2 or b.how not in ("domain", "name") or word != squashed)
        ):
            continue
        kind = edit_kind(word, b.label) if dist == 1 else "edit"
        same_registry = bool(b.suffix) and c.suffix == b.suffix
        if n < MIN_FUZZY and kind not in ("transposition", "repetition") and not same_registry:
            continue  # short brands: the specific edits (gsoi, gossi), any edit only beside the official name
        reasons.append(f"edit-distance:{dist}")
        if kind != "edit":
            reasons.append(f"{kind}:{b.label}>{word}")
        if b.how.startswith(("romanisation", "spelling")):
            reasons.append(b.how)
        typo = kind in ("transposition", "repetition", "omission")  # the typos of fingers
        if n < MIN_FUZZY and not typo:  # any edit of a short brand: worth watching, no more
            points += w["watch"] + 5
        else:
            points += w["edit_distance_1" if dist == 1 else "edit_distance_2"]
            points += w["typo"] if typo else 0
            if c.suffix.split(".")[-1] == (b.suffix or "kr").split(".")[-1]:
                points += w["same_country"]
        break
    if not reasons and c.hangul:
        for name in c.korean_names:
            if name in c.label:
                reasons.append(f"korean-label:{name}")
                points += w["korean_label"]
                break
    if not reasons:
        return 0, []
    if c.digit_reasons:
        reasons += c.digit_reasons
        points += w["homoglyph"]
    if c.glyphs:
        reasons += c.glyphs[:3]
        points += w["homoglyph"]
    if c.idn:
        reasons += c.idn[:1]
        points += w["idn"]
    return points, reasons


@dataclass
class _Candidate:
    shown: str
    sub: str
    label: str
    suffix: str
    plain: str  # the label with its digit look-alikes read as letters
    squashed: str  # … and without hyphens
    sub_tokens: list[str]
    label_tokens: list[str]
    digit_reasons: list[str]
    glyphs: list[str]
    idn: list[str]
    hangul: bool
    korean_names: list[str] = field(default_factory=list)
    generic: frozenset[str] = frozenset()


def score(domain: str, prep: Prepared) -> Finding:
    """One candidate against every asset: the best asset's finding (an empty asset and
    ``ignore`` when none matches). The allow list and the official domains are checked on
    the name as registered (a look-alike folded onto the official name is a clone, not the
    official name)."""
    shown = domain.strip().lower().rstrip(".")
    if shown.startswith("*."):
        shown = shown[2:]
    uni, idn = decode(shown)
    sub0, label0, suffix0 = split(uni)
    why = _allowed(uni, f"{label0}.{suffix0}" if suffix0 else label0, prep)
    if why is not None:
        return Finding(shown, "", 0, "ignore", (why,))
    folded, glyphs = fold(uni)
    sub, label, suffix = split(folded)
    plain, digit_reasons = undigit(label)
    c = _Candidate(shown, sub, label, suffix, plain, plain.replace("-", ""), _tokens(sub), _tokens(label),
                   digit_reasons if plain != label else [], glyphs, idn, korean.has_hangul(label),
                   generic=prep.generic)  # fmt: skip
    w = prep.w
    best: tuple[int, str, list[str]] = (0, "", [])
    for asset_id in sorted(prep.relevant(c)):
        asset = prep.assets[asset_id]
        c.korean_names = prep.korean_names.get(asset_id, [])
        points, reasons = _match(asset, prep.by_asset[asset_id], c, w)
        if not reasons:
            continue
        brand_words = {
            r.split(":", 1)[1].split(">")[0]
            for r in reasons
            if r.startswith(("brand:", "romanised-name:"))
        }
        rest = c.squashed
        innocent = None
        for word, kind in prep.innocent.items():  # first: 고시원's "won" is not 원서's
            if any(word == t or (len(word) >= 5 and word in t) for t in c.label_tokens):
                innocent = (word, kind)
                rest = rest.replace(word, " ")
                break
        for bw in brand_words:
            rest = rest.replace(bw, " ")
        if any(r.startswith("edit-distance") for r in reasons):
            rest = ""  # a misspelt brand: its letters are not lures (unipasss is not "pass")
        text = f"{rest} {' '.join(c.sub_tokens)}"
        found: list[str] = []
        for x in sorted(prep.lures[asset_id], key=len, reverse=True):
            if len(x) >= 3 and (
                x in c.label_tokens or x in c.sub_tokens or (len(x) >= 4 and x in text)
            ):
                if not any(x in y for y in found):
                    found.append(x)
        for i, x in enumerate(found[:3]):
            reasons.append(f"lure:{x}")
            points += w["lure"] if i == 0 else w["lure"] // 2
        if innocent is not None:
            reasons.append(f"innocent:{innocent[0]}")
            points += w["innocent_housing" if innocent[1] == "housing" else "innocent_business"]
        points = max(0, min(100, points))
        if points > best[0] or not best[1]:
            best = (points, asset_id, reasons)
    points, asset_id, reasons = best
    if not asset_id:
        return Finding(shown, "", 0, "ignore", ())
    verdict: Verdict = (
        "alert" if points >= w["alert"] else "watch" if points >= w["watch"] else "ignore"
    )
    return Finding(shown, asset_id, points, verdict, tuple(reasons))


def score_all(domains: Iterable[str], prep: Prepared) -> list[Finding]:
    return [score(d, prep) for d in domains]
