"""Run feedparser's own test suite through ``monitor.parse`` and count where we agree with its ``Expect:`` clauses.

Each XML file of the suite (``../shared/corpus/feedparser-suite``, see its SOURCE.md) ends its header comment
with ``Expect:``, a Python expression over feedparser's result. We split it into ``and``-clauses, keep the ones
that read a field monitor has (feed title and link; entry title, link, id, summary, content, date, authors; the
charset used) and compare our value with the expected one. feedparser itself is used only to line entries up:
it keeps items without a link, which we skip.

Run ``python tests/parse/feedparser_suite.py`` for the table of numbers.
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser

from monitor.errors import ParseError
from monitor.models import FeedEntry, ParsedFeed
from monitor.parse import parse_feed
from monitor.parse.charset import http_charset
from monitor.parse.clean import plain_text

SUITE = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feedparser-suite"
FOLDERS = ("wellformed", "illformed", "encoding", "entities")
# feedparser's test server: relative links in the suite resolve against this.
SERVER = "http://127.0.0.1:8097/"

_EXPECT = re.compile(r"^Expect:\s*(.+?)\s*$", re.MULTILINE)
_HEADER = re.compile(r"^Header:\s*([\w-]+):\s*(.*?)\s*$", re.MULTILINE)
_DATE_KEYS = {"published_parsed", "issued_parsed", "date_parsed", "created_parsed"}
_UPDATED_KEYS = {"updated_parsed", "modified_parsed"}
_TEXT_KEYS = {"title", "summary", "description", "content"}

# The one place where we say which of feedparser's answers we do not give on purpose, and why.
DELIBERATE: dict[str, str] = {
    "no-link": "items without a usable link are skipped: monitor keys and fetches articles by their URL",
    "text-default": "text/* without a charset: RFC 7303 superseded RFC 3023's us-ascii default (BOM, XML "
    "declaration, then UTF-8), which keeps Russian feeds served as text/xml readable",
    "charset-superset": "GB2312 and GBK are decoded and reported as GB18030, their superset (as feedparser "
    "does for declared charsets)",
    "cdf": "Microsoft's Channel Definition Format (1997) is not a feed format we read",
}


@dataclass
class Clause:
    """One comparable clause: what we read, what feedparser expects, and the verdict."""

    path: str
    expected: object
    ours: object
    agrees: bool
    deliberate: str | None = None


@dataclass
class FileResult:
    """The clauses of one suite file."""

    name: str
    folder: str
    clauses: list[Clause] = field(default_factory=list)


def suite_files() -> list[Path]:
    """Return every XML test file of the suite, in a stable order."""
    return sorted(p for folder in FOLDERS for p in (SUITE / folder).rglob("*.xml"))


def folder_of(path: Path) -> str:
    """Return the class of a test file: its folder, with wellformed/illformed split one level further."""
    parts = path.relative_to(SUITE).parts
    return "/".join(parts[:2]) if parts[0] in ("wellformed", "illformed") and len(parts) > 2 else parts[0]


def run_file(path: Path) -> FileResult:
    """Parse one suite file both ways and judge every mappable clause of its Expect expression."""
    body = path.read_bytes()
    head = body[:4096].decode("latin-1")
    result = FileResult(path.relative_to(SUITE).as_posix(), folder_of(path))
    found = _EXPECT.search(head)
    if found is None:
        return result
    headers = {name.lower(): value for name, value in _HEADER.findall(head)}
    url = urljoin(SERVER + "tests/" + result.name, headers.get("content-location", ""))
    content_type = headers.get("content-type", "")
    try:
        ours: ParsedFeed | None = parse_feed(body, url, content_type=content_type)
    except ParseError:
        ours = None
    reference = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url, **headers})
    try:
        tree = ast.parse(found.group(1), mode="eval").body
    except SyntaxError:
        return result
    for clause in _clauses(tree):
        judged = _judge(clause, ours, reference, content_type, result.name)
        if judged is not None:
            result.clauses.append(judged)
    return result


def _clauses(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return [c for value in node.values for c in _clauses(value)]
    return [node]


def _path(node: ast.expr) -> list[object] | None:
    """Turn ``entries[0]['title_detail']['value']`` (or ``entries[0].title``) into ['entries', 0, ...]."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        inner = _path(node.value)
        return None if inner is None else [*inner, node.slice.value]
    if isinstance(node, ast.Attribute):
        inner = _path(node.value)
        return None if inner is None else [*inner, node.attr]
    return None


def _judge(node: ast.expr, ours: ParsedFeed | None, ref: Any, content_type: str, name: str) -> Clause | None:
    if not (isinstance(node, ast.Compare) and all(isinstance(op, ast.Eq) for op in node.ops)):
        return None
    operands = [node.left, *node.comparators]
    try:
        expected = eval(compile(ast.Expression(operands[-1]), "<expect>", "eval"), {"__builtins__": {}})
    except Exception:  # noqa: BLE001 - an operand that is itself a path: not a literal clause
        return None
    for operand in operands[:-1]:
        path = _path(operand)
        if path is None:
            return None
        reader = _reader(path, ref)
        if reader is None:
            return None
        label, read, compare = reader
        shown = ".".join(map(str, path))
        if ours is None:
            return Clause(shown, expected, None, False, _why(label, name, content_type, expected, None))
        value = read(ours)
        if value is _NO_LINK:
            return Clause(shown, expected, None, False, "no-link")
        agrees = compare(expected, value)
        why = None if agrees else _why(label, name, content_type, expected, value)
        return Clause(shown, expected, value, agrees, why)
    return None


_NO_LINK = object()
Reader = tuple[str, Callable[[ParsedFeed], object], Callable[[object, object], bool]]


def _reader(path: list[object], ref: Any) -> Reader | None:
    """Map a feedparser result path onto a reader of our ParsedFeed, or None when we have no such field."""
    head, rest = path[0], path[1:]
    if head == "encoding" and not rest:
        return "encoding", lambda feed: feed.charset, _same_charset
    if head == "feed" and rest:
        key = rest[0]
        if rest in (["title"], ["title_detail", "value"]):
            return "title", lambda feed: feed.title, _same_text
        if rest == ["link"]:
            return "link", lambda feed: feed.link, _same_exact
        del key
        return None
    if head != "entries" or len(rest) < 2 or not isinstance(rest[0], int):
        return None
    index, key, tail = rest[0], rest[1], rest[2:]
    entries = ref.get("entries") or []
    if index >= len(entries):
        return None
    linked = [i for i, entry in enumerate(entries) if entry.get("link") or entry.get("links")]
    ours_at = linked.index(index) if index in linked else None

    def on_entry(get: Callable[[FeedEntry], object]) -> Callable[[ParsedFeed], object]:
        def read(feed: ParsedFeed) -> object:
            if ours_at is None:
                return _NO_LINK
            return get(feed.entries[ours_at]) if ours_at < len(feed.entries) else None

        return read

    if (key == "title" and tail in ([], ["value"])) or (key == "title_detail" and tail == ["value"]):
        return "title", on_entry(lambda e: e.title), _same_text
    if key == "link" and not tail:
        return "link", on_entry(lambda e: e.url), _same_exact
    if key == "id" and not tail:
        return "id", on_entry(lambda e: e.guid), _same_exact
    if (key in ("summary", "description") and not tail) or (key == "summary_detail" and tail == ["value"]):
        return "summary", on_entry(lambda e: (e.summary, e.content)), _same_body
    if key == "content" and tail == [0, "value"]:
        return "content", on_entry(lambda e: (e.content, e.summary)), _same_body
    if (key in _DATE_KEYS and not tail) or (key in _UPDATED_KEYS and not tail and not entries[index].get("published")):
        return "date", on_entry(lambda e: e.published), _same_date
    if (key == "author" and not tail) or (key == "author_detail" and tail == ["name"]):
        return "author", on_entry(lambda e: e.authors[0] if e.authors else ""), _same_text
    if key == "authors" and len(tail) == 2 and tail[1] == "name" and isinstance(tail[0], int):
        slot = tail[0]
        return "author", on_entry(lambda e: e.authors[slot] if slot < len(e.authors) else ""), _same_text
    return None


def _same_exact(expected: object, ours: object) -> bool:
    return expected == ours


def _same_text(expected: object, ours: object) -> bool:
    return plain_text(expected) == plain_text(ours)


def _same_body(expected: object, ours: object) -> bool:
    assert isinstance(ours, tuple)
    want = plain_text(expected)
    return any(plain_text(value) == want for value in ours if value) or (not want and not ours[0])


def _same_date(expected: object, ours: object) -> bool:
    if expected is None:
        return ours is None
    if not isinstance(expected, tuple):
        return False
    return ours == datetime(*expected[:6], tzinfo=UTC)


def _same_charset(expected: object, ours: object) -> bool:
    try:
        same: bool = codecs.lookup(str(expected)).name == codecs.lookup(str(ours)).name
    except LookupError:
        return False
    return same and isinstance(expected, str)


def _why(label: str, name: str, content_type: str, expected: object, ours: object) -> str | None:
    """Return the deliberate difference this disagreement is, or None for a real one."""
    media = content_type.split(";")[0].strip().lower()
    if label == "encoding" and media.startswith("text/") and not http_charset(content_type) and expected == "us-ascii":
        return "text-default"
    if label == "encoding" and ours == "gb18030" and str(expected).lower() in ("gb2312", "gbk"):
        return "charset-superset"
    if name.startswith("wellformed/cdf/"):
        return "cdf"
    return None


def tally(results: list[FileResult]) -> dict[str, Counter[str]]:
    """Count agree / deliberate / differ per class and in total."""
    counts: dict[str, Counter[str]] = {}
    for result in results:
        for clause in result.clauses:
            verdict = "agree" if clause.agrees else "deliberate" if clause.deliberate else "differ"
            for key in (result.folder.split("/")[0], result.folder, "total"):
                counts.setdefault(key, Counter())[verdict] += 1
    return counts


def share(counter: Counter[str]) -> float:
    """Share of clauses that agree, deliberate differences counted as agreement."""
    total = sum(counter.values())
    return (counter["agree"] + counter["deliberate"]) / total if total else 1.0


def main() -> int:
    """Print agreement per class and every real difference."""
    results = [run_file(path) for path in suite_files()]
    for result in results:
        for clause in result.clauses:
            if not clause.agrees and not clause.deliberate:
                print(f"DIFF {result.name}: {clause.path}: expected {clause.expected!r}, ours {clause.ours!r}")
    for key, counter in sorted(tally(results).items()):
        total = sum(counter.values())
        print(
            f"{key:32} {share(counter):7.1%}  agree {counter['agree']:5}  deliberate {counter['deliberate']:4}  "
            f"differ {counter['differ']:4}  of {total}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
