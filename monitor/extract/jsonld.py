"""Find the article described by a page's JSON-LD blocks (also inside @graph, lists, mainEntity)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from monitor.extract.selectors import ARTICLE_TYPES

_MAX_BLOCK = 2_000_000
_MAX_ITEMS = 500
# Wrappers around a script's JSON: matched at its two ends only, since an unanchored alternative would be
# tried at every character of a JSON-LD block that can run to hundreds of kilobytes.
_WRAP_START = re.compile(r"(?://\s*)?<!\[CDATA\[|<!--")
_WRAP_END = re.compile(r"(?://\s*)?\]\]>$|-->$")
_WRAP_TAIL = 64


@dataclass(slots=True)
class LinkedData:
    """The article item of the page (if any) and the site name found beside it."""

    article: dict[str, Any] | None = None
    site_name: str | None = None
    types: set[str] = field(default_factory=set)


def _types(item: dict[str, Any]) -> set[str]:
    raw = item.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    # "schema:NewsArticle" and "https://schema.org/NewsArticle" name the same type.
    return {v.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for v in values if isinstance(v, str)}


def _unwrap(raw: str) -> str:
    """Drop a CDATA or comment wrapper (either end, or both) from stripped script text."""
    start = _WRAP_START.match(raw)
    if start is not None:
        raw = raw[start.end() :]
    end = _WRAP_END.search(raw, max(0, len(raw) - _WRAP_TAIL))
    return raw[: end.start()] if end is not None else raw


def _load(raw: str) -> Any:
    raw = _unwrap(raw.strip())
    try:
        return json.loads(raw, strict=False)
    except RecursionError:
        return None
    except ValueError:
        # Several pages concatenate objects or leave a trailing semicolon; try the first value only.
        try:
            value, _ = json.JSONDecoder(strict=False).raw_decode(raw.rstrip("; \n"))
        except (ValueError, RecursionError):
            return None
        return value


def _items(data: Any) -> list[dict[str, Any]]:
    """Flatten lists, @graph and mainEntity into a list of objects, breadth-first."""
    found: list[dict[str, Any]] = []
    queue: list[Any] = [data]
    while queue and len(found) < _MAX_ITEMS:
        current = queue.pop(0)
        if isinstance(current, list):
            queue.extend(current)
        elif isinstance(current, dict):
            found.append(current)
            for key in ("@graph", "mainEntity"):
                if isinstance(current.get(key), list | dict):
                    queue.append(current[key])
    return found


def read_linked_data(blocks: list[str]) -> LinkedData:
    """Collect every JSON-LD item of the given script blocks and pick the first article-typed one."""
    result = LinkedData()
    for raw in blocks:
        if not raw or len(raw) > _MAX_BLOCK:
            continue
        for item in _items(_load(raw)):
            types = _types(item)
            result.types |= types
            if result.article is None and types & ARTICLE_TYPES:
                result.article = item
            elif "website" in types or "organization" in types or "newsmediaorganization" in types:
                name = item.get("name")
                if isinstance(name, str) and name.strip() and result.site_name is None:
                    result.site_name = name.strip()
    return result


def as_strings(value: Any, key: str = "name") -> list[str]:
    """Turn a str, a {key: str} object or a list of them into a list of strings."""
    values = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in values:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            inner = item.get(key)
            if isinstance(inner, str):
                out.append(inner)
            elif isinstance(inner, list) and inner and isinstance(inner[0], str):
                out.append(inner[0])
    return [s for s in (o.strip() for o in out) if s]


def first_string(value: Any, key: str = "name") -> str | None:
    """Return the first string of :func:`as_strings`, or None."""
    strings = as_strings(value, key)
    return strings[0] if strings else None


def is_paywalled(article: dict[str, Any]) -> bool:
    """Say whether the item (or one of its parts) declares isAccessibleForFree false."""
    parts = article.get("hasPart")
    candidates = [article, *(parts if isinstance(parts, list) else [parts])]
    for item in candidates:
        if isinstance(item, dict):
            flag = item.get("isAccessibleForFree")
            if flag is False or (isinstance(flag, str) and flag.strip().lower() in {"false", "no"}):
                return True
    return False
