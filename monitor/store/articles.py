"""Article rows and the per-source record of feed items already seen."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from monitor.models import Article
from monitor.store.db import Db
from monitor.store.deliveries import HitPlan, record_hits


def mark_seen(db: Db, source_id: str, item_key: str, article_id: int | None, now: datetime) -> None:
    """Remember that an item of a source was processed, so later polls skip it."""
    with db.transaction():
        db.execute(
            "INSERT INTO seen_items (source_id, item_key, article_id, first_seen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (source_id, item_key) DO NOTHING",
            [source_id, item_key, article_id, now.isoformat()],
        )


def find_article(db: Db, url: str) -> int | None:
    """Return the id of the stored article with canonical ``url``, if any."""
    row = db.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()
    return int(row[0]) if row else None


def insert_article(
    db: Db,
    article: Article,
    *,
    url: str,
    link: str,
    source_id: str,
    now: datetime,
    fingerprint: str | None = None,
) -> tuple[int, bool]:
    """Store ``article`` under its canonical ``url``; return (id, True) if new, (existing id, False) if known.

    ``fingerprint`` is the dedup stage's fingerprint of the body (``monitor.dedup.fingerprint``), kept in the
    ``content_hash`` column; the store computes no hash of its own.
    """
    existing = find_article(db, url)
    if existing is not None:
        return existing, False
    with db.transaction():
        # Another daemon of a shared database may store the same article at the same moment: then it is known.
        inserted = db.execute(
            "INSERT INTO articles (url, link, source_id, title, text, summary, authors, published, language,"
            " site_name, content_hash, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (url) DO NOTHING RETURNING id",
            [
                url,
                link,
                source_id,
                article.title,
                article.text,
                article.description or "",
                json.dumps(list(article.authors), ensure_ascii=False),
                article.published.isoformat() if article.published else None,
                article.language,
                article.site_name,
                fingerprint,
                now.isoformat(),
            ],
        ).fetchone()
    if inserted is None:
        found = find_article(db, url)
        assert found is not None, url
        return found, False
    return int(inserted[0]), True


@dataclass(frozen=True, slots=True)
class SavedArticle:
    """What storing an article did: its id, whether it was new, and the hits and deliveries it created."""

    article_id: int
    is_new: bool
    hits: int = 0
    deliveries: int = 0


def save_article(
    db: Db,
    article: Article,
    *,
    url: str,
    link: str,
    source_id: str,
    item_key: str,
    plan: HitPlan,
    now: datetime,
    fingerprint: str | None = None,
) -> SavedArticle:
    """Store a new article (in no story), the hits and deliveries of ``plan`` and the seen item in one transaction.

    A crash can never leave an article stored without its hits, so an alert is never lost to a restart.
    """
    with db.transaction():
        article_id, is_new = insert_article(
            db, article, url=url, link=link, source_id=source_id, now=now, fingerprint=fingerprint
        )
        mark_seen(db, source_id, item_key, article_id, now)
        if not is_new:
            return SavedArticle(article_id, False)
        recorded = record_hits(db, article_id=article_id, plan=plan, now=now)
    return SavedArticle(article_id, True, len(recorded.hit_ids), len(recorded.alerts))
