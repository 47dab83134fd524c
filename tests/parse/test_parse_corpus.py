"""parse_feed on every real feed of the shared corpus (skipped when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.parse import find_feed_links, parse_feed

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "feeds"
FEED_DIRS = ("fastfeedparser-benchmark", "fastfeedparser-integration", "miniflux")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"feed corpus not found at {CORPUS} (needs ../shared)")


def corpus_files() -> list[Path]:
    return sorted(path for folder in FEED_DIRS for path in (CORPUS / folder).glob("*") if path.is_file())


def test_every_corpus_feed_parses_or_raises_parse_error() -> None:
    files = corpus_files()
    assert len(files) == 151
    with_entries = 0
    for path in files:
        try:
            feed = parse_feed(path.read_bytes(), f"https://corpus.example.org/{path.name}")
        except ParseError:
            continue
        if feed.entries:
            with_entries += 1
        for entry in feed.entries:
            assert entry.url.startswith(("http://", "https://")), path.name
            assert entry.published is None or entry.published.tzinfo is not None, path.name
            assert entry.title == " ".join(entry.title.split()), path.name
    assert with_entries >= 148


def test_heise_rss090_gives_sixty_entries() -> None:
    feed = parse_feed((CORPUS / "miniflux" / "rdf_UTF8.xml").read_bytes(), "https://www.heise.de/newsticker/heise.rdf")
    assert len(feed.entries) == 60
    assert feed.title == "heise online News"
    assert all(entry.url.startswith("https://") and entry.title for entry in feed.entries)


def test_windows_1251_and_undeclared_latin1_decode() -> None:
    cyrillic = parse_feed((CORPUS / "miniflux" / "encoding_WINDOWS-1251.xml").read_bytes(), "https://x.example/")
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in entry.title) for entry in cyrillic.entries)
    latin = parse_feed((CORPUS / "miniflux" / "no_encoding_ISO-8859-1.xml").read_bytes(), "https://x.example/")
    assert latin.entries and not any("\ufffd" in entry.title for entry in latin.entries)


def test_html_pages_are_not_feeds_but_announce_theirs() -> None:
    pages = CORPUS / "html-pages"
    for page in sorted(pages.glob("*.html")):
        with pytest.raises(ParseError):
            parse_feed(page.read_bytes(), "https://corpus.example.org/page")
    wiki = (pages / "miniflux_wikipedia.html").read_bytes()
    links = find_feed_links(wiki, "https://fr.wikipedia.org/wiki/Miniflux")
    assert links and all(link.startswith("https://") and "feed=atom" in link for link in links)
