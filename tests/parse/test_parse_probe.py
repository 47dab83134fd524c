"""``monitor check --probe`` says when a source's charset or dates look wrong (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.demo.site import NewsSite
from monitor.models import FeedEntry, ParsedFeed
from monitor.pipeline.sources import feed_problems

CYRILLIC = "\u041d\u0430\u0432\u043e\u0434\u043d\u0435\u043d\u0438\u0435 \u0432 \u0421\u0438\u0431\u0438\u0440\u0438"


def rss(title: str, date: str, head: str = "") -> str:
    item = f"<item><title>{title}</title><link>https://e.example/1</link><pubDate>{date}</pubDate></item>"
    return f'{head}<rss version="2.0"><channel><title>T</title>{item}</channel></rss>'


def test_probe_warns_about_a_lying_charset_and_unreadable_dates(tmp_path: Path, news_site: NewsSite) -> None:
    lying = rss(CYRILLIC, "Tue, 03 Jun 2025 09:00:00 GMT", head='<?xml version="1.0" encoding="utf-8"?>')
    news_site.add_file("lying.xml", lying.encode("windows-1251"), "application/rss+xml")
    news_site.add_file("header.xml", rss(CYRILLIC, "someday").encode("koi8-r"), "text/xml; charset=koi8-r")
    config = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True},
        "sources": [
            {"name": "Lying", "url": news_site.url("lying.xml")},
            {"name": "Header", "url": news_site.url("header.xml")},
        ],
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "-c", str(path), "--probe"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert "  ok   Lying: 1 entries" in lines
    assert any(line.startswith("  warn Lying: the XML declaration says utf-8 but") for line in lines), lines
    assert "  warn Header: 1 of 1 entry dates unreadable, e.g. 'someday'" in lines
    assert not any(line.startswith("  warn Header: the") for line in lines)  # its charset was right


def test_entries_dated_in_the_future_look_like_a_wrong_zone() -> None:
    now = datetime(2025, 6, 3, 12, tzinfo=UTC)
    entries = (
        FeedEntry(url="https://e.example/1", published=now + timedelta(hours=3)),
        FeedEntry(url="https://e.example/2", published=now - timedelta(hours=1)),
    )
    feed = ParsedFeed(title="T", entries=entries, problems=("earlier note",))
    assert feed_problems(feed, now) == (
        "earlier note",
        "1 of 2 entries dated up to 3.0 h in the future (a wrong time zone?)",
    )
    assert feed_problems(ParsedFeed(title="T", entries=entries[1:]), now) == ()
