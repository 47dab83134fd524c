"""extract() must survive any input: bad bytes, odd encodings, broken markup, huge pages."""

from __future__ import annotations

import codecs
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.extract import extract
from monitor.extract.decode import decode_html
from monitor.models import Article

PARAGRAPH = (
    "<p>The harbour committee met again on Thursday, and members argued for hours about the "
    "dredging plan, its costs and the mussel beds.</p>\n"
)
ARTICLE = f"<html><head><title>Committee meets</title></head><body><article>{PARAGRAPH * 6}</article></body></html>"


def test_empty_inputs_give_empty_articles_with_reason() -> None:
    for value in ("", b"", "   \n", b"\x00\x00", "<html></html>"):
        article = extract(value)
        assert isinstance(article, Article)
        assert article.text == ""
        assert article.skip_reason


def test_invalid_utf8_bytes_are_replaced_not_fatal() -> None:
    raw = ARTICLE.encode("utf-8").replace(b"Thursday", b"Thurs\xff\xfeday", 1)
    article = extract(raw)
    assert article.skip_reason is None
    assert "Thurs\ufffd\ufffdday" in article.text
    assert article.title == "Committee meets"


def test_mislabelled_charset_falls_back_to_utf8() -> None:
    page = ARTICLE.replace("<head>", '<head><meta charset="utf-16">').replace("mussel", "müssel")
    assert "müssel beds" in extract(page.encode("utf-8")).text


def test_utf16_with_bom_and_unknown_charset_label() -> None:
    page = ARTICLE.replace("mussel", "Мидии")
    assert "Мидии" in extract(codecs.BOM_UTF16_LE + page.encode("utf-16-le")).text
    labelled = page.replace("<head>", '<head><meta charset="x-no-such-charset">')
    assert "Мидии" in extract(labelled.encode("utf-8")).text


def test_undeclared_legacy_encoding_is_detected() -> None:
    text = "Жители правого берега встретили открытие моста с радостью, хотя сомневаются в сроках. " * 12
    raw = f"<html><body><article><p>{text}</p></article></body></html>".encode("cp1251")
    assert decode_html(raw).count("Жители") == 12


def test_undeclared_legacy_page_given_as_bytes_is_read_in_its_encoding() -> None:
    # UTF-8 bytes go to the parser undecoded; a page whose article then shows U+FFFD is decoded and read again.
    text = "Жители правого берега встретили открытие моста с радостью, хотя сомневаются в сроках. " * 6
    page = f"<html><head><title>Мост открыт</title></head><body><article><p>{text}</p></article></body></html>"
    article = extract(page.encode("cp1251"))
    assert article.title == "Мост открыт"
    assert article.text.count("Жители") == 6
    assert "\ufffd" not in article.text


def test_invalid_bytes_outside_the_article_change_nothing() -> None:
    raw = ARTICLE.encode("utf-8").replace(b"</head>", b"<script>var s = '\xff\xfe';</script></head>", 1)
    from_bytes, from_text = extract(raw), extract(decode_html(raw))
    assert from_bytes == from_text
    assert from_bytes.skip_reason is None


def test_broken_markup_still_yields_the_prose() -> None:
    broken = "<html><body><div><p>" + PARAGRAPH.replace("</p>", "") * 4 + "<table><tr><td></div></span></b>"
    article = extract(broken)
    assert "dredging plan" in article.text


def test_deep_nesting_does_not_recurse_to_death() -> None:
    depth = 5000
    page = "<div>" * depth + PARAGRAPH * 4 + "</div>" * depth
    assert "mussel beds" in extract(page).text


def test_twenty_megabyte_page_in_reasonable_time() -> None:
    nav = "<nav>" + '<a href="/x">Section</a>' * 2000 + "</nav>"
    body = PARAGRAPH * (20_000_000 // len(PARAGRAPH))
    page = f"<html><body>{nav}<article>{body}</article></body></html>".encode()
    assert len(page) > 19_000_000
    start = time.perf_counter()
    article = extract(page)
    elapsed = time.perf_counter() - start
    assert elapsed < 20
    assert article.skip_reason is None
    assert article.text.count("dredging plan") == body.count("dredging plan")
    assert "Section" not in article.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    article = extract(data)
    assert isinstance(article, Article)
    assert article.text or article.skip_reason


_FRAGMENTS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div class='comment'>",
        "</div>",
        "<article>",
        "<script>",
        "</script>",
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": ',
        "}",
        "]",
        "[",
        '<meta property="article:published_time" content="',
        '">',
        "<html lang='",
        "<br>",
        "<table><td>",
        "<h2><a href='/x'>",
        "</a></h2>",
        "<meta charset='",
        "\x00",
        "\ufeff",
        "&amp;",
        "&#xD800;",
        "<!--",
        "-->",
        "<![CDATA[",
        "2024-13-45T99:99",
        "0000000000",
        "<title>",
        "</title>",
        "<svg><p>",
        "<time datetime='",
        "<link rel=canonical href='",
        "javascript:alert(1)",
        "http://[::1",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=60)), max_size=60), st.booleans())
def test_arbitrary_html_like_text_never_raises(parts: list[str], as_bytes: bool) -> None:
    page = "".join(parts)
    article = extract(page.encode("utf-8", "surrogatepass") if as_bytes else page, url="https://x.example/a")
    assert isinstance(article, Article)
    assert article.published is None or article.published.tzinfo is not None


def test_hundred_thousand_levels_of_nesting_are_flattened_fast() -> None:
    depth = 100_000
    page = "<html><body>" + "<div>" * depth + PARAGRAPH * 4 + "</div>" * depth + "</body></html>"
    extract(ARTICLE)  # language model and regex caches loaded outside the timing
    start = time.perf_counter()
    article = extract(page)
    # Unguarded, Lexbor spends about ten seconds on this page (quadratic in the depth).
    assert time.perf_counter() - start < 2
    assert "mussel beds" in article.text


def test_unclosed_nesting_and_tag_floods_are_fast() -> None:
    pages = [
        "<body>" + "<section class=x>" * 100_000 + PARAGRAPH * 4,
        "<a" * 500_000,  # no ">" anywhere: the tag scan must not rescan the page at every "<"
        "<ul><li>" * 50_000 + PARAGRAPH,
    ]
    for page in pages:
        start = time.perf_counter()
        assert isinstance(extract(page), Article)
        assert time.perf_counter() - start < 2


def test_nesting_guard_keeps_text_and_shallow_pages_untouched() -> None:
    from monitor.extract.guard import MAX_DEPTH, flatten_nesting, nesting_depth

    assert flatten_nesting(ARTICLE) is ARTICLE
    deep = "<div>" * 30_000 + "core text" + "</div>" * 30_000
    flat = flatten_nesting(deep)
    assert "core text" in flat and nesting_depth(flat) == MAX_DEPTH
    # Void and self-closing elements never count as a level.
    assert nesting_depth("<div><br><img src=x><p>a<p>b<span/></div>") == 1


@pytest.mark.parametrize(
    "page",
    [
        ARTICLE,
        "<div>" * 5_000 + "x" + "</div>" * 5_000,
        "<div><br><img src=x><p>a<p>b<span/></div>",
        "<li><ul>" * 4_000,
        "</x>" * 100 + "<div>" * 50,
        "<div><br>" * 4_000,
        "<br-x>" * 4_000,
        "<table>" + "<tr><td>1</td><td><a href=/x>2</a></td></tr>" * 5_000 + "</table>",
    ],
    ids=["article", "deep", "voids", "lists", "stray-ends", "div-br", "custom", "table"],
)
def test_quick_depth_bound_is_never_below_the_exact_scan(page: str) -> None:
    from monitor.extract.guard import depth_bound, nesting_depth

    assert depth_bound(page.encode()) >= nesting_depth(page)


def test_pages_over_the_size_cap_are_skipped_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import monitor.extract as extract_module

    monkeypatch.setattr(extract_module, "MAX_PAGE_CHARS", 10_000)
    for page in (ARTICLE * 20, (ARTICLE * 20).encode()):
        article = extract(page)
        assert article.text == "" and article.skip_reason is not None
        assert article.skip_reason.startswith("page too large")
    assert extract(ARTICLE).skip_reason is None
