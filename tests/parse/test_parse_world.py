"""Feeds as publishers write them: escaped links, HTML entities, charsets only in HTTP, XHTML text (issue 18).

Each feed here is written for the test (no publisher's text); the corpus-wide checks are in
test_feedparser_suite.py, which needs ../shared.
"""

from __future__ import annotations

import pytest

from monitor.models import ParsedFeed
from monitor.parse import parse_feed
from monitor.parse.charset import http_charset, to_utf8
from monitor.parse.entities import repair_ampersands

URL = "https://news.example.org/feed"


def rss(items: str, head: str = "", channel: str = "<title>Example Desk</title>") -> str:
    return f'{head}<rss version="2.0"><channel>{channel}{items}</channel></rss>'


def item(title: str, link: str, description: str = "", extra: str = "") -> str:
    return f"<item><title>{title}</title><link>{link}</link><description>{description}</description>{extra}</item>"


def parse(text: str | bytes, content_type: str = "") -> ParsedFeed:
    body = text.encode("utf-8") if isinstance(text, str) else text
    return parse_feed(body, URL, content_type=content_type)


# --- 1. links --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("https://e.example/a?id=1&amp;section=world&amp;param=2", "https://e.example/a?id=1&section=world&param=2"),
        ("https://e.example/map?lang=en&amp;region=eu", "https://e.example/map?lang=en&region=eu"),
        ("https://e.example/q?a=1&amp;copy=2&amp;not=3&amp;times=4", "https://e.example/q?a=1&copy=2&not=3&times=4"),
        (
            "https://e.example/q?a=1&amp;curren=2&amp;quot=3&amp;lt=4&amp;gt=5",
            "https://e.example/q?a=1&curren=2&quot=3&lt=4&gt=5",
        ),
        ("https://e.example/twice?a=1&amp;amp;b=2", "https://e.example/twice?a=1&b=2"),  # escaped twice by a CMS
    ],
)
def test_escaped_links_are_read_as_written(written: str, meant: str) -> None:
    feed = parse(rss(item("Story", written)))
    assert feed.entries[0].url == meant


def test_one_raw_ampersand_does_not_garble_another_items_link() -> None:
    feed = parse(
        rss(item("One", "https://e.example/s?id=123&cat=3") + item("Two", "https://e.example/s?id=124&amp;cat=4"))
    )
    assert [entry.url for entry in feed.entries] == [
        "https://e.example/s?id=123&cat=3",
        "https://e.example/s?id=124&cat=4",
    ]


# --- 2. entities -----------------------------------------------------------------------------------------------


def test_undeclared_html_entities_do_not_cut_titles_or_summaries() -> None:
    feed = parse(
        rss(
            item(
                "Caf&eacute; owner arrested&nbsp;&mdash; police say",
                "https://e.example/cafe",
                "The owner of the caf&eacute; in the old town &hellip; was released.",
            ),
            channel="<title>Harbour &amp; Hills &ndash; Desk</title>",
        )
    )
    entry = feed.entries[0]
    assert feed.title == "Harbour & Hills \u2013 Desk"
    assert entry.title == "Caf\u00e9 owner arrested \u2014 police say"
    assert entry.summary == "The owner of the caf\u00e9 in the old town \u2026 was released."


def test_entities_inside_cdata_are_left_to_the_html() -> None:
    summary = "<![CDATA[<p>Tom &amp; Jerry &eacute;</p>]]>"
    body = rss(item("<![CDATA[Q&A: caf&eacute;s]]>", "https://e.example/qa", summary))
    entry = parse(body).entries[0]
    assert entry.title == "Q&A: caf\u00e9s"
    assert entry.summary == "<p>Tom &amp; Jerry &eacute;</p>"  # CDATA is text already: kept byte for byte


def test_repair_leaves_well_formed_documents_and_json_alone() -> None:
    clean = b"<rss><channel><title>A &amp; B &#233; &lt;</title></channel></rss>"
    assert repair_ampersands(clean) is clean
    json_feed = b'{"version": "https://jsonfeed.org/version/1.1", "title": "A & B &eacute;"}'
    assert repair_ampersands(json_feed) is json_feed
    assert repair_ampersands(b"<t>&bogusname; &lang;</t>") == b"<t>&amp;bogusname; &#9001;</t>"


# --- 3. charsets -----------------------------------------------------------------------------------------------

CYRILLIC = "\u041d\u0430\u0432\u043e\u0434\u043d\u0435\u043d\u0438\u0435 \u0432 \u0421\u0438\u0431\u0438\u0440\u0438"
ARABIC = "\u0641\u064a\u0636\u0627\u0646\u0627\u062a \u0641\u064a \u0627\u0644\u0645\u062f\u064a\u0646\u0629"


@pytest.mark.parametrize(
    ("text", "charset"), [(CYRILLIC, "windows-1251"), (CYRILLIC, "koi8-r"), (ARABIC, "windows-1256")]
)
def test_charset_given_only_in_the_http_header(text: str, charset: str) -> None:
    body = rss(item(text, "https://e.example/1", f"<p>{text}</p>"), channel=f"<title>{text}</title>").encode(charset)
    feed = parse(body, f"application/rss+xml; charset={charset}")
    assert (feed.title, feed.entries[0].title) == (text, text)
    assert feed.entries[0].summary == f"<p>{text}</p>"
    assert feed.problems == ()


def test_http_charset_overrides_the_xml_declaration() -> None:
    head = '<?xml version="1.0" encoding="iso-8859-1"?>'
    body = rss(item(CYRILLIC, "https://e.example/1"), head=head).encode("windows-1251")
    assert parse(body, 'text/xml; charset="windows-1251"').entries[0].title == CYRILLIC
    # Without the header, the declaration rules (RFC 7303): the same bytes read as Latin-1.
    assert parse(body).entries[0].title != CYRILLIC


def test_xml_declaration_is_honoured_for_text_xml_without_charset() -> None:
    body = rss(item(CYRILLIC, "https://e.example/1"), head='<?xml version="1.0" encoding="windows-1251"?>')
    assert parse(body.encode("windows-1251"), "text/xml").entries[0].title == CYRILLIC  # not us-ascii (RFC 3023)


RUSSIAN_STORY = "Жителей прибрежных сёл эвакуировали, вода продолжает подниматься."


def test_a_wrong_declared_charset_is_reported() -> None:
    items = "".join(item(f"{CYRILLIC} {n}", f"https://e.example/{n}", RUSSIAN_STORY) for n in range(5))
    body = rss(items, head='<?xml version="1.0" encoding="utf-8"?>')
    feed = parse(body.encode("windows-1251"), "application/rss+xml")
    assert feed.entries[0].title == f"{CYRILLIC} 0"  # not utf-8, so detected
    assert len(feed.problems) == 1 and "utf-8" in feed.problems[0] and "cp1251" in feed.problems[0]
    lying_header = parse(body.encode("utf-8"), "application/rss+xml; charset=us-ascii")
    assert lying_header.entries[0].title == f"{CYRILLIC} 0"
    assert lying_header.problems == ("the HTTP header says ascii but the body is utf-8",)


def test_bom_wins_and_utf16_reads() -> None:
    body = rss(item(ARABIC, "https://e.example/1"), head='<?xml version="1.0" encoding="utf-16"?>')
    feed = parse(body.encode("utf-16"), "application/xml; charset=windows-1256")
    assert feed.entries[0].title == ARABIC
    assert feed.charset.startswith("utf-16")


def test_http_charset_parameter_spellings() -> None:
    assert http_charset("text/xml; charset=windows-1251") == "cp1251"
    assert http_charset("text/xml;charset= 'KOI8-R'") == "koi8-r"
    assert http_charset("text/xml; charset:iso-8859-1") is None  # not a parameter
    assert http_charset("text/xml; charset=no-such-charset") is None
    assert to_utf8(b"<rss/>", "text/xml; charset=no-such-charset").charset == "utf-8"


# --- 4. XHTML ----------------------------------------------------------------------------------------------------

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'


def test_atom_xhtml_title_and_content_keep_their_text() -> None:
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
        "Desk <em>World</em></div></title>"
        '<entry><id>urn:x:1</id><link href="https://e.example/minister"/><updated>2025-03-01T10:00:00Z</updated>'
        f'<title type="xhtml"><div {XHTML}>Minister <em>resigns</em> after vote</div></title>'
        f'<content type="xhtml"><div {XHTML}><p>The minister <b>resigned</b> today.</p></div></content></entry></feed>'
    )
    feed = parse(body)
    entry = feed.entries[0]
    assert feed.title == "Desk World"
    assert entry.title == "Minister resigns after vote"
    # feedparser (which reads XHTML titles for us) gives the content as the summary too; we keep it once.
    assert "resigned" in entry.summary + entry.content and "<b>" in entry.summary + entry.content


def test_unescaped_xhtml_in_rss_description_keeps_its_text() -> None:
    feed = parse(rss(item("Plain", "https://e.example/1", "<p>Talks <b>resume</b> in the capital.</p>")))
    assert "Talks" in feed.entries[0].summary and "resume" in feed.entries[0].summary


def test_utf8_body_under_a_single_byte_label_is_read_as_utf8() -> None:
    body = rss(item(CYRILLIC, "https://e.example/1"), head='<?xml version="1.0" encoding="windows-1251"?>')
    feed = parse(body.encode("utf-8"))
    assert feed.entries[0].title == CYRILLIC  # not the mojibake windows-1251 would make of it
    assert feed.problems == ("the XML declaration says cp1251 but the body is utf-8",)


def test_a_wrong_http_charset_gives_way_to_the_xml_declaration() -> None:
    body = rss(item(ARABIC, "https://e.example/1"), head='<?xml version="1.0" encoding="windows-1256"?>')
    feed = parse(body.encode("windows-1256"), "application/rss+xml; charset=utf-8")
    assert feed.entries[0].title == ARABIC
    assert feed.problems == ("the HTTP header says utf-8 but the body is cp1256, as its XML declaration says",)
