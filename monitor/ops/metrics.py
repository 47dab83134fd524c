"""Prometheus metrics of one daemon: event counters fed by the daemon, database gauges read at scrape time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.errors import StoreError
from monitor.store import Db, maintenance
from monitor.store.health import failing_sources, queue_depth

log = logging.getLogger("monitor.ops.metrics")

# Polls and their lag span milliseconds (304s) to minutes (slow sites behind a busy limiter).
_POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)
_LAG_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900)


class Metrics:
    """Every metric the daemon exports, on a registry of its own (so tests and reloads never collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.leases = Gauge(
            "monitor_source_leases",
            "Sources this daemon holds a lease on (several daemons on one database).",
            registry=r,
        )
        self.node = Gauge("monitor_node_info", "This daemon among those sharing a database.", ["node"], registry=r)
        self.polls = Counter(
            "monitor_polls", "Source polls by outcome (ok, not_modified, failed).", ["outcome"], registry=r
        )
        self.fetch_errors = Counter("monitor_fetch_errors", "Failed source polls by reason.", ["reason"], registry=r)
        self.entries = Counter("monitor_entries_new", "New feed entries seen.", registry=r)
        self.articles = Counter("monitor_articles_new", "New articles stored.", registry=r)
        self.items = Counter(
            "monitor_items",
            "Processed feed items by outcome (new, duplicate, revised, not_article, "
            "failed): every new item ends in one.",
            ["outcome"],
            registry=r,
        )
        self.hits = Counter("monitor_hits", "Topic hits stored, by topic.", ["topic"], registry=r)
        self.deliveries = Counter(
            "monitor_deliveries",
            "Sends by channel and outcome (sent; retry: failed, tried "
            "again later; failed: refused for good; dead: given up).",
            ["channel", "outcome"],
            registry=r,
        )
        self.skipped = Counter(
            "monitor_polls_skipped", "Polls skipped because the previous one was still running.", registry=r
        )
        self.poll_duration = Histogram(
            "monitor_poll_duration_seconds",
            "Time to poll one source and process its new entries.",
            buckets=_POLL_BUCKETS,
            registry=r,
        )
        self.poll_lag = Histogram(
            "monitor_poll_lag_seconds",
            "Delay between a poll's scheduled and actual start.",
            buckets=_LAG_BUCKETS,
            registry=r,
        )
        self.reloads = Counter(
            "monitor_config_reloads", "Config reloads by outcome (ok, refused).", ["outcome"], registry=r
        )
        self.pruned = Counter("monitor_pruned_rows", "Rows removed by retention, by table.", ["table"], registry=r)
        self.up = Gauge("monitor_up", "1 while the scheduler runs and the database is writable.", registry=r)

    def record_poll(
        self,
        *,
        ok: int,
        not_modified: int,
        failed: int,
        entries: int,
        articles: int,
        errors_by_reason: Mapping[str, int],
        hits_by_topic: Mapping[str, int],
        deliveries: Mapping[tuple[str, str], int],
        duration: float,
        outcomes: Mapping[str, int] | None = None,
    ) -> None:
        """Add what one poll did."""
        for outcome, count in (("ok", ok - not_modified), ("not_modified", not_modified), ("failed", failed)):
            if count > 0:
                self.polls.labels(outcome).inc(count)
        self.entries.inc(entries)
        self.articles.inc(articles)
        for reason, count in errors_by_reason.items():
            self.fetch_errors.labels(reason).inc(count)
        for topic, count in hits_by_topic.items():
            self.hits.labels(topic).inc(count)
        for outcome, count in (outcomes or {}).items():
            self.items.labels(outcome).inc(count)
        for (channel, outcome), count in deliveries.items():
            self.deliveries.labels(channel, outcome).inc(count)
        self.poll_duration.observe(duration)

    def watch_database(self, db: Callable[[], Db], path: Path | None) -> None:
        """Export queue depth, failing sources and database size, read from the database at each scrape."""
        self.registry.register(_DatabaseCollector(db, path))

    def render(self) -> bytes:
        """Return the metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class _DatabaseCollector(Collector):
    def __init__(self, db: Callable[[], Db], path: Path | None) -> None:
        self._db = db
        self._path = path

    def describe(self) -> Iterable[Metric]:
        return []  # values come from the database at scrape time: do not query it at registration

    def collect(self) -> Iterator[Metric]:
        queue = GaugeMetricFamily(
            "monitor_delivery_queue_depth", "Deliveries by channel and status.", labels=["channel", "status"]
        )
        failing = GaugeMetricFamily("monitor_sources_failing", "Sources whose last poll failed.")
        size = GaugeMetricFamily(
            "monitor_database_bytes", "Size of the database file and WAL, or of its tables on a server."
        )
        try:
            db = self._db()
            for (channel, status), count in sorted(queue_depth(db).items()):
                queue.add_metric([channel, status], count)
            failing.add_metric([], failing_sources(db))
            served = maintenance.server_bytes(db)
            if served is not None:
                size.add_metric([], served)
        except StoreError as exc:  # a scrape must still answer; /healthz reports the database problem
            log.warning("metrics: database unreadable: %s", exc)
        if self._path is not None:
            total = sum(p.stat().st_size for p in (self._path, Path(f"{self._path}-wal")) if p.exists())
            size.add_metric([], total)
        yield from (queue, failing, size)
