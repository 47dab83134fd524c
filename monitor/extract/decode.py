"""Turn page bytes of any encoding into text: BOM, then <meta charset>, then UTF-8, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from monitor.textutil import BOMS

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]{1,40})""", re.IGNORECASE)
# WHATWG maps these labels to windows-1252; pages labelled latin-1 routinely use its extra glyphs.
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso8859-1": "cp1252",
    "l1": "cp1252",
}
_SNIFF_BYTES = 4096
_STRAY_BYTES = 8
# Detection is costly on huge bodies; a sample decides as well as the whole page.
_DETECT_BYTES = 200_000


def declared_charset(data: bytes) -> str | None:
    """Return the Python codec named by a BOM or a <meta charset> near the top, if any is valid."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    match = _META_CHARSET.search(data[:_SNIFF_BYTES])
    if match is None:
        return None
    label = match.group(1).decode("ascii", "ignore").lower()
    label = _WHATWG_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def utf8_candidate(data: bytes) -> bool:
    """Say whether page bytes would be read as UTF-8 first: no BOM, and UTF-8 or no charset declared."""
    return not data.startswith(codecs.BOM_UTF8) and declared_charset(data) in (None, "utf-8")


def decode_html(data: bytes) -> str:
    """Decode page bytes; never raises, replacing what no candidate encoding can read."""
    return decode_for_parser(data)[0]


def decode_for_parser(data: bytes) -> tuple[str, bytes | None]:
    """Decode page bytes as ``decode_html`` does; also return ``data`` when it is the text's exact UTF-8.

    The parser wants UTF-8 bytes: handing it the page's own bytes when they are valid UTF-8 (no
    BOM, which the text loses) spares encoding the whole page again.
    """
    text, codec = _decode(data)
    same = codec == "utf-8" and not data.startswith(codecs.BOM_UTF8)
    return text, data if same else None


def _decode(data: bytes) -> tuple[str, str | None]:
    """Return the text and the codec that read it strictly (None when bytes had to be replaced)."""
    declared = declared_charset(data)
    candidates = [declared] if declared else []
    # A page that says utf-16 in a meta tag written in ASCII cannot really be utf-16.
    if declared and declared.startswith("utf-16") and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = []
    if "utf-8" not in candidates:
        candidates.append("utf-8")
    for name in candidates:
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        return text.lstrip("\ufeff"), codecs.lookup(name).name
    # A UTF-8 page with a few stray bytes stays UTF-8; many invalid bytes mean a legacy encoding.
    replaced = data.decode("utf-8", errors="replace")
    if replaced.count("\ufffd") <= max(_STRAY_BYTES, len(replaced) // 1000):
        return replaced.lstrip("\ufeff"), None
    best = from_bytes(data[:_DETECT_BYTES]).best()
    encoding = best.encoding if best is not None else declared or "utf-8"
    try:
        return data.decode(encoding, errors="replace").lstrip("\ufeff"), None
    except LookupError:
        return data.decode("utf-8", errors="replace").lstrip("\ufeff"), None
