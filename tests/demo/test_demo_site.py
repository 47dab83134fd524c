"""The demo news site: packaged content, feeds with the real origin, validators, add_item and failures."""

from __future__ import annotations

import calendar
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser

from monitor.demo.site import CONTENT_DIR, NewsSite, load_articles

WORLD, REGION = "world/rss.xml", "region/atom.xml"
SEED_NAMES = {
    "en": ("Russia", "Syria"),
    "ru": ("Россия", "Тартус", "Хмеймим", "Сирия"),
    "ar": ("روسيا", "طرطوس", "حميميم", "سوريا"),
}


def test_feeds_parse_with_real_origin(site: NewsSite, client: httpx.Client) -> None:
    for path, version, count in ((WORLD, "rss20", 9), (REGION, "atom10", 3)):
        response = client.get(site.url(path))
        assert response.status_code == 200
        assert "{{ORIGIN}}" not in response.text
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == version
        assert len(parsed.entries) == count
        for entry in parsed.entries:
            assert entry.link.startswith(site.origin + "/")
            assert entry.id == entry.link
            assert entry.published_parsed[:2] == (2025, 2)


def test_content_types(site: NewsSite, client: httpx.Client) -> None:
    expected = {
        WORLD: "application/rss+xml",
        REGION: "application/atom+xml",
        "/": "text/html",
        "static/style.css": "text/css",
        "manifest.json": "application/json",
    }
    for path, ctype in expected.items():
        assert client.get(site.url(path)).headers["content-type"].split(";")[0] == ctype, path


def test_every_article_is_a_complete_news_page(site: NewsSite, client: httpx.Client) -> None:
    articles = load_articles()
    assert sorted(a.kind for a in articles).count("seed") == 6
    assert len(articles) == 12
    for article in articles:
        url = site.url(article.path)
        tree = LexborHTMLParser(client.get(url).text)
        root = tree.css_first("html")
        assert root is not None and root.attributes["lang"] == article.lang
        canonical = tree.css_first('link[rel="canonical"]')
        assert canonical is not None and canonical.attributes["href"] == url
        h1 = tree.css_first("article h1")
        assert h1 is not None and h1.text() == article.headline
        time_node = tree.css_first("article time")
        assert time_node is not None
        assert datetime.fromisoformat(str(time_node.attributes["datetime"])) == article.published
        assert tree.css_first("aside a") is not None and tree.css_first("footer") is not None
        ld_node = tree.css_first('script[type="application/ld+json"]')
        assert ld_node is not None
        ld = json.loads(ld_node.text())
        assert (ld["@type"], ld["headline"]) == ("NewsArticle", article.headline)
        assert ld["author"][0]["name"] == article.author
        body = " ".join(p.text() for p in tree.css("article .story-body p"))
        assert 150 <= len(body.split()) <= 400, article.path
        if article.kind == "seed":
            assert all(name in body for name in SEED_NAMES.get(article.lang, SEED_NAMES["en"])), article.path


def test_traps_do_not_carry_the_story(site: NewsSite, client: httpx.Client) -> None:
    story = re.compile(r"Tartus|Tartous|[HK]h?meimim|Хмеймим|Тартус|طرطوس|حميميم")
    for article in (a for a in load_articles() if a.kind == "trap"):
        page = client.get(site.url(article.path)).text
        assert not story.search(page), article.path
        has_russia, has_syria = "Russia" in page, "Syria" in page
        assert not (has_russia and has_syria), f"{article.path} mentions both Russia and Syria"


def test_if_none_match_and_if_modified_since_answer_304(site: NewsSite, client: httpx.Client) -> None:
    first = client.get(site.url(WORLD))
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get(site.url(WORLD), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(site.url(WORLD), headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(site.url(WORLD), headers={"If-Modified-Since": modified}).status_code == 304
    earlier = "Mon, 03 Feb 2025 00:00:00 GMT"
    assert client.get(site.url(WORLD), headers={"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match wins: a stale tag means 200 even when the date alone would say 304.
    both = client.get(site.url(WORLD), headers={"If-None-Match": '"stale"', "If-Modified-Since": modified})
    assert both.status_code == 200


def test_head_sends_headers_only(site: NewsSite, client: httpx.Client) -> None:
    response = client.head(site.url(REGION))
    assert response.status_code == 200 and response.content == b""
    assert response.headers["etag"]


@pytest.mark.parametrize("feed", [WORLD, REGION])
def test_add_item_publishes_one_new_entry(site: NewsSite, client: httpx.Client, feed: str) -> None:
    before = client.get(site.url(feed))
    old_count = len(feedparser.parse(before.content).entries)
    published = datetime(2025, 2, 20, 9, 0, tzinfo=UTC)
    page = "<!DOCTYPE html><html lang=en><link rel=canonical href='{{ORIGIN}}/x'><h1>Fresh & new</h1></html>"
    url = site.add_item(
        feed,
        title="Fresh & new <report>",
        url_path="/world/2025/02/20/fresh.html",
        html=page,
        published=published,
        summary="A new one",
    )
    assert url == site.url("world/2025/02/20/fresh.html")

    after = client.get(site.url(feed), headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    modified = [parsedate_to_datetime(r.headers["last-modified"]) for r in (before, after)]
    assert modified[1] > modified[0]
    parsed = feedparser.parse(after.content)
    assert not parsed.bozo
    assert len(parsed.entries) == old_count + 1
    top = parsed.entries[0]
    assert (top.title, top.link, top.id) == ("Fresh & new <report>", url, url)
    assert datetime.fromtimestamp(calendar.timegm(top.published_parsed), UTC) == published
    assert parsed.feed.updated_parsed[:4] == (2025, 2, 20, 9)
    served = client.get(url)
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/html")
    assert f"href='{site.origin}/x'" in served.text


def test_add_item_rejects_unknown_or_non_feed(site: NewsSite) -> None:
    with pytest.raises(KeyError):
        site.add_item("nope.xml", title="t", url_path="/a.html", html="", published=datetime.now(UTC))
    with pytest.raises(ValueError, match="not an RSS or Atom"):
        site.add_item("static/style.css", title="t", url_path="/b.html", html="", published=datetime.now(UTC))
    assert "/a.html" not in site.paths() and "/b.html" not in site.paths()


def test_add_file_overrides_and_adds(site: NewsSite, client: httpx.Client) -> None:
    url = site.add_file("corpus/feed.xml", b"<rss version='2.0'><channel><link>{{ORIGIN}}/</link></channel></rss>")
    response = client.get(url)
    assert response.headers["content-type"].startswith("application/rss+xml")
    assert response.text == f"<rss version='2.0'><channel><link>{site.origin}/</link></channel></rss>"
    site.add_file(WORLD, "plain", "text/plain")
    assert client.get(site.url(WORLD)).text == "plain"
    assert client.get(site.url("missing.html")).status_code == 404


def test_fail_and_recover_and_request_log(site: NewsSite, client: httpx.Client) -> None:
    site.fail(REGION, 503, {"Retry-After": "120"})
    failed = client.get(site.url(REGION) + "?x=1", headers={"X-Probe": "yes"})
    assert failed.status_code == 503 and failed.headers["retry-after"] == "120"
    site.recover(REGION)
    assert client.get(site.url(REGION)).status_code == 200
    log = [r for r in site.requests if r.path == "/" + REGION]
    assert [r.method for r in log] == ["GET", "GET"]
    assert log[0].query == "x=1" and log[0].headers["x-probe"] == "yes"
    assert site.hits(REGION) == 2


def test_close_releases_the_port_and_never_started_site_closes() -> None:
    NewsSite(content_dir=None).close()
    with NewsSite() as site:
        url = site.url(WORLD)
    with pytest.raises(httpx.ConnectError), httpx.Client(timeout=2, trust_env=False) as http:
        http.get(url)


def test_manifest_matches_the_files() -> None:
    for article in load_articles():
        assert (CONTENT_DIR / article.path).is_file(), article.path
