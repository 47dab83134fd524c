"""Retention: drop articles and hits older than configured, in small batches, and give the pages back.

What goes in a batch (and with it every row that references it) is the store's ``maintenance.prune_batch``; this
module turns the configured ages into cutoffs and repeats batches until nothing is left.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.store import Db, maintenance

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
    deleted = maintenance.prune_batch(
        db,
        hits_before=now - timedelta(seconds=hits_age),
        articles_before=now - timedelta(seconds=articles_age),
        batch=batch,
    )
    return PruneResult(deleted)


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
    return maintenance.incremental_vacuum(db, pages)
