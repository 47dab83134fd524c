"""Extract an article (body text and metadata) from a news page; pure, never raises."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from monitor.extract.appdata import app_data_text
from monitor.extract.body import Body, extract_body
from monitor.extract.decode import decode_for_parser, decode_html, utf8_candidate
from monitor.extract.guard import MAX_PAGE_CHARS, parser_input, shallow
from monitor.extract.metadata import PageMeta, read_metadata
from monitor.extract.text import detect_language, load_language_model
from monitor.models import Article

__all__ = ["detect_language", "extract", "warm_up"]

# Below this many characters of prose (a CJK character carries about as much as a word) the page
# is a front, a video or a stub, not an article worth matching.
_MIN_BODY_CHARS = 250
_MIN_BODY_CJK = 80
_MAX_LINK_DENSITY = 0.5
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_PARAGRAPHS = re.compile(r"\n\s*\n|\r?\n")


def _too_short(text: str) -> bool:
    if len(text) >= _MIN_BODY_CHARS:
        return False
    return len(_CJK.findall(text)) < _MIN_BODY_CJK


def _from_article_body(body: str) -> str:
    """Format JSON-LD articleBody (plain text, sometimes HTML) as paragraphs."""
    if "<" in body and ">" in body:
        body = LexborHTMLParser(body).text(separator="\n")
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPHS.split(body))
    return "\n\n".join(p for p in paragraphs if p)


def _choose_text(body: Body, meta: PageMeta, *, brief_ok: bool) -> tuple[str, str | None]:
    """Pick between the scored body and JSON-LD articleBody; give a skip reason for non-articles.

    Length alone never rejects a page that declares itself an article (JSON-LD, og:type) or, with ``brief_ok``, a
    page a feed item links to: flashes, briefs and "developing" stubs are how breaking news arrives.
    """
    found, link_share = body.text, body.link_density
    if meta.declares_listing:
        return "", "no article body: the page declares itself a listing"
    if body.teasers and not meta.declares_article:
        return "", f"no article body: a list of {body.teasers} teasers"
    # The markup's own body wins when the scored block is clearly a fragment of it; formatting it
    # costs a parse, so the raw length decides first.
    fallback = _from_article_body(meta.article_body) if len(meta.article_body) > 2 * len(found) else ""
    if len(fallback) > 2 * len(found):
        found, link_share = fallback, 0.0
    if not found.strip():
        return "", "no article body"
    if link_share > _MAX_LINK_DENSITY:
        return "", "no article body: content is mostly links"
    if _too_short(found) and not (brief_ok or meta.declares_article):
        return "", "no article body: text too short"
    return found, None


def _drop_repeated_title(text: str, title: str) -> str:
    """Drop a first paragraph that only repeats the headline (sites often print it twice)."""
    first, sep, rest = text.partition("\n\n")
    if sep and title and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest
    return text


def _too_large(size: int, url: str | None) -> Article:
    reason = f"page too large: {size:,} characters (limit {MAX_PAGE_CHARS:,})"
    return Article(title="", text="", url=url, skip_reason=reason)


def _extract(html: str | bytes, url: str | None, brief_ok: bool) -> Article:
    # Checked on the raw input too, so that a huge body is not decoded only to be refused.
    if len(html) > MAX_PAGE_CHARS:
        return _too_large(len(html), url)
    if isinstance(html, bytes) and b"<" in html and utf8_candidate(html) and shallow(html):
        # Decoding only to learn that the bytes are UTF-8 costs as much as parsing them (5 ms for a 2.5 MB
        # page): the parser reads them as UTF-8 itself, replacing invalid bytes by U+FFFD. Only when one of
        # those reaches the article (a legacy page without a charset) is the page decoded and read again,
        # as before, with detection; invalid bytes nowhere in the article cannot change it.
        article = _from_tree(LexborHTMLParser(html), url, brief_ok)
        if not _replaced(article):
            return article
    utf8: bytes | None = None
    if isinstance(html, bytes):
        text, utf8 = decode_for_parser(html)
    else:
        text = decode_html(html) if isinstance(html, bytearray | memoryview) else html
    if not isinstance(text, str):
        text = decode_html(bytes(text))
    if len(text) > MAX_PAGE_CHARS:
        return _too_large(len(text), url)
    if not text or text.isspace():
        return Article(title="", text="", url=url, skip_reason="empty page")
    return _from_tree(LexborHTMLParser(parser_input(text, utf8)), url, brief_ok)


def _replaced(article: Article) -> bool:
    """Say whether any text of the article holds U+FFFD, the mark of bytes that were not UTF-8."""
    texts = (article.title, article.text, article.site_name, article.description, article.section, article.image)
    return any("\ufffd" in t for t in (*texts, article.canonical_url, *article.authors) if t)


def _from_tree(tree: LexborHTMLParser, url: str | None, brief_ok: bool) -> Article:
    try:
        meta = read_metadata(tree, url)
    # Odd metadata (a pathological JSON-LD block, say) must not cost the article its body.
    except Exception:  # noqa: BLE001
        meta = PageMeta()
    # A page that declares itself a listing gets no body, so the body search can be skipped.
    body = Body("", 0.0) if meta.declares_listing else extract_body(tree)
    if meta.app_data and not meta.article_body and _too_short(body.text):
        # The body is rendered by JavaScript from the page's app data: read the text there, as articleBody.
        meta.article_body = app_data_text(meta.app_data)
    found, skip = _choose_text(body, meta, brief_ok=brief_ok)
    found = _drop_repeated_title(found, meta.title)
    language = meta.language or detect_language(found or meta.description or meta.title)
    return Article(
        title=meta.title,
        text=found,
        url=url,
        authors=meta.authors,
        published=meta.published,
        modified=meta.modified,
        language=language,
        canonical_url=meta.canonical_url,
        site_name=meta.site_name,
        description=meta.description,
        section=meta.section,
        image=meta.image,
        paywalled=meta.paywalled,
        skip_reason=skip,
    )


def extract(html: str | bytes, url: str | None = None, *, brief_ok: bool = False) -> Article:
    """Return the article in ``html``; on any failure an empty Article whose skip_reason says why.

    ``brief_ok``: the page is known to be an item (a feed links to it), so a short body is a brief, not a stub;
    only its structure (a listing, teasers, mostly links, no text) makes it "not an article".
    """
    try:
        return _extract(html, url, brief_ok)
    # A monitoring daemon reads hostile pages all day: one bad page must cost one article, not the loop.
    except Exception as exc:  # noqa: BLE001
        return Article(title="", text="", url=url, skip_reason=f"extraction failed: {type(exc).__name__}")


# A page that takes the costly first-use paths: JSON-LD with dates, meta tags, a byline, a <time>, and
# no language declared (so the detector runs); its legacy-encoded bytes send decoding through detection.
_WARM_PAGE = (
    '<html><head><meta property="og:title" content="Прогрев"><meta name="author" content="Иван Петров">'
    '<meta property="article:published_time" content="2024-05-06T07:08:09+03:00">'
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Прогрев",'
    ' "datePublished": "Mon, 06 May 2024 07:08:09 GMT", "articleBody": "Текст."}</script></head>'
    '<body><article><h1>Прогрев</h1><p class="byline">Иван Петров, <time datetime="6 May 2024">6 мая</time></p>'
    + "<p>Этот текст написан по-русски, чтобы модель языка и разбор дат загрузились заранее, до работы.</p>" * 4
    + "<ul><li>пункт списка</li></ul><figure><figcaption>Подпись</figcaption></figure></article></body></html>"
)


def warm_up() -> bool:
    """Load what extraction would otherwise load on first use; True when the language model is loaded.

    Runs when this package is imported, so that no call pays for a lazy load (py3langid's model, about 0.5 s;
    charset detection's codecs; first regex and selector compilations). The daemon calls it again at start,
    which retries the model if loading it failed at import (a full disk, say).
    """
    loaded = load_language_model()
    extract(_WARM_PAGE.encode("cp1251"))
    extract(_WARM_PAGE, "https://example.com/warm-up")
    return loaded


warm_up()
