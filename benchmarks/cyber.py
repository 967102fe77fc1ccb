"""Look-alike scan at scale (issue 14): 1,000,000 candidate domains scored against 50
protected assets by ``insa cyber scan`` as a user runs it (its worker processes, the
findings CSV written), under 60 s and 2 GB on this machine; and the same in one process
as the baseline.

    .venv/bin/python benchmarks/cyber.py --candidates 1000000 --assets 50
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

from machine import machine

ROOT = Path(__file__).resolve().parent.parent
# fifty services of central agencies (names as the public knows them, domains as published)
SERVICES = [
    ("gosi", "gosi.kr", "사이버국가고시센터"), ("hometax", "hometax.go.kr", "홈택스"), ("gov24", "gov.kr", "정부24"),
    ("law", "law.go.kr", "국가법령정보센터"), ("kdca", "kdca.go.kr", "질병관리청"), ("mpm", "mpm.go.kr", "인사혁신처"),
    ("mpva", "mpva.go.kr", "국가보훈부"), ("moleg", "moleg.go.kr", "법제처"), ("naacc", "naacc.go.kr", "행정중심복합도시건설청"),
    ("sdia", "saemangeum.go.kr", "새만금개발청"), ("nts", "nts.go.kr", "국세청"), ("epost", "epost.go.kr", "우체국"),
    ("wetax", "wetax.go.kr", "위택스"), ("nhis", "nhis.or.kr", "국민건강보험"), ("nps", "nps.or.kr", "국민연금"),
    ("work24", "work24.go.kr", "고용24"), ("bokjiro", "bokjiro.go.kr", "복지로"), ("efine", "efine.go.kr", "교통민원24"),
    ("safekorea", "safekorea.go.kr", "국민재난안전포털"), ("police", "police.go.kr", "경찰청"), ("scourt", "scourt.go.kr", "대법원"),
    ("iros", "iros.go.kr", "인터넷등기소"), ("minwon", "minwon.go.kr", "민원24"), ("kipo", "kipo.go.kr", "특허청"),
    ("customs", "customs.go.kr", "관세청"), ("unipass", "unipass.customs.go.kr", "유니패스"), ("hikorea", "hikorea.go.kr", "하이코리아"),
    ("passport", "passport.go.kr", "여권안내"), ("g2b", "g2b.go.kr", "나라장터"), ("narasarang", "narasarang.or.kr", "나라사랑"),
    ("mma", "mma.go.kr", "병무청"), ("kcomwel", "kcomwel.or.kr", "근로복지공단"), ("lh", "lh.or.kr", "한국토지주택공사"),
    ("myhome", "myhome.go.kr", "마이홈"), ("kosaf", "kosaf.go.kr", "한국장학재단"), ("q-net", "q-net.or.kr", "큐넷"),
    ("kca", "kca.go.kr", "한국소비자원"), ("ftc", "ftc.go.kr", "공정거래위원회"), ("nec", "nec.go.kr", "중앙선거관리위원회"),
    ("ccourt", "ccourt.go.kr", "헌법재판소"), ("korea", "korea.kr", "대한민국정책브리핑"), ("mois", "mois.go.kr", "행정안전부"),
    ("moel", "moel.go.kr", "고용노동부"), ("mohw", "mohw.go.kr", "보건복지부"), ("moe", "moe.go.kr", "교육부"),
    ("molit", "molit.go.kr", "국토교통부"), ("mafra", "mafra.go.kr", "농림축산식품부"), ("me", "me.go.kr", "환경부"),
    ("msit", "msit.go.kr", "과학기술정보통신부"), ("mofa", "mofa.go.kr", "외교부"),
]  # fmt: skip
WORDS = ["shop", "seoul", "korea", "my", "best", "online", "home", "news", "blog", "travel", "cafe", "store", "pay",
         "game", "music", "love", "study", "dental", "clinic", "auto", "car", "kids", "food", "market", "smart",
         "tech", "cloud", "data", "net", "web", "app", "life", "style", "beauty", "house", "bank", "law", "tax"]  # fmt: skip
SUFFIXES = ["com", "net", "kr", "co.kr", "xyz", "org", "info", "shop", "site", "top", "online"]


def write_assets(path: Path, n: int) -> None:
    lines = ["assets:"]
    for sid, domain, name in SERVICES[:n]:
        lines += [f"  - id: {sid}", "    ministry: MPM", f"    domains: [{domain}]", f"    names: [{name}, {sid}]",
                  "    lures: [login, refund, 환급, 조회]"]  # fmt: skip
    lines.append("allow: [korea.kr, go.kr]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_candidates(path: Path, n: int, assets: int, seed: int = 7) -> None:
    """Mostly unrelated names (as a day of newly registered domains is), one in a hundred
    built on a service's name."""
    rnd = random.Random(seed)
    brands = [d.split(".")[0] for _, d, _ in SERVICES[:assets]]
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            if i % 100 == 0:
                b = rnd.choice(brands)
                name = rnd.choice(
                    [
                        f"{b}-{rnd.choice(['login', 'refund', 'check'])}",
                        b[::-1],
                        b + b[-1],
                        f"{b}{i}",
                    ]
                )
            else:
                name = f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}{rnd.randint(0, 99999)}"
            f.write(f"{name}.{rnd.choice(SUFFIXES)}\n")


def run(cands: Path, assets: Path, out: Path, workers: int) -> tuple[float, float]:
    insa = str(ROOT / ".venv" / "bin" / "insa")
    t0 = time.perf_counter()
    proc = subprocess.Popen([insa, "cyber", "scan", str(cands), "--assets", str(assets), "-o", str(out),
                             "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(
                c.memory_info().rss for c in ps.children(recursive=True)
            )
            peak = max(peak, rss)
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else b""
    return wall, peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=1_000_000)
    ap.add_argument("--assets", type=int, default=50)
    ap.add_argument("--baseline", action="store_true", help="also in one process")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cyberbench-"))
    assets, cands = work / "assets.yaml", work / "candidates.txt"
    write_assets(assets, args.assets)
    write_candidates(cands, args.candidates, args.assets)
    print(f"machine: {machine()}")
    wall, peak = run(cands, assets, work / "findings.csv", 0)
    rows = sum(1 for _ in (work / "findings.csv").open(encoding="utf-8")) - 1
    alerts = sum(1 for line in (work / "findings.csv").open(encoding="utf-8") if ",alert," in line)
    print(f"{args.candidates:,} candidates × {args.assets} assets, all cores: {wall:.1f} s, peak RSS {peak:.0f} MB, "
          f"{rows:,} rows, {alerts:,} alerts")  # fmt: skip
    if args.baseline:
        one, peak1 = run(cands, assets, work / "findings1.csv", 1)
        print(
            f"one process: {one:.1f} s, peak RSS {peak1:.0f} MB (all cores: {one / wall:.2f}× faster)"
        )


if __name__ == "__main__":
    main()
