"""What the daemon's liveness probe writes and its /metrics gauges read: the heartbeat row, queue depth, failing
sources."""

from __future__ import annotations

from datetime import datetime

from monitor.store.db import Db


def write_heartbeat(db: Db, now: datetime) -> None:
    """Write the one heartbeat row: a real write, because a full disk or a read-only file still answers reads."""
    with db.transaction():
        db.execute(
            "INSERT INTO heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
            [now.isoformat()],
        )


def last_heartbeat(db: Db) -> str | None:
    """Return when the heartbeat row was last written (ISO 8601), or None before the first write."""
    value = db.scalar("SELECT at FROM heartbeat WHERE id = 1")
    return None if value is None else str(value)


def queue_depth(db: Db) -> dict[tuple[str, str], int]:
    """Return the number of alert and notice deliveries by (channel, status): the two outboxes as one queue."""
    depth: dict[tuple[str, str], int] = {}
    for channel, status, count in db.execute(
        "SELECT channel_id, status, count(*) FROM deliveries GROUP BY channel_id, status"
        " UNION ALL SELECT channel_id, status, count(*) FROM notice_deliveries GROUP BY channel_id, status"
    ).fetchall():
        depth[channel, status] = depth.get((channel, status), 0) + int(count)
    return depth


def failing_sources(db: Db) -> int:
    """Return how many sources failed their last poll."""
    return int(db.scalar("SELECT count(*) FROM sources WHERE consecutive_failures > 0"))
