"""Small pure text helpers shared by several stages."""

from __future__ import annotations

import codecs
import re

from selectolax.lexbor import LexborHTMLParser

# Byte order marks and the codec each names; UTF-32 LE first, since its mark starts with UTF-16 LE's.
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BLOCK_TAGS = "p, div, br, li, h1, h2, h3, h4, h5, h6, blockquote, tr, section, article"
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def html_to_text(fragment: str) -> str:
    """Return the readable text of an HTML fragment (feed summaries, content:encoded), one paragraph per line."""
    if "<" not in fragment:
        return _tidy(fragment)
    tree = LexborHTMLParser(fragment)
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    for node in tree.css(_BLOCK_TAGS):
        node.insert_before("\n")
        node.insert_after("\n")
    root = tree.body or tree.root
    return _tidy(root.text(deep=True, separator="") if root is not None else "")


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def shorten(text: str, limit: int) -> str:
    """Return ``text`` flattened to one line and cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + "…"


# Explicit directional embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI): a title
# with U+202E shows "exe.doc" as "cod.exe"-style spoofs in alerts. The implicit marks LRM/RLM/ALM stay: Arabic
# and Hebrew text uses them legitimately and they cannot reorder what follows.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def one_line(text: str, limit: int) -> str:
    """Return ``text`` as one line without control or bidi-override characters, cut to ``limit`` characters."""
    # C0 and C1 controls (CR, LF, NUL, ESC, NEL...) become spaces; U+2028/U+2029 go with the whitespace split.
    kept = "".join(
        "" if ch in BIDI_CONTROLS else " " if ch < " " or "\x7f" <= ch <= "\x9f" else ch for ch in text[: limit * 4]
    )
    flat = " ".join(kept.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)].rstrip() + "…"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """Return ``1 topic``, ``2 topics`` (``many`` for irregular plurals: ``plural(n, "entry", "entries")``)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
