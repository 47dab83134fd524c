"""``type: gdelt``: GDELT DOC 2.0 ArtList as a discovery source; its articles go through page fetch, extraction
and dedup like any feed's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from channel_kit import HTML, JSON, alerts, gdelt_artlist, write_config
from fetch_server import FeedServer, Reply, Seen

from monitor.config import SourceConfig, load_config
from monitor.config.sourceurls import poll_url
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink
from monitor.errors import ParseError
from monitor.parse import parse_gdelt
from monitor.store import open_database, source_state


def article(headline: str, *paragraphs: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{headline}</title><meta property="og:title" '
        f'content="{headline}"></head><body><nav><a href="/">Home</a></nav><article><h1>{headline}</h1>{body}'
        "</article><footer>Copyright Harbour Review</footer></body></html>"
    ).encode()


PORT_STORY = article(
    "Quiet weeks at a Mediterranean port",
    "Satellite pictures taken this week show that the Russian navy has moved two frigates away from Tartus.",
    "The naval facility, leased by Moscow since the 1970s, is the only one Russia keeps in the Mediterranean.",
    "Officials in Damascus did not comment on the movements, and local traders said the port was quiet.",
)
OLIVES = article(
    "Olive harvest up in the coastal provinces",
    "Farmers near the coast brought in more olives than last year, helped by a mild and wet spring season.",
    "Prices at the wholesale market fell slightly as a result, traders said on Tuesday afternoon.",
)


def test_query_filters_become_operators_and_the_call_asks_for_json() -> None:
    entry = SourceConfig.model_validate(
        {"name": "G", "type": "gdelt", "query": '"Tartus" navy', "sourcelang": "russian", "timespan": "12h"}
    )
    params = parse_qs(urlsplit(poll_url(entry)).query)
    assert params == {
        "query": ['"Tartus" navy sourcelang:russian'],
        "mode": ["ArtList"],
        "format": ["json"],
        "maxrecords": ["250"],
        "sort": ["DateDesc"],
        "timespan": ["12h"],
    }
    assert poll_url(entry).startswith("https://api.gdeltproject.org/api/v2/doc/doc?")


def test_artlist_json_parses_into_dated_entries() -> None:
    body = gdelt_artlist([("https://a.example/1", "One", "a.example"), ("ftp://x", "Bad", "x")])
    feed = parse_gdelt(body, "https://api.gdeltproject.org/api/v2/doc/doc")
    (entry,) = feed.entries
    assert entry.url == "https://a.example/1" and entry.published is not None and entry.published.hour == 18
    assert feed.problems  # the unusable row is said, not silently dropped
    assert parse_gdelt(b"{}", "u").entries == ()  # nothing matched the query


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"Your search contained a keyword that was too short.\n", "GDELT refused the query: Your search"),
        (b'{"articles": [{"url": "https://a.example/1", "title": "cut', "broken JSON"),
        (b"<html><body>Service unavailable</body></html>", "GDELT refused the query"),
    ],
)
def test_answers_that_are_not_artlist_json_are_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_gdelt(body, "https://api.gdeltproject.org/api/v2/doc/doc")


def test_gdelt_articles_are_fetched_extracted_deduplicated_and_alerted(
    server: FeedServer, tmp_path: Path, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    asked: list[dict[str, list[str]]] = []

    def doc(seen: Seen) -> Reply:
        asked.append(parse_qs(urlsplit(seen.path).query))
        return Reply(
            200,
            JSON,
            gdelt_artlist(
                [
                    (server.url("/world/quiet-port"), "Quiet weeks at a Mediterranean port", "harbour.example"),
                    (
                        server.url("/world/quiet-port?utm_source=gdelt"),
                        "Quiet weeks at a Mediterranean port",
                        "harbour.ex",
                    ),
                    (server.url("/farming/olives"), "Olive harvest up in the coastal provinces", "harbour.example"),
                    (server.url("/gone"), "A page that is gone", "harbour.example"),
                ]
            ),
        )

    server.routes["/api/v2/doc/doc"] = doc
    server.routes["/world/quiet-port"] = Reply(200, HTML, PORT_STORY)
    server.routes["/farming/olives"] = Reply(200, HTML, OLIVES)
    source = {
        "name": "GDELT: Tartus",
        "type": "gdelt",
        "query": "Tartus",
        "sourcecountry": "syria",
        "url": server.url("/api/v2/doc/doc"),
    }
    settings = load_config(write_config(tmp_path, [source], webhook_sink.url), {"HOOK_SECRET": webhook_secret})

    stats = asyncio.run(run_once(settings))

    assert asked[0]["query"] == ["Tartus sourcecountry:syria"] and asked[0]["format"] == ["json"]
    got = [(a["article"]["url"], a["topic"]["id"]) for a in alerts(webhook_sink.received)]
    # The headline alone matches nothing: the alert comes from the fetched page's text.
    assert got == [(server.url("/world/quiet-port"), "russia-syria-bases")], stats.summary()
    db = open_database(settings.database)
    rows = sorted(db.execute("SELECT outcome, text_from FROM seen_items").fetchall())
    db.close()
    assert rows == [("duplicate", "page"), ("new", "headline"), ("new", "page"), ("new", "page")]
    assert {s.path.split("?")[0] for s in server.requests} == {
        "/api/v2/doc/doc",
        "/world/quiet-port",
        "/farming/olives",
        "/gone",
    }


def test_rate_limit_and_refusals_fail_the_source_with_the_reason(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/busy"] = Reply(429, {"Retry-After": "60"}, b"Please limit requests to one every 5 seconds")
    server.routes["/refused"] = Reply(200, {"Content-Type": "text/html"}, b"Timespan is too short.\n")
    huge = b'{"articles": [' + b'{"url": "https://a.example/x", "title": "t"},' * 40_000 + b"{}]}"
    server.routes["/huge"] = Reply(200, JSON, huge)
    sources = [
        {"name": n, "type": "gdelt", "query": "Tartus", "url": server.url(f"/{n}")} for n in ("busy", "refused", "huge")
    ]
    settings = load_config(write_config(tmp_path, sources, server.url("/hook"), max_bytes="1MB"), {"HOOK_SECRET": ""})
    stats = asyncio.run(run_once(settings))
    assert stats.sources_ok == 0
    db = open_database(settings.database)
    states = {s.name: source_state(db, s.id) for s in settings.sources}
    db.close()
    assert states["busy"].last_status == 429 and states["busy"].retry_after_until is not None
    assert "GDELT refused the query: Timespan is too short." in (states["refused"].last_error or "")
    assert "too_large" in (states["huge"].last_error or "")
