"""What the daemon shows of itself: /healthz and /metrics on the ops HTTP server, and the status line for systemd."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monitor import ops, store
from monitor.errors import ConfigError
from monitor.runtime import Runtime
from monitor.store import feedback, leases
from monitor.textutil import plural


class Status:
    """The health report, the metrics and, when enabled in the config, the HTTP server that serves both."""

    def __init__(
        self,
        current: Callable[[], Runtime],
        *,
        polls_in_flight: Callable[[], int],
        scheduler_running: Callable[[], bool],
        tick_interval: float,
    ) -> None:
        self._current = current
        self._polls_in_flight = polls_in_flight
        self.metrics = ops.Metrics()
        self.metrics.watch_database(lambda: current().db, current().settings.database_file)
        self.metrics.node.labels(current().node).set(1)
        self.health = ops.Health(scheduler_running=scheduler_running, tick_interval=tick_interval, details=self.details)
        self._server: ops.OpsServer | None = None

    async def serve(self) -> None:
        """Start the ops HTTP server when ``health.enabled``; raise ConfigError when its address is taken."""
        health = self._current().settings.health  # a reload keeps it: the server is built once
        if not health.enabled:
            return
        rt = self._current()
        desk = None
        if health.feedback_links:
            key = feedback.link_key(rt.db, rt.clock())
            desk = ops.FeedbackDesk(key, self._mark)
        self._server = ops.OpsServer(health.listen, self.health, self.metrics.render, feedback=desk)
        try:
            await self._server.start()
        except OSError as exc:
            raise ConfigError(f"health.listen {health.listen}: cannot listen: {exc}") from exc

    def _mark(self, hit_id: int, relevant: bool) -> feedback.Mark | None:
        rt = self._current()
        return feedback.mark_hit(rt.db, hit_id, relevant, via="link", now=rt.clock())

    async def close(self) -> None:
        if self._server is not None:
            await self._server.stop()

    def details(self) -> dict[str, Any]:
        rt = self._current()
        shared = {"node": rt.node, "source_leases": leases.held_leases(rt.db, rt.node, rt.clock())} if rt.shared else {}
        return {
            **shared,
            "sources": len(rt.settings.sources),
            "topics": len(rt.settings.topics),
            "polls_in_flight": self._polls_in_flight(),
            "deliveries_pending": store.delivery_counts(rt.db).get("pending", 0),
        }

    def line(self) -> str:
        """Return the one-line status told to systemd."""
        settings = self._current().settings
        return (
            f"{self.health.status}: {plural(len(settings.sources), 'source')}, "
            f"{plural(len(settings.topics), 'topic')}, {plural(self._polls_in_flight(), 'poll')} in flight"
        )
