"""Unit tests of the metadata value helpers and the byte decoder."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.extract import extract
from monitor.extract.decode import declared_charset, decode_html
from monitor.extract.values import (
    clean_title,
    normalise_language,
    parse_date,
    parse_printed_date,
    resolve_url,
    split_authors,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2031-03-02T07:15:00+01:00", datetime(2031, 3, 2, 7, 15, tzinfo=timezone(timedelta(hours=1)))),
        ("2031-03-02T07:15:00Z", datetime(2031, 3, 2, 7, 15, tzinfo=UTC)),
        ("2031-03-02 07:15:00", datetime(2031, 3, 2, 7, 15, tzinfo=UTC)),
        ("2031-03-02", datetime(2031, 3, 2, tzinfo=UTC)),
        ("Sun, 02 Mar 2031 07:15:00 GMT", datetime(2031, 3, 2, 7, 15, tzinfo=UTC)),
        ("1900000000", datetime(2030, 3, 17, 17, 46, 40, tzinfo=UTC)),
        ("March 2", None),  # no year: refuse rather than guess from today's date
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
        ("0000-00-00T00:00:00", None),
    ],
)
def test_parse_date(raw: object, expected: datetime | None) -> None:
    assert parse_date(raw) == expected


def test_parse_date_is_always_aware() -> None:
    parsed = parse_date("2030-01-01T10:00:00")
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Cranes return to the harbour | The Ledger", "The Ledger", "Cranes return to the harbour"),
        ("The Ledger - Cranes return to the harbour", "The Ledger", "Cranes return to the harbour"),
        ("Cranes return to the harbour after ten years – Ledger", None, "Cranes return to the harbour after ten years"),
        (
            "Mugabe - the final days of a long rule - in pictures",
            None,
            "Mugabe - the final days of a long rule - in pictures",
        ),
        ("Just a plain headline", "Site", "Just a plain headline"),
    ],
)
def test_clean_title(title: str, site: str | None, expected: str) -> None:
    assert clean_title(title, site) == expected


def test_split_authors_cleans_and_deduplicates() -> None:
    raw = ["By Mira Calloway and Tobias Wren", "mira calloway", "https://ledger.example/staff/mira", "@ledger"]
    assert split_authors(raw) == ("Mira Calloway", "Tobias Wren")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("en-US", "en"), ("pt_BR", "pt"), ("RU", "ru"), ("und", None), ("", None), ("english!", None), (None, None)],
)
def test_normalise_language(raw: object, expected: str | None) -> None:
    assert normalise_language(raw) == expected


def test_resolve_url_only_keeps_http() -> None:
    assert resolve_url("/a/b", "https://x.example/c/d") == "https://x.example/a/b"
    assert resolve_url("javascript:alert(1)", "https://x.example/") is None
    assert resolve_url("http://[::1", None) is None
    assert resolve_url("  ", "https://x.example/") is None


def test_declared_charset_sources() -> None:
    assert declared_charset(codecs.BOM_UTF8 + b"<p>x") == "utf-8"
    assert declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">') == "cp1251"
    assert declared_charset(b"<meta charset='ISO-8859-1'>") == "cp1252"  # as browsers do
    assert declared_charset(b"<meta charset='bogus'>") is None
    assert declared_charset(b"<p>no declaration</p>") is None


def test_decode_follows_the_declaration() -> None:
    raw = '<meta charset="koi8-r"><p>Новости</p>'.encode("koi8-r")
    assert "Новости" in decode_html(raw)
    assert decode_html(codecs.BOM_UTF8 + "é".encode()) == "é"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dan Goodin - Apr 16, 2015 8:02 pm UTC", ("Dan Goodin",)),
        ("Steven Musil January 18, 2017 11:00 PM PST @stevenmusil", ("Steven Musil",)),
        ("By Brenda Goodman, MA", ("Brenda Goodman",)),
        ("肖春芳", ("肖春芳",)),
        ("Par Sébastien Farcis", ("Sébastien Farcis",)),
        ("2019-04-28", ()),
    ],
)
def test_split_authors_cuts_dates_handles_and_credentials(raw: str, expected: tuple[str, ...]) -> None:
    assert split_authors([raw]) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("posted on April 21, 2015, at 11:29 a.m.", datetime(2015, 4, 21, 11, 29, tzinfo=UTC)),
        ("January 18, 2017 11:00 PM PST", datetime(2017, 1, 18, 23, 0, tzinfo=timezone(timedelta(hours=-8)))),
        ("Sunday, Feb 1, 2015 11:57 AM UTC", datetime(2015, 2, 1, 11, 57, tzinfo=UTC)),
        ("March 18 at 12:22 PM", None),  # no year: never today's
        ("© 2015 Salon Media Group", None),  # a year alone is not a date
        ("Updated 5:03 PM ET, Mon February 1, 2016", None),  # an update, not the publication
        ("5 min read", None),
    ],
)
def test_parse_printed_date(raw: str, expected: datetime | None) -> None:
    assert parse_printed_date(raw) == expected


def test_printed_date_is_read_inside_the_article_only() -> None:
    prose = "<p>A paragraph of the story, long enough to be read as its body text by the extractor.</p>" * 4
    page = (
        '<html><body><div class="header-date">Saturday, December 5, 2026</div><article><h1>Headline</h1>'
        '<span class="post-date">posted on April 21, 2015, at 11:29 a.m.</span>' + prose + "</article></body></html>"
    )
    assert extract(page).published == datetime(2015, 4, 21, 11, 29, tzinfo=UTC)
    # Outside an article or main element, a printed date may be the site's "today": none is taken.
    assert extract(page.replace("article>", "div>")).published is None
