"""Liveness of the daemon: a database write probe, the scheduler state and the event loop's heartbeat."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.errors import StoreError
from monitor.store import Db
from monitor.store.health import write_heartbeat


def ping_database(db: Db, now: datetime) -> str | None:
    """Write the heartbeat row; return None when the database is writable, else the reason it is not."""
    try:
        write_heartbeat(db, now)
    except StoreError as exc:
        return f"database not writable: {exc}"
    return None


@dataclass
class Health:
    """What /healthz reports; the daemon updates it from the event loop."""

    scheduler_running: Callable[[], bool]
    tick_interval: float
    started: float = field(default_factory=time.monotonic)
    last_tick: float = field(default_factory=time.monotonic)
    db_error: str | None = None
    status: str = "starting"
    details: Callable[[], dict[str, Any]] = field(default=lambda: {})

    def tick(self, db_error: str | None) -> None:
        """Record one heartbeat of the event loop and the result of its database probe."""
        self.last_tick = time.monotonic()
        self.db_error = db_error

    def report(self) -> tuple[bool, dict[str, Any]]:
        """Return (healthy, JSON body) with every reason the daemon is not healthy."""
        reasons = []
        try:
            details = self.details()
        except StoreError as exc:  # the probe may pass while a read fails (locked, corrupt page): say so
            details = {}
            reasons.append(f"database not readable: {exc}")
        if not self.scheduler_running():
            reasons.append("scheduler is not running")
        if self.db_error:
            reasons.append(self.db_error)
        silent = time.monotonic() - self.last_tick
        # Three missed heartbeats: the loop answered this request, but something kept it from its own work.
        if silent > 3 * self.tick_interval:
            reasons.append(f"event loop heartbeat is {silent:.0f} s old")
        body: dict[str, Any] = {
            "status": "ok" if not reasons else "unhealthy",
            "reasons": reasons,
            "state": self.status,
            "uptime_seconds": round(time.monotonic() - self.started, 1),
        }
        body.update(details)
        return not reasons, body
