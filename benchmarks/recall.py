"""Recall on breaking-news shapes: of the relevant items a site publishes, how many does monitor alert?

The local wire site (monitor.demo.briefs) publishes items the way outlets publish breaking news: briefs with and
without JSON-LD, a live blog, a paywalled teaser page with the text in the feed, an AMP page, text only in JSON-LD
articleBody or a __NEXT_DATA__ script, 403 pages, a feed of titles only, a video page, English, Russian and Arabic
items, and look-alikes. An item is relevant when the seed topics match its whole published text.

Printed: relevant items alerted / relevant published, false alerts, each item's outcome, and the same figures for
the loop a user would otherwise write (feedparser, then match the feed's title and description).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import feedparser
import httpx
import yaml

from monitor.config import load_config
from monitor.daemon import run_once
from monitor.demo.briefs import FEED_PATH, TITLES_FEED_PATH, build_site, shapes
from monitor.demo.sink import WebhookSink, make_secret
from monitor.demo.site import NewsSite
from monitor.match import Matcher
from monitor.models import MatchDocument
from monitor.store import open_database
from monitor.textutil import html_to_text

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "topics"


def main() -> int:
    secret = make_secret()
    with tempfile.TemporaryDirectory() as tmp, NewsSite(content_dir=None) as site, WebhookSink(secret) as sink:
        build_site(site)
        config = Path(tmp) / "monitor.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "database": "monitor.db",
                    "fetch": {"timeout": "5s", "allow_private_networks": True, "min_delay": "0s"},
                    "sources": [
                        {"name": "Coast Wire", "url": site.url(FEED_PATH)},
                        {"name": "Coast Wire headlines", "url": site.url(TITLES_FEED_PATH)},
                    ],
                    "topics": [str(SEEDS)],
                    "channels": [{"id": "hook", "type": "webhook", "url": sink.url, "secret": "${HOOK}"}],
                    "routes": [{"topics": ["*"], "channels": ["hook"]}],
                }
            ),
            encoding="utf-8",
        )
        settings = load_config(config, {"HOOK": secret})
        matcher = Matcher(settings.topics)
        items = shapes()
        truth = {
            s.headline: {m.topic_id for m in matcher.match(MatchDocument(s.headline, s.text, language=s.lang))}
            for s in items
        }
        relevant = {h for h, topics in truth.items() if topics}

        started = time.perf_counter()
        stats = asyncio.run(run_once(settings))
        elapsed = time.perf_counter() - started
        alerted = {r["payload"]["data"]["article"]["title"] for r in sink.received}
        db = open_database(settings.database)
        outcomes = dict(
            db.execute("SELECT item_key, outcome || ' (' || coalesce(text_from, '-') || ')' FROM seen_items").fetchall()
        )
        db.close()

        naive = naive_loop(site, matcher)

    print(f"items published: {len(items)}, relevant (a seed topic matches the whole text): {len(relevant)}")
    print(
        f"monitor:        alerted {len(alerted & relevant)}/{len(relevant)} relevant, "
        f"{len(alerted - relevant)} false alerts ({elapsed:.2f} s for the cycle)"
    )
    print(
        f"feedparser loop: alerted {len(naive & relevant)}/{len(relevant)} relevant, "
        f"{len(naive - relevant)} false alerts (title and description of each item)"
    )
    print("outcomes: " + ", ".join(f"{n} {o}" for o, n in sorted(Counter(stats.outcomes).items())))
    width = max(len(s.key) for s in items)
    for shape in items:
        mark = "alerted" if shape.headline in alerted else ("MISSED" if shape.headline in relevant else "-")
        print(
            f"  {shape.key:<{width}}  {'relevant' if shape.headline in relevant else 'look-alike':<10}  "
            f"{mark:<7}  {outcomes.get(shape.key, 'no outcome recorded')}"
        )
    return 0 if relevant <= alerted and not alerted - relevant else 1


def naive_loop(site: NewsSite, matcher: Matcher) -> set[str]:
    """The loop a user writes instead: fetch each feed, match each item's title and description."""
    found = set()
    for path in (FEED_PATH, TITLES_FEED_PATH):
        feed = feedparser.parse(httpx.get(site.url(path), timeout=5).content)
        for entry in feed.entries:
            doc = MatchDocument(entry.get("title", ""), html_to_text(entry.get("summary", "")))
            if matcher.match(doc):
                found.add(entry.get("title", ""))
    return found


if __name__ == "__main__":
    sys.exit(main())
