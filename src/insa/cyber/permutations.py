"""The domains worth watching before they are registered: dnstwist's fuzzers (used as a
library) on every official domain, and insa's Korean ones — the other romanisations of the
service's Korean names, the brand with the shared lure words, under the suffixes attackers
use. Each row: (domain, asset, how it was made)."""

from __future__ import annotations

from insa.cyber import korean
from insa.cyber.schemas import Assets
from insa.cyber.signals import prepare, split, words

SUFFIXES = ("kr", "co.kr", "or.kr", "com", "net", "org", "info", "xyz", "top", "site", "online")
MAX_PER_ASSET = 20_000


def permutations(assets: Assets) -> list[tuple[str, str, str]]:
    import dnstwist

    prep = prepare(assets)
    lures = sorted({x["word"] for x in words()["lures"]})
    out: dict[str, tuple[str, str]] = {}
    official = set(prep.official)

    def add(domain: str, asset: str, how: str) -> None:
        if domain not in official and domain not in out:
            out[domain] = (asset, how)

    for a in assets.assets:
        start = len(out)
        for d in a.domains:
            fuzz = dnstwist.Fuzzer(d)
            _, label, suffix = split(d)
            # dnstwist splits by its own short list (hometax.go.kr as label "go"): the public
            # suffix list's split instead
            # a suffix only its agencies can register (go.kr): the look-alikes go elsewhere
            closed = any(suffix == r or suffix.endswith("." + r) for r in assets.allow)
            for tld in ("kr", "com") if closed else (suffix,):
                fuzz.subdomain, fuzz.domain, fuzz.tld = "", label, tld
                fuzz.generate()
                for row in fuzz.domains:
                    if row["fuzzer"] != "*original":
                        add(row["domain"], a.id, f"dnstwist:{row['fuzzer']}")
            for s in SUFFIXES:
                if s != suffix:
                    add(f"{label}.{s}", a.id, "tld-swap")
            add(f"{label}-{suffix.replace('.', '-')}.com", a.id, "dot-hyphen")
        for b in prep.by_asset[a.id]:
            if len(b.label) < 4:
                continue
            if b.how.startswith(("romanisation", "rr", "common", "spelling")):
                for s in ("kr", "co.kr", "com", "net"):
                    add(f"{b.label}.{s}", a.id, b.how)
            if b.how in ("domain", "name"):
                for lure in (*[x for x in a.lures if not korean.has_hangul(x)], *lures):
                    for s in ("com", "net", "kr"):
                        add(f"{b.label}-{lure}.{s}", a.id, f"lure:{lure}")
            if len(out) - start >= MAX_PER_ASSET:
                break
    return [(d, a, how) for d, (a, how) in out.items()]
