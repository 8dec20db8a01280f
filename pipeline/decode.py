"""Bytes to text: BOM, declared charset, UTF-8, then detection; binary input refused."""

from __future__ import annotations

import re

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


# control bytes no text encoding we read uses (UTF-16/32 without a BOM is not read as text)
_TEXT_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in b"\t\n\r\f\v\x1b")


class DecodeError(ValueError):
    """Bytes that are not text in any encoding we can tell."""


def decode_bytes(raw: bytes, is_html: bool = False) -> str:
    """Decode by BOM, then declared charset (HTML), then strict UTF-8, then detection."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace")
    if b"\x00" in raw[:4096] and raw.count(b"\x00") > len(raw) // 100:
        raise DecodeError("binary content (NUL bytes), not text")
    head = raw[:65536]
    if len(head.translate(None, _TEXT_BYTES)) > len(head) // 50:
        raise DecodeError("binary content (control bytes), not text")
    if is_html:
        match = _META_CHARSET_RE.search(raw[:4096])
        if match:
            try:
                return raw.decode(match.group(1).decode("ascii"), errors="strict")
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration: fall through to detection
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    damaged = raw.decode("utf-8", errors="replace")
    bad = damaged.count("\ufffd")
    valid = sum(1 for ch in damaged if ord(ch) > 0x7F) - bad
    if valid >= bad:  # UTF-8 with a few broken bytes: keep the rest, not a detector's guess
        return damaged
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw[:200_000]))
    if not matches:
        raise DecodeError("not decodable as text in any known encoding")
    best = min(matches, key=lambda m: m.chaos)
    # Western single-byte encodings tie on short texts; cp1252 is by far the likeliest
    for m in matches:
        if m.encoding == "cp1252" and m.chaos <= best.chaos + 0.01:
            best = m
    return raw.decode(best.encoding, errors="replace")


_BAD_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")


def looks_binary(text: str) -> bool:
    """Text whose characters are mostly control, private-use or replacement characters."""
    sample = text[:20_000]
    if not sample:
        return False
    return len(_BAD_CHARS_RE.findall(sample)) > len(sample) * 0.1
