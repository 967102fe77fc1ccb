"""Names of files insa writes or hands out, built from data that may hold anything.

* :func:`safe_name` — a file name from a value (an employee number, an organisation code):
  letters of any script, digits, ``-``, ``_`` and ``.`` kept (NFC), everything else — path
  separators, quotes, control characters — replaced by ``_``; no leading dot, at most 120
  characters, never empty.
* :func:`inside` — the path of that name in a folder, checked to stay inside it (resolved,
  symbolic links followed): ``../../pwn`` cannot leave ``out2/``.
* :func:`content_disposition` — the ``Content-Disposition`` header of a download (RFC 6266):
  an ASCII ``filename`` fallback and the real name as ``filename*=UTF-8''…`` (RFC 5987), so
  a Korean name neither breaks the header's encoding nor injects a parameter.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

_UNSAFE = re.compile(r"[^\w.\-]", re.UNICODE)
MAX_NAME = 120


class UnsafePath(ValueError):
    """A path would leave the folder it must stay in."""


def safe_name(value: str, default: str = "file") -> str:
    text = unicodedata.normalize("NFC", value or "")
    text = re.sub(r"_{2,}", "_", re.sub(r"\.{2,}", "_", _UNSAFE.sub("_", text)))[:MAX_NAME]
    return re.sub(r"^[._]+|_+$", "", text) or default  # no leading dot, once stripped


def inside(folder: Path, name: str) -> Path:
    """``folder / safe_name(name)``, which must resolve to a file directly in ``folder``."""
    root = folder.resolve()
    path = (root / safe_name(name)).resolve()
    if path.parent != root:
        raise UnsafePath(f"{name[:40]!r} would be written outside {folder}")
    return path


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…`` for any name (RFC 6266 / 5987)."""
    name = safe_name(filename)
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read a megabyte at a time."""
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
