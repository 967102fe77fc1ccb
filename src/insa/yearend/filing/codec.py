"""One field in bytes and back: text left-justified and space-padded (cut at a character
boundary where the layout allows), numbers right-justified and zero-padded, signed amounts,
dates and yes/no codes."""

from __future__ import annotations

import datetime as dt
import re

from stdnum.kr import brn as _brn

from insa.security.rrn import mask_text
from insa.yearend.filing.errors import Ctx, FilingError
from insa.yearend.filing.layout import FieldSpec, Layout

Value = str | int | bool | dt.date | None
Record = dict[str, Value]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def fit_text(text: str, length: int, encoding: str = "cp949") -> bytes:
    """``text`` in ``length`` bytes: cut at a character boundary, then space-padded."""
    out = bytearray()
    for ch in text:
        b = ch.encode(encoding)
        if len(out) + len(b) > length:
            break
        out += b
    return bytes(out) + b" " * (length - len(out))


def _shown(spec: FieldSpec, value: object) -> str:
    return mask_text(str(value)) if spec.sensitive else repr(value)


def encode_field(spec: FieldSpec, value: Value, layout: Layout, ctx: Ctx) -> bytes:
    name = spec.name
    if spec.reserved:
        return spec.fill
    if value is None:  # an empty E slot is filled by writer._encode_record, never here
        raise ctx.error("no value (required by the layout)", name)
    if spec.when_true is not None:
        if not isinstance(value, bool):
            raise ctx.error(f"expected True or False, got {type(value).__name__}", name)
        return (spec.when_true if value else str(spec.when_false)).encode("ascii")
    if spec.date:
        if not isinstance(value, dt.date):
            raise ctx.error(f"expected a date, got {type(value).__name__}", name)
        return value.strftime("%Y%m%d").encode("ascii")
    if spec.type == "9":
        if isinstance(value, str) and spec.const is not None:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ctx.error(f"expected an integer, got {type(value).__name__}", name)
        if spec.pattern and not re.fullmatch(spec.pattern, str(value)):
            raise ctx.error(f"{_shown(spec, value)} is not an allowed value", name)
        digits = str(abs(value))
        room = spec.length - 1 if spec.signed else spec.length
        if value < 0 and not spec.signed:
            raise ctx.error(f"{value:,} is negative; the field takes no sign", name)
        if len(digits) > room:
            raise ctx.error(f"{value:,} needs {len(digits)} digits, the field holds {room}", name)
        sign = ("1" if value < 0 else "0") if spec.signed else ""
        return (sign + digits.rjust(room, "0")).encode("ascii")
    if not isinstance(value, str):
        raise ctx.error(f"expected text, got {type(value).__name__}", name)
    if _CONTROL.search(value):
        raise ctx.error("control characters (line breaks, tabs) are not allowed", name)
    if spec.pattern and not re.fullmatch(spec.pattern, value):
        raise ctx.error(f"{_shown(spec, value)} does not match {spec.pattern}", name)
    if spec.check == "brn" and not _brn.is_valid(value):
        raise ctx.error(f"{value!r} is not a valid 사업자등록번호 (checksum)", name)
    try:
        raw = value.encode(layout.encoding)
    except UnicodeEncodeError as exc:
        bad = value[exc.start : exc.end]
        shown = "a character" if spec.sensitive else repr(bad)
        raise ctx.error(f"{shown} cannot be written in {layout.encoding}", name) from None
    if len(raw) > spec.length:
        if not spec.truncate:
            raise ctx.error(
                f"{_shown(spec, value)} is {len(raw)} bytes, the field holds {spec.length}", name
            )
        return fit_text(value, spec.length, layout.encoding)
    return raw + b" " * (spec.length - len(raw))


def decode_field(spec: FieldSpec, raw: bytes, layout: Layout, ctx: Ctx) -> Value:
    name = spec.name
    try:
        text = raw.decode(layout.encoding)
    except UnicodeDecodeError:
        raise ctx.error(f"bytes are not valid {layout.encoding}", name) from None
    if spec.when_true is not None:
        if text == spec.when_true:
            return True
        if text == spec.when_false:
            return False
        shown = "a value" if spec.sensitive else repr(text)
        raise ctx.error(f"{shown} is neither {spec.when_true!r} nor {spec.when_false!r}", name)
    if spec.const is not None and text != spec.const:
        raise ctx.error(f"expected {spec.const!r}, found {text!r}", name)
    if spec.type == "X":
        return text.rstrip(" ")
    if spec.date:
        if text == "0" * 8:
            return None
        try:
            return dt.datetime.strptime(text, "%Y%m%d").date()
        except ValueError:
            raise ctx.error(f"{text!r} is not a date (YYYYMMDD)", name) from None
    body = text[1:] if spec.signed else text
    if not body.isascii() or not body.isdigit() or (spec.signed and text[0] not in "01"):
        shown = "the value" if spec.sensitive else repr(text)
        raise ctx.error(f"{shown} is not a number", name)
    number = int(body)
    return -number if spec.signed and text[0] == "1" else number


def int_value(value: Value) -> int:
    """An integer field value (absent or reserved fields count as 0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise FilingError(f"expected an integer amount, got {type(value).__name__}")
    return value
