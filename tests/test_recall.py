"""No story missed: briefs, live blogs, paywalls, app pages, 403s and title-only feeds all reach the matcher.

The site (monitor.demo.briefs) publishes items in the shapes outlets use for breaking news. An item is relevant
when the seed topics match its whole published text; every relevant item must alert exactly once, no look-alike
may alert, and every item must end in exactly one recorded outcome that ``monitor trace`` can explain.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from local_peers import webhook_config

from monitor.config import Settings, load_config
from monitor.daemon import run_once
from monitor.demo.briefs import build_site, shapes
from monitor.demo.sink import WebhookSink
from monitor.demo.site import NewsSite
from monitor.match import Matcher
from monitor.models import MatchDocument
from monitor.store import open_database


@pytest.fixture
def wire() -> Iterator[NewsSite]:
    with NewsSite(content_dir=None) as site:
        build_site(site)
        yield site


def write_config(tmp_path: Path, site: NewsSite, hook_url: str) -> Path:
    sources = [
        {"name": "Coast Wire", "url": site.url("/wire/rss.xml")},
        {"name": "Coast Wire headlines", "url": site.url("/wire/titles.xml")},
    ]
    return webhook_config(tmp_path, sources, hook_url)


def relevant(settings: Settings) -> dict[str, set[str]]:
    """Return, per shape key, the topics that match its whole published text (the ground truth)."""
    matcher = Matcher(settings.topics)
    found = {}
    for shape in shapes():
        doc = MatchDocument(title=shape.headline, text=shape.text, source="Coast Wire", language=shape.lang)
        found[shape.key] = {m.topic_id for m in matcher.match(doc)}
    return found


def alerted(sink: WebhookSink) -> dict[str, list[str]]:
    """Return, per shape key, the topics alerted for it (a topic twice means a duplicate alert)."""
    # By headline: an AMP page's alert carries its canonical URL, not the link the feed gave.
    keys = {shape.headline: shape.key for shape in shapes()}
    got: dict[str, list[str]] = {}
    for record in sink.received:
        data = record["payload"]["data"]
        got.setdefault(keys[data["article"]["title"]], []).append(data["topic"]["id"])
    return got


def test_every_shape_of_a_relevant_item_alerts_once_and_no_look_alike_does(
    tmp_path: Path, wire: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    settings = load_config(write_config(tmp_path, wire, webhook_sink.url), {"HOOK_SECRET": webhook_secret})
    truth = relevant(settings)
    by_key = {s.key: s for s in shapes()}
    # The site must hold what it claims: traps match nothing, every other shape is about the story.
    assert all(not truth[k] for k, s in by_key.items() if "trap" in s.tags)
    assert all(truth[k] for k, s in by_key.items() if "trap" not in s.tags)

    stats = asyncio.run(run_once(settings))

    got = alerted(webhook_sink)
    missed = {k: sorted(t - set(got.get(k, []))) for k, t in truth.items() if t - set(got.get(k, []))}
    assert missed == {}, f"relevant items not alerted: {missed}\n" + "\n".join(stats.summary())
    false = {k: v for k, v in got.items() if not truth.get(k)}
    assert false == {}
    assert all(len(v) == len(set(v)) for v in got.values()), got
    # One recorded outcome per item, none lost: every item of both feeds has its row.
    db = open_database(settings.database)
    rows = db.execute("SELECT item_key, outcome, text_from FROM seen_items").fetchall()
    outcomes = {key: (outcome, origin) for key, outcome, origin in rows}
    assert set(outcomes) == set(by_key)
    assert sum(stats.outcomes.values()) == len(by_key)
    assert outcomes["trap-listing"] == ("not_article", "headline")
    assert outcomes["forbidden"] == ("new", "feed summary")
    assert outcomes["titles-only-403"] == ("new", "headline")
    assert outcomes["paywall"] == ("new", "feed content")
    assert outcomes["brief-plain"] == ("new", "page")
    assert outcomes["next-data"] == ("new", "page")
    # A 403 is not retried: the feed's text stood in and that is final.
    assert db.execute("SELECT count(*) FROM seen_items WHERE retry_at IS NOT NULL").fetchone()[0] == 0
    db.close()

    again = asyncio.run(run_once(settings))
    assert len(webhook_sink.received) == sum(len(v) for v in got.values())
    assert again.articles_new == 0


def test_a_page_that_times_out_is_fetched_again_and_its_full_text_then_matches(
    tmp_path: Path, wire: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    """The feed's headline stands in while the page is down (a 503); the page is fetched again when its retry is
    due, the stored text is replaced, and the item does not alert twice for the topic it already alerted."""
    page = "/world/titles-only"
    wire.fail(page, 503)
    settings = load_config(write_config(tmp_path, wire, webhook_sink.url), {"HOOK_SECRET": webhook_secret})
    asyncio.run(run_once(settings))
    db = open_database(settings.database)
    row = db.execute(
        "SELECT outcome, text_from, retry_at, attempts, page_status FROM seen_items WHERE item_key = 'titles-only'"
    ).fetchone()
    assert row[0:2] == ("new", "headline") and row[2] is not None and row[3] == 1 and row[4] == 503
    # The headline alone ("Coastal air base update") matches no topic: the item is stored, not alerted, yet.
    assert "titles-only" not in alerted(webhook_sink)
    wire.recover(page)
    db.execute("UPDATE seen_items SET retry_at = '2000-01-01T00:00:00+00:00' WHERE item_key = 'titles-only'")
    db.conn.commit()
    asyncio.run(run_once(settings))
    row = db.execute(
        "SELECT outcome, text_from, retry_at, attempts FROM seen_items WHERE item_key = 'titles-only'"
    ).fetchone()
    assert row == ("revised", "page", None, 0)
    assert alerted(webhook_sink).get("titles-only") == ["russia-syria-bases"]
    db.close()


def _trace(config: Path, target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return _monitor(config, "trace", target, *extra)


def _monitor(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOOK_SECRET": ""},
    )


@pytest.mark.slow
def test_trace_explains_why_an_item_did_or_did_not_alert(
    tmp_path: Path, wire: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    config = write_config(tmp_path, wire, webhook_sink.url)
    asyncio.run(run_once(load_config(config, {"HOOK_SECRET": webhook_secret})))

    forbidden = _trace(config, wire.url("/world/forbidden"))
    assert forbidden.returncode == 0, forbidden.stderr
    out = forbidden.stdout
    assert "seen by Coast Wire" in out and "HTTP 403" in out and "text from: feed summary" in out
    assert "✓ russia-syria-bases" in out and "hook: sent" in out

    trap = _trace(config, wire.url("/world/trap-gyumri"), "--json")
    data = json.loads(trap.stdout)
    bases = next(t for t in data["topics"] if t["topic_id"] == "russia-syria-bases")
    assert bases["hit"] is False and bases["first_failed"]
    assert data["items"][0]["outcome"] == "new" and data["channels"] == []

    listing = _trace(config, wire.url("/world/trap-listing"))
    assert "outcome: not article" in listing.stdout and "no article stored" in listing.stdout

    never = _trace(config, wire.url("/world/never-published"))
    assert never.returncode == 1 and "never seen" in never.stdout

    table = _monitor(config, "sources", "--items").stdout.splitlines()
    assert table[0].split()[:6] == ["SOURCE", "NEW", "DUPLICATE", "REVISED", "NOT", "ARTICLE"]
    wire_row = next(line for line in table if line.startswith("Coast Wire  "))
    assert wire_row.split()[2:7] == ["17", "0", "0", "1", "0"] and "feed summary 2" in wire_row
    records = [json.loads(line) for line in _monitor(config, "sources", "--format", "json").stdout.splitlines()]
    assert sum(sum(r["items"].values()) for r in records) == len(shapes())


def test_a_wire_brief_on_two_outlets_joins_one_story_and_alerts_once(
    tmp_path: Path, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    """Short articles still group into stories: the same brief from a second outlet is kept quiet."""
    brief = next(s for s in shapes() if s.key == "brief-jsonld")
    reworded = replace(brief, text=brief.text.replace("on Tuesday", "on Tuesday morning"))
    reworded = replace(reworded, page=reworded.page.replace("on Tuesday", "on Tuesday morning"))
    with NewsSite(content_dir=None) as first, NewsSite(content_dir=None) as second:
        build_site(first, [brief])
        build_site(second, [reworded])
        config = write_config(tmp_path, first, webhook_sink.url)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        # Another outlet: the same server reached under another host name.
        data["sources"] = [
            {"name": "First", "url": first.url("/wire/rss.xml")},
            {"name": "Second", "url": second.url("/wire/rss.xml").replace("127.0.0.1", "localhost")},
        ]
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        settings = load_config(config, {"HOOK_SECRET": webhook_secret})
        asyncio.run(run_once(settings))
    assert [r["payload"]["data"]["topic"]["id"] for r in webhook_sink.received] == ["russia-syria-bases"]
    db = open_database(settings.database)
    stories = db.execute("SELECT count(DISTINCT story_id), count(*) FROM story_articles").fetchone()
    details = [r[0] for r in db.execute("SELECT detail FROM seen_items ORDER BY detail").fetchall()]
    db.close()
    assert stories == (1, 2)
    assert any("kept quiet" in d for d in details), details


def test_a_page_retry_is_given_up_when_its_item_leaves_the_feed(
    tmp_path: Path, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    """Otherwise the due retry would make every later poll read the feed unconditionally (never a 304)."""
    with NewsSite(content_dir=None) as site:
        build_site(site)
        site.fail("/world/titles-only", 503)
        settings = load_config(write_config(tmp_path, site, webhook_sink.url), {"HOOK_SECRET": webhook_secret})
        asyncio.run(run_once(settings))
        db = open_database(settings.database)
        db.execute("UPDATE seen_items SET retry_at = '2000-01-01T00:00:00+00:00' WHERE item_key = 'titles-only'")
        db.conn.commit()
        build_site(site, [s for s in shapes() if s.key != "titles-only"])  # the item is gone from its feed
        asyncio.run(run_once(settings))
        row = db.execute("SELECT retry_at, detail FROM seen_items WHERE item_key = 'titles-only'").fetchone()
        assert row[0] is None and "left the feed" in row[1]
        requests = len(site.requests)
        asyncio.run(run_once(settings))  # now both feeds answer 304
        feeds = [r for r in site.requests[requests:] if r.path.startswith("/wire/")]
        assert len(feeds) == 2 and all("if-none-match" in r.headers for r in feeds)
        db.close()
