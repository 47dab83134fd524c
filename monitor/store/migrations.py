"""The versioned schema: ordered steps; later issues add steps, never edit applied ones."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("monitor")


@migrations()
def m001_initial(db: Database) -> None:
    """Sources with fetch state, seen feed items, articles with FTS, hits and the delivery outbox."""
    db.table("sources").create(
        {
            "id": str,
            "name": str,
            "url": str,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_polled_at": str,
            "last_success_at": str,
            "last_status": int,
            "last_error": str,
            "consecutive_failures": int,
            "entries_seen": int,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "url"},
        defaults={"consecutive_failures": 0, "entries_seen": 0},
    )
    db.table("articles").create(
        {
            "id": int,
            "url": str,
            "link": str,
            "source_id": str,
            "title": str,
            "text": str,
            "summary": str,
            "authors": str,
            "published": str,
            "language": str,
            "site_name": str,
            "content_hash": str,
            "fetched_at": str,
        },
        pk="id",
        not_null={"url", "title", "text"},
    )
    db.table("articles").create_index(["url"], unique=True)
    db.table("articles").create_index(["published"])
    db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2")
    db.table("seen_items").create(
        {"source_id": str, "item_key": str, "article_id": int, "first_seen_at": str},
        pk=("source_id", "item_key"),
    )
    db.table("hits").create(
        {
            "id": int,
            "topic_id": str,
            "topic_title": str,
            "article_id": int,
            "score": float,
            "terms": str,
            "snippets": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"topic_id", "article_id"},
    )
    db.table("hits").create_index(["topic_id", "article_id"], unique=True)
    db.table("deliveries").create(
        {
            "id": int,
            "hit_id": int,
            "channel_id": str,
            "alert_id": str,
            "status": str,
            "attempts": int,
            "last_error": str,
            "next_attempt_at": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        foreign_keys=[("hit_id", "hits", "id")],
        not_null={"hit_id", "channel_id", "alert_id", "status"},
        defaults={"attempts": 0, "status": "pending"},
    )
    db.table("deliveries").create_index(["hit_id", "channel_id"], unique=True)
    db.table("deliveries").create_index(["alert_id"], unique=True)
    db.table("deliveries").create_index(["status", "next_attempt_at"])
