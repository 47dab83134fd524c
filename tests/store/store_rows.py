"""Rows for the store suite, written through store functions only (so every backend runs the same tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from monitor import store
from monitor.models import Article, Match, Notice
from monitor.pipeline.alerts import plan_hits

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PgSchema = Callable[[], str]  # the pg_url fixture: a URL to a fresh schema of the test server, per call
DAY = 86400.0


def save(
    db: store.Db,
    n: int,
    days_ago: float = 0,
    topics: tuple[str, ...] = (),
    words: str = "",
    channels: tuple[str, ...] = ("log",),
) -> store.SavedArticle:
    """Store article ``n`` fetched ``days_ago`` before NOW, a hit on each of ``topics``, deliveries to ``channels``."""
    url = f"https://news.example/{n}"
    article = Article(title=f"Story {n} {words}", text=f"Body of story {n} about {words}. " * 40, url=url)
    return store.save_article(
        db,
        article,
        url=url,
        link=url,
        source_id="src-1",
        item_key=url,
        plan=plan_hits(
            url,
            [Match(topic_id=t, score=1.0, terms=("x",)) for t in topics],
            {t: t.title() for t in topics},
            channels_for=lambda topic, score: list(channels),
        ),
        now=NOW - timedelta(days=days_ago),
    )


def count(db: store.Db, table: str) -> int:
    return int(db.scalar(f'SELECT count(*) FROM "{table}"'))


def sqlite_only(db: store.Db) -> None:
    """Skip a test of what only the SQLite backend has (PRAGMAs, dbstat, FTS5)."""
    if db.dialect != "sqlite":
        pytest.skip(f"SQLite only, not {db.dialect}")


def notice(key: str, condition: str = "source.failing", created_at: datetime = NOW) -> Notice:
    """Return a health notice about subject ``key``."""
    return Notice(
        id=f"notice-{key}",
        topic_id="monitor.health",
        topic_title="Monitor health",
        condition=condition,
        subject=key,
        state="started",
        title=f"{key} is failing",
        text="HTTP 500 three times",
        created_at=created_at,
    )
