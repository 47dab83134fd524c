"""Relevance feedback: an analyst's mark on a hit (relevant or not), and the key that signs feedback links.

Marks are what the analyst knows and the matcher does not: a topic that matches by meaning takes marked articles
as examples and counter-examples (monitor.match.semantic), and ``backtest`` scores topics against them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from monitor.store.db import Db


@dataclass(frozen=True, slots=True)
class Mark:
    """One hit marked relevant or not, with the article's headline and text."""

    hit_id: int
    topic_id: str
    article_id: int
    relevant: bool
    title: str
    text: str


def mark_hit(db: Db, hit_id: int, relevant: bool, *, via: str, now: datetime) -> Mark | None:
    """Record (or change) the mark on hit ``hit_id``; None when there is no such hit (pruned, or a wrong id)."""
    with db.transaction():
        row = db.execute(
            "SELECT h.topic_id, h.article_id, a.title, a.text FROM hits h JOIN articles a ON a.id = h.article_id"
            " WHERE h.id = ?",
            [hit_id],
        ).fetchone()
        if row is None:
            return None
        db.execute(
            "INSERT INTO feedback (hit_id, topic_id, article_id, relevant, via, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (hit_id) DO UPDATE SET relevant = excluded.relevant, via = excluded.via,"
            " created_at = excluded.created_at",
            [hit_id, row[0], row[1], int(relevant), via, now.isoformat()],
        )
    return Mark(hit_id, row[0], row[1], relevant, row[2] or "", row[3] or "")


def topic_marks(db: Db, topic_id: str | None = None) -> list[Mark]:
    """Return the marks on ``topic_id``'s hits (every topic's when None), oldest first."""
    where, params = ("WHERE f.topic_id = ?", [topic_id]) if topic_id is not None else ("", [])
    rows = db.execute(
        "SELECT f.hit_id, f.topic_id, f.article_id, f.relevant, a.title, a.text FROM feedback f"
        f" JOIN articles a ON a.id = f.article_id {where} ORDER BY f.created_at, f.hit_id",
        params,
    ).fetchall()
    return [Mark(r[0], r[1], r[2], bool(r[3]), r[4] or "", r[5] or "") for r in rows]


def link_key(db: Db, now: datetime) -> str:
    """Return the key that signs feedback links (the dispatcher signs with it, the health server checks with it)."""
    return store_key(db, "feedback", now)


def store_key(db: Db, name: str, now: datetime) -> str:
    """Return the store's secret ``name``, made (32 random bytes, hex) the first time it is asked for.

    Kept in the database, not in a file beside one daemon, so every daemon sharing the database signs and
    accepts the same links.
    """
    with db.transaction():
        db.execute(
            "INSERT INTO store_keys (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            [name, secrets.token_hex(32), now.isoformat()],
        )
        value = db.scalar("SELECT value FROM store_keys WHERE name = ?", [name])
    return str(value)
