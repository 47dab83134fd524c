"""What one process hands every pipeline step: the ``Runtime`` (settings, database, HTTP client, matcher, clock)
and the ``CycleStats`` the steps add their counts to.

Its own layer below the pipeline and above the stages, so monitor.dispatch and monitor.daemon can use both without
importing the pipeline's stage order.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from monitor.config import Settings
from monitor.fetch import HostLimiter
from monitor.match import Matcher
from monitor.store import Db
from monitor.textutil import plural


def utc_now() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


def node_name() -> str:
    """Return this process's name among daemons sharing a database: host and pid, unique while it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Runtime:
    """What the stages need for one process: passed explicitly, never global.

    Immutable: a config reload builds a whole new Runtime (sharing the database, client and limiter) and the
    daemon swaps it in with one assignment, so a poll runs start to end with the settings and matcher it began
    with.
    """

    settings: Settings
    db: Db
    client: httpx.AsyncClient
    limiter: HostLimiter
    matcher: Matcher
    clock: Callable[[], datetime] = utc_now
    topic_titles: dict[str, str] = field(default_factory=dict)
    # Called after hits and their deliveries are stored, so the dispatcher (monitor.dispatch) sends them at once.
    on_queued: Callable[[], None] = lambda: None
    node: str = field(default_factory=node_name)

    @property
    def shared(self) -> bool:
        """Whether other daemons may use this database (PostgreSQL): then sources and jobs are taken by lease."""
        return self.db.dialect != "sqlite"


@dataclass
class CycleStats:
    """Counts of what one or more polls did, stage by stage."""

    sources: int = 0
    sources_ok: int = 0
    not_modified: int = 0
    entries: int = 0
    new_entries: int = 0
    pages: int = 0
    page_failures: int = 0
    feed_text_used: int = 0
    headline_only: int = 0  # items matched on their headline alone: neither the page nor the feed had text
    not_articles: int = 0
    articles_new: int = 0
    articles_known: int = 0
    articles_revised: int = 0  # stored articles whose text was replaced by a rewrite
    matched: int = 0
    hits: int = 0
    queued: int = 0
    sent: int = 0
    delivery_failures: int = 0
    pending: int = 0
    failures: list[str] = field(default_factory=list)
    # For the daemon's metrics (monitor.ops): failed polls by reason, hits by topic.
    fetch_errors: Counter[str] = field(default_factory=Counter)
    hits_by_topic: Counter[str] = field(default_factory=Counter)
    # How each processed item ended (monitor.store.items.OUTCOMES): every new item ends in exactly one.
    outcomes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> list[str]:
        """Return one line per stage, as ``monitor once`` prints them."""
        failed = self.sources - self.sources_ok
        lines = [
            f"fetch:   {plural(self.sources, 'source')} polled, {self.sources_ok} ok ({self.not_modified} unchanged), "
            f"{failed} failed; {plural(self.entries, 'entry', 'entries')}, {self.new_entries} new",
            f"extract: {plural(self.pages, 'page')} fetched, {self.page_failures} failed, "
            f"{self.feed_text_used} from feed text, {self.headline_only} headline only, "
            f"{self.not_articles} not articles",
            f"match:   {plural(self.matched, 'article')} matched, {plural(self.hits, 'hit')}",
            f"store:   {plural(self.articles_new, 'new article')}, {self.articles_known} already known, "
            f"{self.articles_revised} revised, "
            f"{plural(self.queued, 'delivery', 'deliveries')} queued",
            # Every new item ends in exactly one outcome: this line adds up to the items processed.
            "items:   " + (", ".join(f"{n} {o.replace('_', ' ')}" for o, n in sorted(self.outcomes.items())) or "none"),
            f"deliver: {self.sent} sent, {self.delivery_failures} failed, {self.pending} waiting for retry",
        ]
        lines.extend(f"  failed: {failure}" for failure in self.failures)
        return lines
