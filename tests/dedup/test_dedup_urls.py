"""Canonical URLs: one table of (case, input, expected link) plus identity keys and the anti-spoofing rule."""

from __future__ import annotations

import pytest

from monitor.dedup import canonical_url, normalize_url, site_of, url_key

LINKS = {
    "utm params": ("https://news.example/a/story?utm_source=rss&utm_medium=feed", "https://news.example/a/story"),
    "fbclid and gclid": ("https://news.example/a?id=7&fbclid=IwAR0x&gclid=Cj0", "https://news.example/a?id=7"),
    "mailchimp mc_*": ("https://news.example/a?mc_cid=1&mc_eid=2", "https://news.example/a"),
    "AT internet at_*": (
        "https://www.bbc.example/news/1?at_medium=RSS&at_campaign=KARANGA",
        "https://www.bbc.example/news/1",
    ),
    "case-insensitive names": ("https://news.example/a?UTM_Source=x&FBCLID=y", "https://news.example/a"),
    "fragment": ("https://news.example/a#comments", "https://news.example/a"),
    "default https port": ("https://news.example:443/a", "https://news.example/a"),
    "default http port": ("http://news.example:80/a", "http://news.example/a"),
    "other port kept": ("http://news.example:8080/a", "http://news.example:8080/a"),
    "host lower case": ("https://NEWS.Example/A/B", "https://news.example/A/B"),
    "empty path": ("https://news.example", "https://news.example/"),
    "?amp switch": ("https://news.example/a?amp", "https://news.example/a"),
    "?amp=1": ("https://news.example/a?amp=1&page=2", "https://news.example/a?page=2"),
    "outputType=amp": ("https://news.example/a?outputType=amp", "https://news.example/a"),
    "/amp suffix": ("https://news.example/2025/02/story/amp", "https://news.example/2025/02/story"),
    "/amp/ suffix": ("https://news.example/2025/02/story/amp/", "https://news.example/2025/02/story/"),
    ".amp suffix": ("https://news.example/story.amp", "https://news.example/story"),
    "/amp/ prefix": ("https://news.example/amp/world/story", "https://news.example/world/story"),
    "meaningful params kept in order": ("https://news.example/a?b=2&a=1", "https://news.example/a?b=2&a=1"),
    "bare query key kept": ("https://news.example/article?12345", "https://news.example/article?12345"),
    "encoding kept": ("https://news.example/q?s=a%20b&utm_term=x", "https://news.example/q?s=a%20b"),
    "trailing slash kept in links": ("https://news.example/a/", "https://news.example/a/"),
    "not http": ("mailto:desk@news.example", "mailto:desk@news.example"),
    "garbage": ("http://[::1", "http://[::1"),
}


@pytest.mark.parametrize(("given", "expected"), LINKS.values(), ids=LINKS.keys())
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


SAME_ARTICLE = {
    "scheme": ("http://news.example/a", "https://news.example/a"),
    "www": ("https://www.news.example/a", "https://news.example/a"),
    "mobile host": ("https://m.news.example/a", "https://www.news.example/a"),
    "amp host and suffix": ("https://amp.news.example/a/amp", "https://news.example/a"),
    "trailing slash": ("https://news.example/a/", "https://news.example/a"),
    "query order": ("https://news.example/a?x=1&y=2", "https://news.example/a?y=2&x=1"),
    "trackers": ("https://news.example/a?utm_source=t&ref=tw", "https://news.example/a"),
}


@pytest.mark.parametrize(("first", "second"), SAME_ARTICLE.values(), ids=SAME_ARTICLE.keys())
def test_url_key_folds_variants_of_one_article(first: str, second: str) -> None:
    assert url_key(first) == url_key(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://news.example/a", "https://news.example/b"),
        ("https://news.example/a?id=1", "https://news.example/a?id=2"),
        ("https://news.example/a", "https://other.example/a"),
        ("https://news.example:8080/a", "https://news.example/a"),
    ],
)
def test_url_key_keeps_different_articles_apart(first: str, second: str) -> None:
    assert url_key(first) != url_key(second)


def test_site_of_strips_variant_prefixes_but_not_the_domain() -> None:
    assert site_of("https://www.m.news.example/x") == "news.example"
    assert site_of("https://amp.theguardian.example/x") == "theguardian.example"
    assert site_of("https://m.example/x") == "m.example"  # a bare two-label host is the site itself
    assert site_of("not a url") == ""


def test_canonical_url_uses_the_declared_url_on_the_same_site() -> None:
    fetched = "https://amp.news.example/world/story/amp?utm_source=x"
    assert canonical_url(fetched, "https://www.news.example/world/story#top") == "https://www.news.example/world/story"


def test_canonical_url_refuses_another_sites_url() -> None:
    # a page claiming another outlet's URL would suppress that outlet's alert: the fetched URL wins
    fetched = "https://copycat.example/story?utm_source=x"
    assert canonical_url(fetched, "https://news.example/story") == "https://copycat.example/story"
    assert canonical_url(fetched, "javascript:alert(1)") == "https://copycat.example/story"
    assert canonical_url(fetched, None) == "https://copycat.example/story"
