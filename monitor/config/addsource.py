"""``monitor sources add URL``: guess a source's type from its address and append it to the config file, keeping
the file's comments and layout (the text is edited, never re-dumped)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from pydantic import ValidationError

from monitor.config.schema import SourceConfig, source_id
from monitor.config.sourceurls import poll_url
from monitor.errors import ConfigError

TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me", "www.t.me", "www.telegram.me"})
YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})


def guess_source(url: str, name: str | None = None) -> tuple[dict[str, Any], str]:
    """Return the config entry for a source address and, in words, what it was taken for."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s and s != "s"]
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if host in TELEGRAM_HOSTS and segments:
        channel = segments[0].lstrip("@")
        return {"name": name or f"Telegram: {channel}", "type": "telegram", "channel": channel}, "a Telegram channel"
    if host == "news.google.com" and "q" in query:
        entry: dict[str, Any] = {"name": name or f"Google News: {query['q']}", "type": "googlenews"}
        entry["query"] = query["q"]
        entry.update({k: query[k] for k in ("hl", "gl") if k in query})
        return entry, "a Google News search"
    if host == "api.gdeltproject.org" and "query" in query:
        entry = {"name": name or f"GDELT: {query['query']}", "type": "gdelt", "query": query["query"]}
        entry.update({k: query[k] for k in ("timespan",) if k in query})
        return entry, "a GDELT query"
    if host in YOUTUBE_HOSTS:
        return {"name": name or f"YouTube: {segments[-1] if segments else host}", "url": url}, "a YouTube channel"
    if host == "bsky.app":
        return {"name": name or f"Bluesky: {segments[-1] if segments else host}", "url": url}, "a Bluesky profile"
    if len(segments) == 1 and segments[0].startswith("@"):
        return {"name": name or f"{segments[0]}@{host}", "url": url}, "a Mastodon account (or a page announcing a feed)"
    label = name or (host.removeprefix("www.") + (parts.path.rstrip("/") if parts.path not in ("", "/") else ""))
    if "sitemap" in parts.path.lower() and parts.path.lower().endswith((".xml", ".xml.gz")):
        return {"name": label, "url": url, "type": "sitemap"}, "a news sitemap"
    return {"name": label, "url": url}, "a feed (or a page announcing one)"


def add_source(path: Path, entry: dict[str, Any]) -> str:
    """Append ``entry`` to the config's ``sources`` and return the line written; raise ConfigError, leaving the
    file alone, when the entry is invalid or the source is configured already."""
    try:
        source = SourceConfig.model_validate(entry)
    except ValidationError as exc:
        raise ConfigError([f"{path}: the source was not added: {e['msg']}" for e in exc.errors()]) from None
    text = path.read_text(encoding="utf-8")
    new_id = source.id or source_id(poll_url(source))
    for known in _configured(text):
        if known == new_id:
            raise ConfigError(f"{path}: this source is configured already ({new_id})")
    line = yaml.safe_dump(entry, default_flow_style=True, sort_keys=False, allow_unicode=True, width=math.inf).strip()
    updated = _insert(text, line, str(path))
    listed = (yaml.safe_load(updated) or {}).get("sources") or []
    if not listed or listed[-1] != entry:  # the edit must read back as exactly this entry, last in the list
        raise ConfigError(f"{path}: could not append to sources safely: add {line} by hand")
    path.write_text(updated, encoding="utf-8")
    return line


def _configured(text: str) -> list[str]:
    """Return the ids of the sources a config's text lists directly (OPML files are not opened)."""
    data = yaml.safe_load(text) or {}
    found = []
    for item in data.get("sources") or [] if isinstance(data, dict) else []:
        try:
            source = SourceConfig.model_validate(item)
        except ValidationError:
            continue
        found.append(source.id or source_id(poll_url(source)))
    return found


def _insert(text: str, item: str, shown: str) -> str:
    """Return ``text`` with ``- item`` after the last entry of its block ``sources:`` list (or a new list)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{shown}: cannot read the YAML: {exc}") from None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    sources = None
    if isinstance(root, yaml.MappingNode):
        sources = next((value for key, value in root.value if key.value == "sources"), None)
    if sources is None:
        return "".join(lines) + f"sources:\n  - {item}\n"
    if not isinstance(sources, yaml.SequenceNode) or sources.flow_style or not sources.value:
        raise ConfigError(f"{shown}:{sources.start_mark.line + 1}: sources is not a block list: add the source by hand")
    last = sources.value[-1]
    end = last.end_mark.line + (1 if last.end_mark.column > 0 else 0)  # the line after the last entry's text
    dash = " " * sources.start_mark.column
    return "".join(lines[:end]) + f"{dash}- {item}\n" + "".join(lines[end:])
