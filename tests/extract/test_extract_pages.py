"""Golden-file tests of extract() on our own invented pages in tests/fixtures/pages/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.extract import extract

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
ARTICLES = ["en_graph", "ru_article", "ar_article", "no_meta", "boilerplate", "en_shapes"]


def _page(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


@pytest.mark.parametrize("name", ARTICLES)
def test_body_matches_golden_text(name: str) -> None:
    expected = (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8").strip()
    article = extract(_page(name), url="https://news.example/section/story")
    assert article.skip_reason is None
    assert article.text == expected


def test_text_readers_see_inside_the_body_is_kept() -> None:
    """Captions, list items, quotes, subheads and table cells inside the article are its text; credits and
    a related-stories list after it are not."""
    paragraphs = extract(_page("en_shapes")).text.split("\n\n")
    for kept in (
        "Dredgers work at the harbour mouth on Tuesday, ahead of the reopening.",
        "Night arrivals are allowed again, subject to tide tables.",
        "“We have waited a long time for this, and the quay is ready for business,” said harbour master Elise Brandt.",
        "What changes for shippers",
        "Environmental concerns",
        "2023 412",
    ):
        assert kept in paragraphs
    text = "\n".join(paragraphs)
    for leak in ("Photo: Ledger staff", "Another story about ports", "Related", "Home"):
        assert leak not in text


def test_jsonld_graph_metadata() -> None:
    article = extract(_page("en_graph"), url="https://ledger.example/news/x?utm_source=feed")
    assert article.title == "Harbour cranes return to Port Elmsley after a decade"
    assert article.authors == ("Mira Calloway", "Tobias Wren")
    # JSON-LD (07:15+01:00) wins over article:published_time (06:00Z).
    assert article.published == datetime(2031, 3, 2, 7, 15, tzinfo=timezone(timedelta(hours=1)))
    assert article.modified == datetime(2031, 3, 2, 9, 40, tzinfo=timezone(timedelta(hours=1)))
    assert article.language == "en"
    assert article.canonical_url == "https://ledger.example/news/2031/03/harbour-cranes-return"
    assert article.site_name == "The Coastal Ledger"
    assert article.section == "Business"
    assert article.image == "https://ledger.example/img/cranes.jpg"
    assert article.description == "Two gantry cranes arrived at Port Elmsley on Sunday."
    assert article.paywalled is False
    assert article.url == "https://ledger.example/news/x?utm_source=feed"


def test_jsonld_graph_page_keeps_subheads_and_drops_boilerplate() -> None:
    text = extract(_page("en_graph")).text
    assert "\n\nA bet on short-sea shipping\n\n" in text
    for leak in (
        "cookies",
        "Share on Mastodon",
        "first crane is lifted",
        "morning briefing",
        "Lighthouse keepers",
        "grandfather",
        "All rights reserved",
        "By Mira",
        "Weather",
    ):
        assert leak not in text


def test_russian_page_in_windows_1251() -> None:
    raw = _page("ru_article")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    article = extract(raw)
    assert article.title == "В Заозёрске открыли новый мост через реку Вельму"
    assert article.authors == ("Анна Сорокина",)
    assert article.language == "ru"
    assert article.site_name == "Вестник Приозерья"
    assert article.section == "Общество"
    assert article.canonical_url == "https://vestnik.example/news/most-velma"
    assert article.published == datetime(2030, 9, 14, 7, 30, tzinfo=UTC)
    assert "Самое читаемое" not in article.text and "ВКонтакте" not in article.text


def test_arabic_page_with_paywall_flag() -> None:
    article = extract(_page("ar_article"))
    assert article.title == "افتتاح مكتبة عامة جديدة في مدينة الواحة"
    assert article.authors == ("ليلى حداد",)
    assert article.language == "ar"
    assert article.paywalled is True
    # A naive JSON-LD date is taken as UTC.
    assert article.published == datetime(2030, 5, 20, 9, 0, tzinfo=UTC)
    assert article.site_name == "صحيفة النخيل"
    assert "أخبار ذات صلة" not in article.text and "تعليق" not in article.text


def test_page_without_metadata_uses_h1_and_detects_language() -> None:
    article = extract(_page("no_meta"))
    assert article.title == "Volunteers count migrating toads on the old mill road"
    assert article.language == "en"
    assert article.published is None and article.authors == () and article.canonical_url is None
    assert "Privacy" not in article.text and "Archive" not in article.text


def test_parsely_metadata_and_div_soup_boilerplate() -> None:
    article = extract(_page("boilerplate"))
    assert article.title == "Orchard growers try frost fans as spring turns colder"
    assert article.authors == ("Owen Marsh",)
    assert article.published == datetime(2030, 4, 11, 5, 20, tzinfo=UTC)
    for leak in (
        "Advertisement",
        "Subscribe",
        "WhatsApp",
        "Owen Marsh covers",
        "Sheep shearing",
        "neighbours still talk",
        "Smudge pots",
        "weekly farming newsletter",
        "Tractor parade",
        "Hillside Media",
        "Home",
    ):
        assert leak not in article.text


def test_front_page_gives_no_text_and_a_reason() -> None:
    article = extract(_page("front_page"))
    assert article.text == ""
    assert article.skip_reason is not None and article.skip_reason.startswith("no article body")
    assert article.site_name == "The Valley Courier"


def test_front_page_with_long_teasers_is_still_a_listing() -> None:
    html = _page("front_page").decode("utf-8")
    longer = " The details were announced on Monday, and officials promised further updates this week."
    html = re.sub(r' <a href="/story/\d+">Read more</a>', longer, html)
    article = extract(html)
    assert article.text == ""
    assert article.skip_reason is not None and "teasers" in article.skip_reason


def test_article_declared_by_json_ld_body_is_used_when_markup_has_none() -> None:
    body = "First paragraph of the wire story about the harbour.\n\n" + "More detail, " * 40
    html = (
        '<html><head><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Wire story", "articleBody": '
        + repr(body).replace("'", '"')
        + "}</script></head><body><div id=app></div></body></html>"
    )
    article = extract(html)
    assert article.title == "Wire story"
    assert article.text.startswith("First paragraph of the wire story about the harbour.\n\nMore detail,")


_SENTENCE = "The ferry committee met on Thursday, and members argued for hours about fares and the timetable. "


def test_text_in_bare_divs_split_by_br_is_found() -> None:
    runs = "<br><br>".join([_SENTENCE * 2] * 5)
    html = f"<html><body><div class=menu><a href=/>Home</a> <a href=/n>News</a></div><div>{runs}</div></body></html>"
    article = extract(html)
    assert article.skip_reason is None
    assert article.text.split("\n\n") == [(_SENTENCE * 2).strip()] * 5


def test_text_in_one_div_per_paragraph_is_found() -> None:
    blocks = "".join(f"<div>{_SENTENCE}{n}</div>" for n in range(6))
    article = extract(f"<html><body><div class=story>{blocks}</div><div class=footer>(c) Paper</div></body></html>")
    assert article.text.split("\n\n") == [f"{_SENTENCE}{n}" for n in range(6)]


def test_bare_div_prose_in_a_widget_named_wrapper_is_found() -> None:
    # Blog templates put the post inside a "widget": with no <p> on the page, the wrapper that holds most
    # of the bare-div prose is the article's container; a sidebar widget holding less stays out.
    post = "".join(f"<div><span>{_SENTENCE}{n}</span></div><div><span> </span></div>" for n in range(3))
    sidebar = "<div class='widget Label'><div>Archive of ferry stories, timetables and fares by month</div></div>"
    page = f"<div class='widget Blog'><h1>Fares</h1><div class=post-body>{post}</div></div>{sidebar}"
    html = f"<html><body>{page}</body></html>"
    article = extract(html)
    assert article.skip_reason is None
    assert article.text.split("\n\n") == [f"{_SENTENCE}{n}" for n in range(3)]


def test_strong_chrome_keeps_bare_div_prose_out_even_when_it_holds_most() -> None:
    post = "".join(f"<div>{_SENTENCE}{n}</div>" for n in range(3))
    html = f"<html><body><div><div>{_SENTENCE}</div></div><div role=complementary>{post}</div></body></html>"
    assert "0" not in extract(html, brief_ok=True).text


def test_camel_case_chrome_names_and_inline_datelines() -> None:
    paragraphs = "".join(f"<p><span class=dateline>PORTVILLE —</span> {_SENTENCE}{n}</p>" for n in range(4))
    html = (
        "<html><body><div class=articleBody>"
        '<div id="contentBreadcrumbs"><a href="/">Home</a> &gt; <a href="/x">Ferries and harbours</a></div>'
        f'{paragraphs}<div class="relatedStories"><p>{_SENTENCE}Related teaser text that must go.</p></div>'
        "</div></body></html>"
    )
    text = extract(html).text
    assert text.startswith("PORTVILLE — The ferry committee")
    assert "Ferries and harbours" not in text and "Related teaser" not in text


def test_read_more_link_paragraphs_do_not_leak_into_text() -> None:
    prose = "".join(f"<p>{_SENTENCE}{n}</p>" for n in range(5))
    teaser = '<p>Read more: <a href="/other">Harbour strike ends after three weeks of talks</a></p>'
    article = extract(f"<html><body><article>{prose[:200]}{teaser}{prose[200:]}</article></body></html>")
    assert "Harbour strike" not in article.text
    assert article.text.count("ferry committee") == 5


def test_pathological_json_ld_keeps_the_body() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    prose = "".join(f"<p>{_SENTENCE}{n}</p>" for n in range(5))
    html = f'<html><head><script type="application/ld+json">{deep}</script><title>Ferries</title></head>'
    article = extract(html + f"<body><article>{prose}</article></body></html>")
    assert article.skip_reason is None
    assert article.title == "Ferries"
    assert article.text.count("ferry committee") == 5


def test_link_heavy_sibling_paragraph_is_not_the_whole_body() -> None:
    # A lone <p> chosen as a sibling block must survive its own link test without crashing.
    body = "".join(f"<p>{_SENTENCE}{n} <a href='/{n}'>more</a></p>" for n in range(6))
    article = extract(f"<html><body><div class=story>{body}</div><p><a href='/x'>{_SENTENCE}</a></p></body></html>")
    assert article.text.count("ferry committee") >= 6


@pytest.mark.parametrize(
    ("before", "after"), [("//<![CDATA[\n", "\n//]]>"), ("<![CDATA[", "]]>"), ("<!--", "-->"), ("", "")]
)
def test_json_ld_wrapped_in_cdata_or_a_comment_is_read(before: str, after: str) -> None:
    data = '{"@type": "NewsArticle", "headline": "Ferry fares rise", "datePublished": "2024-05-06T08:00:00Z"}'
    prose = "".join(f"<p>{_SENTENCE}{n}</p>" for n in range(4))
    script = f"<script type='application/ld+json'>{before}{data}{after}</script>"
    html = f"<html><head>{script}</head><body>{prose}</body></html>"
    article = extract(html)
    assert article.title == "Ferry fares rise"
    assert article.published == datetime(2024, 5, 6, 8, tzinfo=UTC)
