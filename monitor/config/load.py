"""Load a config file: validate it, expand OPML, load topic files, check references between sections."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from pydantic import ValidationError

from monitor.config.schema import (
    HEALTH_TOPIC,
    ConfigFile,
    EmailChannel,
    LogChannel,
    Settings,
    Source,
    SourceConfig,
    TopicConfig,
    WebhookChannel,
    source_id,
)
from monitor.config.sourceurls import poll_url
from monitor.config.yamlfile import ENV_VAR, Located, read_yaml, substitute_env, validation_problems, where
from monitor.errors import ConfigError
from monitor.models import Topic


def _shown(path: Path) -> str:
    """Return ``path`` relative to the working directory when it is below it, for shorter messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_config(path: str | Path, environ: Mapping[str, str] | None = None, *, channels: bool = True) -> Settings:
    """Return validated settings for the config file at ``path``; raise ConfigError listing every problem.

    ``channels=False`` is for commands that deliver nothing (hits, search, sources, ...): a channel whose
    ``${VAR}`` is not set is kept unchecked, with the variable as written, instead of failing the command.
    """
    config_path = Path(path)
    doc = read_yaml(config_path, str(path))
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{doc.file}:{doc.lines.get((), 1)}: the config must be a mapping of keys")
    unused = None if channels else _in_channels
    data, problems = substitute_env(doc, os.environ if environ is None else environ, unused=unused)
    if problems:
        raise ConfigError(problems)
    unresolved = {} if channels else _set_aside_unresolved(data)
    try:
        config = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(doc, exc)) from None
    if unresolved:
        listed = [unresolved.get(i, c) for i, c in enumerate(config.channels)]
        config = config.model_copy(update={"channels": listed})
    base = config_path.resolve().parent
    problems = []
    sources = list(_expand_sources(config, base, doc, problems))
    topics = list(_load_topics(config, base, doc, problems))
    problems += _check_references(config, topics, sources, doc)
    if problems:
        raise ConfigError(problems)
    return Settings(
        path=config_path.resolve(),
        database=config.database if is_url(config.database) else (base / config.database).resolve(),
        user_agent=config.user_agent,
        log_level=config.log_level,
        fetch=config.fetch,
        sources=tuple(sources),
        topics=tuple(topics),
        channels={c.id: c for c in config.channels},
        routes=tuple(config.routes),
        health=config.health,
        retention=config.retention,
        log=config.log,
        meta_alerts=config.meta_alerts,
        spikes=config.spikes,
        stories=config.stories,
        lease=config.lease,
    )


def is_url(database: str) -> bool:
    """Return whether ``database:`` names a server (``postgresql://...``) rather than a SQLite file."""
    return "://" in database


def _in_channels(path: tuple[str | int, ...]) -> bool:
    return bool(path) and path[0] == "channels"


_CHANNEL_TYPES: dict[str, type[WebhookChannel | EmailChannel | LogChannel]] = {
    "webhook": WebhookChannel,
    "email": EmailChannel,
    "log": LogChannel,
}


def _set_aside_unresolved(data: dict[str, Any]) -> dict[int, WebhookChannel | EmailChannel | LogChannel]:
    """Replace each channel still holding a ``${VAR}`` by a log channel of the same id for validation; return
    the channels themselves, built unchecked (a command that delivers nothing needs their ids and types)."""
    channels = data.get("channels")
    if not isinstance(channels, list):
        return {}
    aside = {}
    for index, entry in enumerate(channels):
        kind = entry.get("type") if isinstance(entry, dict) else None
        if isinstance(kind, str) and kind in _CHANNEL_TYPES and ENV_VAR.search(repr(entry)):
            aside[index] = _CHANNEL_TYPES[kind].model_construct(**entry)
            channels[index] = {"id": entry.get("id"), "type": "log"}
    return aside


def _expand_sources(config: ConfigFile, base: Path, doc: Located, problems: list[str]) -> Iterator[Source]:
    default = config.defaults.interval
    for index, entry in enumerate(config.sources):
        if isinstance(entry, SourceConfig):
            url = poll_url(entry)
            # A Telegram post is its own text, and Google News links are opaque redirects that rate-limit.
            own_text = entry.type in ("telegram", "googlenews")
            yield Source(
                entry.id or source_id(url),
                entry.name,
                url,
                entry.interval or default,
                type=entry.type,
                selector=entry.selector,
                interval_explicit=entry.interval is not None,
                fetch_pages=entry.fetch_pages if entry.fetch_pages is not None else not own_text,
            )
            continue
        location = where(doc, ("sources", index, "opml"))
        try:
            feeds = read_opml(base / entry.opml)
        except (OSError, ElementTree.ParseError) as exc:
            problems.append(f"{location}: cannot read OPML file {entry.opml!r}: {exc}")
            continue
        for name, url in feeds:
            explicit = entry.interval is not None
            yield Source(source_id(url), name, url, entry.interval or default, interval_explicit=explicit)


def read_opml(path: Path) -> list[tuple[str, str]]:
    """Return (title, xmlUrl) for every feed outline in an OPML file, nested outlines included."""
    tree = ElementTree.parse(path)  # a local, operator-written file: trusted input
    feeds = []
    for outline in tree.iter("outline"):
        url = outline.get("xmlUrl")
        if url:
            feeds.append((outline.get("title") or outline.get("text") or url, url))
    return feeds


def _load_topics(config: ConfigFile, base: Path, doc: Located, problems: list[str]) -> Iterator[Topic]:
    for index, entry in enumerate(config.topics):
        if isinstance(entry, TopicConfig):
            yield _to_topic(entry, f"{doc.file}:{doc.lines.get(('topics', index), 0)}")
            continue
        target = base / entry
        if not target.exists():
            problems.append(f"{where(doc, ('topics', index))}: topic file or folder {entry!r} not found")
            continue
        try:
            yield from load_topics(target)
        except ConfigError as exc:
            problems.extend(exc.problems)


def load_topics(path: Path) -> list[Topic]:
    """Return the topics of a topic file, or of every ``*.yaml`` file in a folder, in name order."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not files:
            raise ConfigError(f"no topic files (*.yaml) in {_shown(path)}")
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError(f"topic file or folder {_shown(path)} not found")
    topics: list[Topic] = []
    problems: list[str] = []
    for file in files:
        try:
            topics.append(load_topic_file(file, _shown(file)))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return topics


def load_topic_file(path: Path, shown: str | None = None) -> Topic:
    """Return the one topic a YAML topic file declares."""
    doc = read_yaml(path, shown or str(path))
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{doc.file}:1: a topic file must be a mapping with id, title and query")
    try:
        topic = TopicConfig.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(doc, exc)) from None
    return _to_topic(topic, f"{doc.file}:{doc.lines.get(('query',), 1)}")


def _to_topic(topic: TopicConfig, origin: str) -> Topic:
    return Topic(
        id=topic.id,
        title=topic.title,
        query=topic.query,
        description=topic.description,
        aliases={name: tuple(terms) for name, terms in topic.aliases.items()},
        min_score=topic.min_score,
        origin=origin,
        semantic=topic.meaning(),
    )


def _check_references(config: ConfigFile, topics: list[Topic], sources: list[Source], doc: Located) -> list[str]:
    problems = []
    topic_ids = {t.id for t in topics}
    channel_ids = {c.id for c in config.channels}
    seen: dict[str, str] = {}
    for topic in topics:
        if topic.id == HEALTH_TOPIC:
            problems.append(f"{topic.origin}: topic id {HEALTH_TOPIC!r} is reserved for alerts about the monitor")
        if topic.id in seen:
            problems.append(f"{topic.origin}: duplicate topic id {topic.id!r} (also at {seen[topic.id]})")
        seen[topic.id] = topic.origin or ""
    seen_channels: set[str] = set()
    for index, channel in enumerate(config.channels):
        if channel.id in seen_channels:
            problems.append(f"{where(doc, ('channels', index, 'id'))}: duplicate channel id {channel.id!r}")
        seen_channels.add(channel.id)
    seen_sources: set[str] = set()
    for source in sources:
        if source.id in seen_sources:
            problems.append(f"{doc.file}: sources: duplicate source {source.url!r}")
        seen_sources.add(source.id)
    seen_routes: set[str] = set()
    for r, route in enumerate(config.routes):
        if route.id is not None and route.id in seen_routes:
            problems.append(f"{where(doc, ('routes', r, 'id'))}: duplicate route id {route.id!r}")
        seen_routes.add(route.id or "")
        for c, name in enumerate(route.channels):
            if name not in channel_ids:
                problems.append(f"{where(doc, ('routes', r, 'channels', c))}: unknown channel {name!r}")
        for t, name in enumerate(route.topics):
            if name not in ("*", HEALTH_TOPIC) and name not in topic_ids:
                problems.append(f"{where(doc, ('routes', r, 'topics', t))}: unknown topic {name!r}")
    return problems
