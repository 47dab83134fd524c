"""Shared by the archive tests: a real SQLite file filled through ``store.save_article``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from monitor import store
from monitor.config import Source
from monitor.models import Article, Match
from monitor.store.deliveries import HitPlan

_URLS = itertools.count(1)  # every stored article gets its own URL, across calls
NOW = datetime(2025, 2, 17, 12, 0, tzinfo=UTC)
SOURCES = (
    Source(id="src-tass", name="TASS wire", url="http://127.0.0.1:1/tass.xml", interval=60),
    Source(id="src-local", name="Local news", url="http://127.0.0.1:1/rss.xml", interval=60),
)


def open_archive(path: Path) -> sqlite_utils.Database:
    """Return a migrated database file with the test sources known."""
    db = store.open_database(path)
    store.sync_sources(db, SOURCES, NOW)
    return db


def save(
    db: sqlite_utils.Database,
    articles: Iterable[tuple[str, str, str | None, int]],
    *,
    now: datetime = NOW,
    matches: list[Match] | None = None,
) -> list[int]:
    """Store (title, text, language, source index) articles; return their ids."""
    ids = []
    for title, text, language, source in articles:
        url = f"http://127.0.0.1:1/a/{next(_URLS)}"
        saved = store.save_article(
            db,
            Article(title=title, text=text, language=language),
            url=url,
            link=url,
            source_id=SOURCES[source % len(SOURCES)].id,
            item_key=url,
            plan=HitPlan(matches or []),
            now=now,
        )
        ids.append(saved.article_id)
    return ids
