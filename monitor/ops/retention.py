"""Retention: drop articles and hits older than configured, in small batches, and give the pages back.

The FTS index follows through the triggers sqlite-utils installed with it. Rows of any table that references a
pruned row through a foreign key (deliveries of a hit, or what later schema steps add) go with it, so pruning
keeps working as the schema grows. An article is kept as long as one of its hits is: alerts keep their text.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.store import Db

log = logging.getLogger("monitor.ops.retention")

BATCH = 500  # rows per transaction: the daemon's event loop is never held for long
VACUUM_PAGES = 2000  # pages given back per incremental_vacuum step


@dataclass
class PruneResult:
    """Rows deleted per table and pages given back to the file system."""

    deleted: Counter[str] = field(default_factory=Counter)
    freed_pages: int = 0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def prune_step(db: Db, *, articles_age: float, hits_age: float, now: datetime, batch: int = BATCH) -> PruneResult:
    """Delete one batch of expired hits, then of expired articles without hits; return what went."""
    result = PruneResult()
    hits_cutoff = (now - timedelta(seconds=hits_age)).isoformat()
    articles_cutoff = (now - timedelta(seconds=articles_age)).isoformat()
    with db.transaction():
        ids = [r[0] for r in db.execute("SELECT id FROM hits WHERE created_at < ? LIMIT ?", [hits_cutoff, batch])]
        _delete(db, "hits", ids, result.deleted)
        ids = [
            r[0]
            for r in db.execute(
                "SELECT id FROM articles a WHERE fetched_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.article_id = a.id) LIMIT ?",
                [articles_cutoff, batch],
            )
        ]
        _delete(db, "articles", ids, result.deleted)
        # Notices (spikes, monitor health) live as long as hits; their deliveries go with them (ON DELETE CASCADE).
        ids = [r[0] for r in db.execute("SELECT id FROM notices WHERE created_at < ? LIMIT ?", [hits_cutoff, batch])]
        _delete(db, "notices", ids, result.deleted)
        # Seen feed items keep a feed's old entries from being processed (and alerted) again; they go only
        # after the longest retention, when no feed still lists them.
        cursor = db.execute(
            "DELETE FROM seen_items WHERE rowid IN (SELECT rowid FROM seen_items WHERE first_seen_at < ? LIMIT ?)",
            [min(hits_cutoff, articles_cutoff), batch],
        )
        if cursor.rowcount > 0:
            result.deleted["seen_items"] += cursor.rowcount
    return result


def prune(db: Db, *, articles_age: float, hits_age: float, now: datetime) -> PruneResult:
    """Delete everything expired, batch after batch, then vacuum incrementally."""
    total = PruneResult()
    while True:
        step = prune_step(db, articles_age=articles_age, hits_age=hits_age, now=now)
        total.deleted.update(step.deleted)
        if step.total == 0:
            break
    total.freed_pages = vacuum(db)
    return total


def vacuum(db: Db, pages: int = VACUUM_PAGES) -> int:
    """Give free pages back to the file system (incremental auto-vacuum); return how many went."""
    before = int(db.execute("PRAGMA freelist_count").fetchone()[0])
    if before == 0 or db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        return 0
    db.execute(f"PRAGMA incremental_vacuum({int(pages)})").fetchall()
    return before - int(db.execute("PRAGMA freelist_count").fetchone()[0])


def _children(db: Db, parent: str) -> list[tuple[str, str]]:
    """Return (table, column) of every foreign key that points at ``parent``."""
    found = []
    for table in db.table_names():
        for fk in db.execute(f"PRAGMA foreign_key_list([{table}])").fetchall():
            if fk[2] == parent:
                found.append((table, fk[3]))
    return found


def _delete(db: Db, table: str, ids: list[int], deleted: Counter[str]) -> None:
    """Delete rows by id, children first, depth first."""
    if not ids:
        return
    marks = ", ".join("?" for _ in ids)
    for child, column in _children(db, table):
        child_ids = [r[0] for r in db.execute(f"SELECT rowid FROM [{child}] WHERE [{column}] IN ({marks})", ids)]
        _delete(db, child, child_ids, deleted)
    cursor = db.execute(f"DELETE FROM [{table}] WHERE rowid IN ({marks})", ids)
    deleted[table] += max(cursor.rowcount, 0)
