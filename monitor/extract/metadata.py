"""Read article metadata: JSON-LD first, then OpenGraph/article:*, other meta, <time>, the page itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract import selectors as sel
from monitor.extract.jsonld import as_strings, first_string, is_paywalled, read_linked_data
from monitor.extract.values import (
    clean_space,
    clean_title,
    normalise_language,
    parse_date,
    parse_printed_date,
    resolve_url,
    split_authors,
)


@dataclass(slots=True)
class PageMeta:
    """Metadata of one page; ``article_body`` is JSON-LD's articleBody, a fallback for the body."""

    title: str = ""
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    description: str | None = None
    section: str | None = None
    image: str | None = None
    paywalled: bool = False
    article_body: str = ""
    app_data: tuple[str, ...] = ()  # raw JSON of a JavaScript app's page data (monitor.extract.appdata)
    declares_article: bool = False
    declares_listing: bool = False


def _meta_and_scripts(tree: LexborHTMLParser) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Return meta contents by key, the JSON-LD blocks and the app data blocks, in one walk over the document."""
    tags: dict[str, list[str]] = {}
    scripts: list[str] = []
    app_data: list[str] = []
    for node in tree.css(sel.META_AND_JSONLD_SELECTOR):
        if node.tag == "script":
            (app_data if node.attributes.get("id") else scripts).append(node.text(deep=True))
            continue
        attrs = node.attributes
        content = attrs.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key:
                tags.setdefault(key.strip().lower(), []).append(content.strip())
    return tags, scripts, app_data


def _first(tags: dict[str, list[str]], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        for value in tags.get(key, ()):
            if value:
                return value
    return None


def _first_date(values: list[Any]) -> datetime | None:
    for value in values:
        parsed = parse_date(value)
        if parsed is not None:
            return parsed
    return None


def _in_head(tree: LexborHTMLParser, selector: str) -> LexborNode | None:
    # Searching the small <head> spares a walk over the whole document.
    head = tree.head
    return head.css_first(selector) if head is not None else None


def _text_of(node: LexborNode | None) -> str:
    return clean_space(node.text()) if node is not None else ""


def _read_page_byline_and_time(tree: LexborHTMLParser, meta: PageMeta) -> None:
    """Fill missing authors and date from byline and <time> elements, in one walk over the page."""
    wanted = [sel.AUTHOR_SELECTOR] if not meta.authors else []
    if meta.published is None:
        wanted.append(sel.TIME_SELECTOR)
    bylines: list[LexborNode] = []
    times: list[LexborNode] = []
    # Bylines and <time> live in the body; the <head> (often hundreds of tags) need not be searched.
    scope = tree.body or tree.root
    if scope is None:
        return
    for node in scope.css(", ".join(wanted)):
        (times if node.tag == "time" and "datetime" in node.attributes else bylines).append(node)
    if not meta.authors:
        # The first byline element that yields a name; later matches are often other stories' bylines.
        for node in bylines[:8]:
            meta.authors = split_authors([node.text()])
            if meta.authors:
                break
    if meta.published is None and times:
        # Prefer the <time> marked as the publication date over the first one on the page.
        times.sort(key=lambda n: n.attributes.get("itemprop") != "datePublished" and "pubdate" not in n.attributes)
        meta.published = _first_date([node.attributes.get("datetime") for node in times[:3]])
    if meta.published is None:
        meta.published = _printed_date(tree)


def _printed_date(tree: LexborHTMLParser) -> datetime | None:
    """Return the first date printed in a date-named element of the article, for pages with no date markup."""
    scope = tree.css_first(sel.ARTICLE_SCOPE_SELECTOR)
    if scope is None:
        return None
    for node in scope.css(sel.PRINTED_DATE_SELECTOR)[: sel.PRINTED_DATE_TRIES]:
        published = parse_printed_date(node.text(deep=True))
        if published is not None:
            return published
    return None


def _live_updates(updates: Any) -> str:
    """Return a live blog's updates (JSON-LD liveBlogUpdate) as paragraphs: each update's headline and body."""
    paragraphs: list[str] = []
    for update in updates if isinstance(updates, list) else [updates]:
        if isinstance(update, dict):
            for key in ("headline", "articleBody"):
                value = update.get(key)
                if isinstance(value, str) and value.strip():
                    paragraphs.append(value.strip())
    return "\n\n".join(paragraphs)


def read_metadata(tree: LexborHTMLParser, url: str | None) -> PageMeta:
    """Read every metadata field from the intact tree (call before the body clean-up)."""
    tags, scripts, app_data = _meta_and_scripts(tree)
    linked = read_linked_data(scripts)
    art: dict[str, Any] = linked.article or {}
    og_type = (_first(tags, ("og:type",)) or "").lower()
    meta = PageMeta(paywalled=bool(art) and is_paywalled(art))
    # JSON-LD outranks OpenGraph here too: some fronts say og:type=article but CollectionPage in JSON-LD.
    meta.declares_listing = not art and bool(linked.types & sel.LISTING_TYPES)
    meta.declares_article = bool(art) or (og_type == "article" and not meta.declares_listing)

    meta.site_name = first_string(art.get("publisher")) or _first(tags, sel.META_SITE) or linked.site_name
    if meta.site_name and meta.site_name.startswith("@"):
        meta.site_name = meta.site_name[1:]
    headline = first_string(art.get("headline")) or first_string(art.get("name"))
    headline = headline or _first(tags, sel.META_TITLE)
    if headline:
        meta.title = clean_title(headline, meta.site_name)
    else:
        doc_title = _text_of(_in_head(tree, "title") or tree.css_first("title"))
        h1 = _text_of(tree.css_first("h1"))
        if h1 and len(h1.split()) >= 2 and h1 in doc_title:
            meta.title = h1
        else:
            meta.title = clean_title(doc_title or h1, meta.site_name)

    meta.authors = split_authors(as_strings(art.get("author")) or as_strings(art.get("creator")))
    if not meta.authors:
        meta.authors = split_authors([v for key in sel.META_AUTHOR for v in tags.get(key, ())])
    meta.published = _first_date(
        [
            art.get("datePublished"),
            art.get("dateCreated"),
            *(v for key in sel.META_PUBLISHED for v in tags.get(key, ())),
        ]
    )
    if not meta.authors or meta.published is None:
        _read_page_byline_and_time(tree, meta)
    meta.modified = _first_date([art.get("dateModified"), *(v for key in sel.META_MODIFIED for v in tags.get(key, ()))])

    html_node = tree.root
    html_lang = html_node.attributes.get("lang") or html_node.attributes.get("xml:lang") if html_node else None
    meta.language = (
        normalise_language(html_lang)
        or normalise_language(_first(tags, sel.META_LANGUAGE))
        or normalise_language(first_string(art.get("inLanguage")))
    )

    canonical = _in_head(tree, 'link[rel="canonical"][href]')
    meta.canonical_url = (
        resolve_url(canonical.attributes.get("href") if canonical else None, url)
        or resolve_url(_first(tags, sel.META_URL), url)
        or resolve_url(first_string(art.get("mainEntityOfPage"), "@id") or first_string(art.get("url")), url)
    )
    meta.description = first_string(art.get("description")) or _first(tags, sel.META_DESCRIPTION)
    if meta.description:
        meta.description = clean_space(meta.description)
    meta.section = first_string(art.get("articleSection")) or _first(tags, sel.META_SECTION)
    meta.image = resolve_url(first_string(art.get("image"), "url") or _first(tags, sel.META_IMAGE), url)
    body = art.get("articleBody")
    meta.article_body = body.strip() if isinstance(body, str) else _live_updates(art.get("liveBlogUpdate"))
    meta.app_data = tuple(app_data)
    return meta
