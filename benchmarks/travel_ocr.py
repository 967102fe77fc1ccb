"""Benchmark: receipt OCR — field accuracy and seconds per receipt on rendered receipts.

    .venv/bin/python benchmarks/travel_ocr.py [--receipts 50]

Receipts are drawn by ``insa.travel.ocr.render_receipt`` (Nanum fonts) in six styles in turn:
clean; rotated up to ±4°; 1 % salt-and-pepper noise; a phone-photo look (blur, uneven light,
dark border); rotated + noisy + photo; and a phone camera's full-size JPEG (the photo look
enlarged five times, ~3500×4200, read from its bytes as an upload is). Each is read by Tesseract 5 (kor+eng) through
``read_receipt``. Bound: under 2 s per receipt on this machine. Merchant names are compared
without spaces (Tesseract's word spacing in Korean is unreliable).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import time

from PIL import Image

from insa.travel.ocr import ReceiptFields, read_receipt, render_receipt, valid_brn

NAMES = (
    "부산역 비즈니스호텔",
    "서울 스테이 명동",
    "대구 그랜드모텔",
    "한빛택시",
    "세종 호텔",
    "광주 시티호텔",
    "제주 바다펜션",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--receipts", type=int, default=50)
    args = ap.parse_args()
    rng = random.Random(2025)
    styles = ["clean", "rotated", "noisy", "photo", "all", "phone"]
    by_style: dict[str, dict[str, int]] = {
        s: {"n": 0, "date": 0, "total": 0, "brn": 0, "merchant": 0} for s in styles
    }
    times: list[float] = []
    style_times: dict[str, list[float]] = {}
    for i in range(args.receipts):
        style = styles[i % len(styles)]
        kw = {"clean": {}, "rotated": {"rotate": rng.uniform(-4, 4)}, "noisy": {"noise": 0.01},
              "photo": {"photo": True}, "all": {"rotate": rng.uniform(-3, 3), "noise": 0.005, "photo": True},
              "phone": {"rotate": rng.uniform(-2, 2), "photo": True}}[style]  # fmt: skip
        f = ReceiptFields(rng.choice(NAMES), valid_brn(i), dt.date(2025, rng.randint(1, 12), rng.randint(1, 28)),
                          rng.randint(2, 30) * 11_000)  # fmt: skip
        img = render_receipt(f, seed=i, **kw)
        source: Image.Image | bytes = img
        if style == "phone":  # a phone camera's JPEG (~3500×4200), read from the uploaded bytes
            buf = io.BytesIO()
            img.convert("RGB").resize(
                (img.width * 5, img.height * 5), Image.Resampling.BICUBIC
            ).save(buf, format="JPEG", quality=85)
            source = buf.getvalue()
        t0 = time.perf_counter()
        r = read_receipt(source)
        times.append(time.perf_counter() - t0)
        style_times.setdefault(style, []).append(times[-1])
        s = by_style[style]
        s["n"] += 1
        s["date"] += bool(r.date and r.date.value == f.date)
        s["total"] += bool(r.total and r.total.value == f.total)
        s["brn"] += bool(r.brn and r.brn.value == f.brn)
        s["merchant"] += bool(
            r.merchant and r.merchant.value.replace(" ", "") == f.merchant.replace(" ", "")
        )
    total = {
        k: sum(s[k] for s in by_style.values()) for k in ("n", "date", "total", "brn", "merchant")
    }
    print(
        f"# machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(json.dumps({
        "receipts": total["n"],
        "accuracy": {k: round(total[k] / total["n"], 3) for k in ("date", "total", "brn", "merchant")},
        "by_style": {st: {k: round(v[k] / v["n"], 3) for k in ("date", "total", "brn", "merchant")} for st, v in by_style.items()},
        "seconds_per_receipt": {"mean": round(sum(times) / len(times), 3), "max": round(max(times), 3)},
        "seconds_by_style": {st: {"mean": round(sum(v) / len(v), 3), "max": round(max(v), 3)} for st, v in style_times.items()},
    }, ensure_ascii=False, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
