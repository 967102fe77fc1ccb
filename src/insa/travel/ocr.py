"""Receipts read by OCR: date, total, merchant and business registration number.

Tesseract with the Korean model (Debian ``tesseract-ocr-kor``) through pytesseract; nothing is
downloaded. Each field comes with a confidence (Tesseract's word confidences over the words the
field was read from, 0–1); the traveller confirms or corrects. A PDF receipt with a text layer
(card companies' e-receipts) is read from its text directly. The business registration number
is accepted only when python-stdnum accepts it (``stdnum.kr.brn``: length, digits and its
components; the library has no check-digit test for this number).

``render_receipt`` draws synthetic receipts (Nanum fonts, rotation, noise, a phone-photo look)
for the tests and the accuracy benchmark.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps
from stdnum.kr import brn as stdnum_brn

FONT_DIRS = ("/usr/share/fonts/truetype/nanum",)
_DATE = re.compile(r"(20\d{2})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})")
_BRN = re.compile(r"(\d{3})\s*-\s*(\d{2})\s*-\s*(\d{5})")
# the rest of the line after a total's label; digits read as letters are mapped back
_TOTAL = re.compile(r"(합\s*계|총\s*액|결\s*제\s*금\s*액|받\s*을\s*금\s*액)[^\dOo\n]{0,12}([^\n]*)")
_AMOUNT = re.compile(r"\d{1,3}(?:[,.\s]+\d{3})+|\d{4,}")  # 88,000 · 88.,000 · 88 000 · 88000
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})
_APPROVAL = re.compile(r"승\s*인\s*번\s*호\s*[:：]?\s*([0-9OolI|]{6,12})")
_MERCHANT = re.compile(r"(상\s*호|가\s*맹\s*점)\s*(명)?\s*[:：]?\s*(.+)")


@dataclass
class Field:
    value: Any
    confidence: float


@dataclass
class ReceiptReading:
    date: Field | None = None
    total: Field | None = None
    merchant: Field | None = None
    brn: Field | None = None
    approval_no: Field | None = None  # the card approval number: tells two equal receipts apart
    text: str = ""
    words: list[tuple[str, float]] = field(default_factory=list)


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "NanumGothicBold.ttf" if bold else "NanumGothic.ttf"
    for d in FONT_DIRS:
        p = Path(d) / name
        if p.exists():
            return ImageFont.truetype(str(p), size)
    raise FileNotFoundError(f"{name}: install the Debian package fonts-nanum")


def valid_brn(seed: int) -> str:
    """A synthetic business registration number that python-stdnum accepts."""
    rng = random.Random(seed)
    while True:
        head = f"{rng.randint(101, 899)}{rng.randint(1, 99):02d}{rng.randint(0, 9999):04d}"
        for last in "0123456789":
            if stdnum_brn.is_valid(head + last):
                return head + last


@dataclass(frozen=True)
class ReceiptFields:
    merchant: str
    brn: str  # 10 digits
    date: dt.date
    total: int


def render_receipt(
    f: ReceiptFields, *, seed: int = 0, rotate: float = 0.0, noise: float = 0.0, photo: bool = False
) -> Image.Image:
    """A receipt image as a thermal printer would print it, optionally photographed."""
    rng = random.Random(seed)
    w, h = 620, 760
    img = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(img)
    big, body = _font(34, bold=True), _font(26)
    y = 30
    d.text((w // 2, y), "영 수 증", font=big, fill=0, anchor="mt")
    y += 70
    b = f.brn
    price = f.total - f.total // 11
    lines = [
        f"상호: {f.merchant}",
        f"사업자번호: {b[:3]}-{b[3:5]}-{b[5:]}",
        f"일시: {f.date:%Y-%m-%d} {rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}",
        "-" * 30,
        f"숙박 1박            {price:,}",
        f"부가세              {f.total - price:,}",
        "-" * 30,
        f"합계: {f.total:,}원",
        f"승인번호: {rng.randint(10**7, 10**8 - 1)}",
        "감사합니다",
    ]
    for text in lines:
        d.text((40, y), text, font=body, fill=0)
        y += 56
    if noise:
        px = img.load()
        assert px is not None
        for _ in range(int(w * h * noise)):
            px[rng.randrange(w), rng.randrange(h)] = rng.choice((0, 255))
    if rotate:
        img = img.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if photo:  # uneven light, slight blur, greyish paper on a darker table
        img = img.filter(ImageFilter.GaussianBlur(0.8))
        shade = Image.linear_gradient("L").resize(img.size).point(lambda v: 190 + v // 5)
        img = Image.composite(img, shade, img.point(lambda v: 255 - v))
        img = ImageOps.expand(img, border=30, fill=90)
    return img


def _deskew_angle(g: Image.Image) -> float:
    """The small rotation (±5°) that makes text lines horizontal: the angle whose row
    profile is sharpest (projection-profile method)."""
    import numpy as np

    small = g.resize((g.width // 2, g.height // 2)).point(lambda v: 255 if v < 128 else 0)
    best, best_score = 0.0, -1.0
    for angle in [a / 2 for a in range(-10, 11)]:
        rows = np.asarray(small.rotate(angle, fillcolor=0), dtype=np.float64).sum(axis=1)
        score = float(np.square(np.diff(rows)).sum())
        if score > best_score:
            best, best_score = angle, score
    return best


def _prepare(img: Image.Image) -> Image.Image:
    g = ImageOps.grayscale(img)
    g = g.filter(ImageFilter.MedianFilter(3))  # salt-and-pepper noise, dust
    g = ImageOps.autocontrast(g, cutoff=1)
    angle = _deskew_angle(g)
    if angle:
        g = g.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if min(g.size) < 900:  # Tesseract reads small print better enlarged
        g = g.resize((g.width * 2, g.height * 2), Image.Resampling.LANCZOS)
    return g.point(lambda v: 255 if v > 150 else 0)


def read_receipt(source: Path | bytes | Image.Image) -> ReceiptReading:
    """Read one receipt (JPEG/PNG image, or PDF with a text layer)."""
    if isinstance(source, Path):
        data = source.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = b""
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
        except PyPdfError as exc:
            raise ValueError(f"the PDF cannot be read: {exc}") from None
        if not text.strip():
            raise ValueError("the PDF has no text layer; upload a photo of the receipt instead")
        return _fields(text, [(w, 1.0) for w in text.split()])
    img = source if isinstance(source, Image.Image) else _open_image(data)
    import pytesseract

    # Tesseract's OpenMP threads make one small page about 3× slower on a 2-core machine
    # (docs/benchmarks.md); one thread per page unless the deployment says otherwise
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    out = pytesseract.image_to_data(
        _prepare(img), lang="kor+eng", config="--psm 6", output_type=pytesseract.Output.DICT
    )
    words = [
        (t, max(float(c), 0.0) / 100)
        for t, c in zip(out["text"], out["conf"], strict=True)
        if t.strip()
    ]
    lines: dict[tuple[int, int, int], list[str]] = {}
    for i, t in enumerate(out["text"]):
        if t.strip():
            lines.setdefault(
                (out["block_num"][i], out["par_num"][i], out["line_num"][i]), []
            ).append(t)
    text = "\n".join(" ".join(ws) for ws in lines.values())
    return _fields(text, words)


MAX_TOTAL = 100_000_000  # a larger "total" is a misreading (the computation's bound)
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; more is refused before it is decoded
MAX_SIDE = 1600  # larger photos are scaled down first: OCR time and memory stay bounded


class TooLarge(ValueError):
    """An image with more pixels than :data:`MAX_PIXELS` (a decompression bomb, or a scan)."""


def _open_image(data: bytes) -> Image.Image:
    try:
        raw = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError:
        raise TooLarge(f"more than {MAX_PIXELS:,} pixels") from None
    if raw.width * raw.height > MAX_PIXELS:
        raise TooLarge(f"{raw.width}×{raw.height} pixels; at most {MAX_PIXELS:,}")
    if raw.format == "JPEG":  # decode a phone photo at a reduced scale directly (DCT scaling)
        raw.draft("L", (MAX_SIDE, MAX_SIDE))
    # phone photos record their orientation in EXIF
    img: Image.Image = ImageOps.exif_transpose(raw) or raw
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float scans: to 8 bits
        import numpy as np

        arr = np.asarray(img).astype(np.int64)
        arr -= arr.min()
        img = Image.fromarray((arr * 255 // max(int(arr.max()), 1)).astype(np.uint8))
    if max(img.size) > MAX_SIDE:
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return img


def _confidence(matched: str, words: list[tuple[str, float]]) -> float:
    parts = [c for w, c in words if w and w in matched]
    return round(sum(parts) / len(parts), 3) if parts else 0.0


def _fields(text: str, words: list[tuple[str, float]]) -> ReceiptReading:
    r = ReceiptReading(text=text, words=words)
    if m := _DATE.search(text):
        try:
            r.date = Field(dt.date(int(m[1]), int(m[2]), int(m[3])), _confidence(m[0], words))
        except ValueError:
            pass
    for m in _BRN.finditer(text):
        digits = "".join(m.groups())
        if stdnum_brn.is_valid(digits):
            r.brn = Field(digits, _confidence(m[0], words))
            break
    for m in reversed(list(_TOTAL.finditer(text))):
        amount = _AMOUNT.search(m[2].translate(_DIGIT_LOOKALIKES))
        if amount and int(re.sub(r"\D", "", amount[0])) <= MAX_TOTAL:
            r.total = Field(int(re.sub(r"\D", "", amount[0])), _confidence(m[2], words))
            break
    if m := _APPROVAL.search(text):
        r.approval_no = Field(m[1].translate(_DIGIT_LOOKALIKES), _confidence(m[1], words))
    if m := _MERCHANT.search(text):
        name = _join_syllables(m[3].strip())
        r.merchant = Field(name, _confidence(m[3], words))
    return r


def _join_syllables(text: str) -> str:
    """Tesseract often splits Korean words into syllables ("비 즈 니 스"): rejoin runs of
    single-syllable tokens to their neighbours."""
    out: list[str] = []
    for tok in text.split():
        if (
            out
            and (len(tok) == 1 or len(out[-1].split()[-1]) == 1)
            and re.fullmatch(r"[가-힣]+", tok)
            and re.search(r"[가-힣]$", out[-1])
        ):
            out[-1] += tok
        else:
            out.append(tok)
    return " ".join(out)
