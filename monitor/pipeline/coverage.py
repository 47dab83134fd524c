"""``monitor coverage TOPIC --gdelt``: what GDELT saw for a story against what our sources delivered: the outlets
that covered it which we neither poll nor ever stored an article from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monitor import dedup
from monitor.fetch import Validators, fetch_feed
from monitor.parse import parse_gdelt
from monitor.runtime import Runtime
from monitor.store import coverage

# Second-level labels under which a country registers names (news.bbc.co.uk is bbc.co.uk, not co.uk).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "news"})


def domain_of(site: str) -> str:
    """Return the registered domain of a host, roughly: feeds.bbci.co.uk and www.bbc.co.uk stay apart, but
    rss.dw.com and www.dw.com do not."""
    labels = site.split(".")
    if all(label.isdigit() for label in labels):
        return site  # an address, not a name
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


@dataclass(frozen=True)
class Outlet:
    """An outlet GDELT saw covering the query, with its articles' number and the newest one's title and link."""

    domain: str
    articles: int
    title: str
    url: str


@dataclass(frozen=True)
class Coverage:
    """GDELT's articles for a query, against our topic hits and the outlets we poll or stored from."""

    query_url: str
    gdelt_articles: int
    gdelt_outlets: int
    stored: int  # GDELT articles we stored too (same URL)
    ours: dict[str, int]  # outlets of the topic's hits in the period
    missing: list[Outlet] = field(default_factory=list)  # outlets GDELT saw that none of our sources delivers


async def gdelt_coverage(rt: Runtime, topic_id: str, url: str, since: datetime) -> Coverage:
    """Fetch one GDELT ArtList answer and compare its outlets with what our sources delivered."""
    fetch = rt.settings.fetch
    response = await fetch_feed(
        rt.client, url, validators=Validators(), max_bytes=fetch.max_bytes, limiter=rt.limiter, clock=rt.clock
    )
    feed = parse_gdelt(response.body, response.url)
    ours = coverage.topic_outlets(rt.db, topic_id, since)
    known = {domain_of(dedup.site_of(s.url)) for s in rt.settings.sources}
    known |= {domain_of(outlet.split("/")[0]) for outlet in coverage.known_outlets(rt.db)}
    stored = coverage.stored_url_keys(rt.db, (dedup.url_key(e.url) for e in feed.entries))
    seen: dict[str, list[tuple[str, str]]] = {}
    for entry in feed.entries:  # newest first, as asked
        seen.setdefault(domain_of(dedup.site_of(entry.url)), []).append((entry.title, entry.url))
    missing = [
        Outlet(domain, len(found), found[0][0], found[0][1])
        for domain, found in sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        if domain not in known
    ]
    return Coverage(response.url, len(feed.entries), len(seen), len(stored), ours, missing)
