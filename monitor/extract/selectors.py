"""Selectors, tag sets and patterns the extractor relies on, kept as data (no per-site rules)."""

from __future__ import annotations

import re

# fmt: off

# --- Tags removed with their content before any scoring: never article prose. ---
DROP_TAGS: tuple[str, ...] = (
    "script", "style", "noscript", "template", "svg", "iframe", "button", "select", "textarea", "nav",
    "footer", "aside", "video", "audio", "dialog",
)

# Landmarks that are page chrome when they sit outside the article; dropped unless they hold
# most of the page's paragraphs (some sites put the whole story inside <header>).
CHROME_TAGS: frozenset[str] = frozenset({"header"})

# Containers that may never be removed by the class/id test: removing them empties the page.
PROTECTED_TAGS: frozenset[str] = frozenset({"html", "body", "article", "main"})

# --- Class/id/role vocabulary, matched in "class id" (lower-cased) at the start of a word or of a
# -/_ part, so "article-comments" matches "comment" but atomic CSS such as "bxsh(modalshadow)" or
# "norightrail" does not match "modal" or "rail". ---


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(words) + ")")


# Boilerplate containers that are never the article, whatever else their class says.
STRONG_UNLIKELY_RE = _words(
    "comment", "disqus", "share", "sharing", "social", "related", "newsletter", "promo", "cookie",
    "consent", "gdpr", "outbrain", "taboola", "recirc", "subscri", "signup", "sign-up", "sponsor",
    "advert", "breadcrumb", "most-?popular", "most-?read", "trending", "also-?read", "more-?stories",
    "recommend", "paywall-prompt", "print-only", "sr-only", "visually-?hidden", "screen-?reader",
    "author-?bio", "credit", "byline", "dateline", "timestamp", "tags?(?![a-z])", "toolbar",
    "skip-?link",
    "jump-?link", "newsfeed", "rating", "reaction", "follow", "login",
)
# Chrome that a container may still be rescued from by a content-like word (LIKELY_RE).
UNLIKELY_RE = _words(
    "ad(?![a-z])", "ads(?![a-z])", "adslot", "banner", "combx", "community", "donat", "footer",
    "masthead", "menu", "navbar", "nav(?![a-z])", "navigation", "overlay", "pagination", "pager",
    "remark", "replies", "rss", "shoutbox", "sidebar", "skyscraper", "widget", "header", "sticky",
    "offscreen", "rail", "aside", "popup", "modal", "read-?more",
)
# Inline elements inside these blocks belong to the sentence, whatever their class says.
INLINE_TAGS: frozenset[str] = frozenset(
    {
        "span", "a", "em", "strong", "b", "i", "u", "small", "time", "abbr", "cite", "sup", "sub",
        "mark", "q", "code", "font", "bdi", "bdo", "s",
    }
)
TEXT_BLOCK_TAGS: frozenset[str] = frozenset({"p", "li", "blockquote", "dd", "td", "h2", "h3", "h4", "h5", "h6"})
# Leaf-like elements not worth a chrome test: a link or an image alone is judged with its container.
NEVER_CHROME_TAGS: frozenset[str] = frozenset(
    {"a", "img", "i", "b", "em", "strong", "time", "abbr", "sup", "sub", "br", "source", "picture", "path"}
)
# Words that rescue a container UNLIKELY_RE would remove ("article-body", "main-content").
LIKELY_RE = _words("article", "body", "column", "content", "main", "story", "entry", "text", "prose")
# Classes/ids that raise or lower a scored container, as in Readability's class weight.
POSITIVE_RE = _words(
    "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text", "blog",
    "story", "prose",
)
NEGATIVE_RE = _words(
    "hidden", "hid(?![a-z])", "banner", "combx", "comment", "com-", "contact", "foot", "footer",
    "footnote", "gdpr", "masthead", "media", "meta", "outbrain", "promo", "related", "scroll", "share",
    "shoutbox", "sidebar", "skyscraper", "sponsor", "shopping", "tags", "tool", "widget",
    "newsletter", "social", "subscri", "recirc", "ad(?![a-z])",
)
# Elements that can carry a chrome signal (attributes or the <header> landmark).
ATTRIBUTE_SELECTOR = "[class], [id], [role], [hidden], [aria-hidden], [style], header"
# ARIA roles that mark chrome rather than content.
UNLIKELY_ROLES: frozenset[str] = frozenset(
    {
        "menu", "menubar", "complementary", "navigation", "alert", "alertdialog", "dialog", "banner",
        "contentinfo", "search",
    }
)

# --- Body scoring. ---
# Elements whose own text counts as a paragraph of prose.
PARAGRAPH_SELECTOR = "p, pre, td"
# Microdata that marks the article body container (compared lower-cased); a strong hint when present.
ARTICLE_BODY_ITEMPROP = "articlebody"
ARTICLE_BODY_BONUS = 25.0
# Initial container weights by tag, before paragraph scores are added.
TAG_WEIGHTS: dict[str, float] = {
    "div": 5.0, "article": 8.0, "main": 5.0, "section": 3.0, "pre": 3.0, "td": 3.0, "blockquote": 3.0,
    "address": -3.0, "ol": -3.0, "ul": -3.0, "dl": -3.0, "dd": -3.0, "dt": -3.0, "li": -3.0,
    "form": -3.0, "h1": -5.0, "h2": -5.0, "h3": -5.0, "h4": -5.0, "h5": -5.0, "h6": -5.0, "th": -5.0,
}
# Containers inspected by the conditional clean-up inside the chosen body.
CLEAN_SELECTOR = "div, section, ul, ol, dl, table, figure, form, center"
# Elements that end a paragraph when the body is turned into text.
BLOCK_TAGS: frozenset[str] = frozenset(
    {
        "p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote",
        "pre", "tr", "table", "ul", "ol", "dl", "figure", "hr", "address", "center", "details", "summary", "main",
    }
)
BLOCK_SELECTOR = ", ".join(sorted(BLOCK_TAGS))
# Headings that, when they are mostly a link, mark a teaser card on a home page or section front.
TEASER_HEADING_SELECTOR = "h2, h3, h4"
# Removed from the chosen body: a second headline and hidden text (captions stay: readers see them).
BODY_JUNK_SELECTOR = "h1, [hidden], [aria-hidden=true]"

# --- Metadata. ---
# One walk collects both, since every walk over a big page costs as much as a small extraction.
META_AND_JSONLD_SELECTOR = (
    'meta[content], script[type="application/ld+json" i], script#__NEXT_DATA__, script#__NUXT_DATA__'
)
ARTICLE_TYPES: frozenset[str] = frozenset(
    {
        "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
        "reviewnewsarticle", "backgroundnewsarticle", "askpublicnewsarticle", "blogposting",
        "liveblogposting", "socialmediaposting", "report", "scholarlyarticle", "techarticle",
        "satiricalarticle", "advertisercontentarticle", "medicalscholarlyarticle", "posting",
    }
)
# Page types that declare a listing (a section front, search results, an author page), not an article.
LISTING_TYPES: frozenset[str] = frozenset({"collectionpage", "searchresultspage", "profilepage"})
# Meta keys (name/property/itemprop, lower-cased) in order of preference after JSON-LD.
META_TITLE = (
    "og:title", "twitter:title", "dc.title", "citation_title", "parsely-title", "title",
    "sailthru.title", "headline",
)
META_DESCRIPTION = ("og:description", "description", "twitter:description", "dc.description")
META_PUBLISHED = (
    "article:published_time", "og:article:published_time", "datepublished", "published_time",
    "article.published", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created",
    "citation_publication_date", "citation_date", "parsely-pub-date", "sailthru.date", "pubdate",
    "publishdate", "date", "article_date_original", "og:published_time", "cxenseparse:recs:publishtime",
)
META_MODIFIED = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "dc.date.modified",
    "last-modified", "article.updated",
)
META_AUTHOR = (
    "author", "article:author", "parsely-author", "dc.creator", "dcterms.creator", "citation_author",
    "sailthru.author", "byl", "twitter:creator",
)
META_SECTION = ("article:section", "parsely-section", "section", "article.section", "dc.subject")
META_SITE = ("og:site_name", "application-name", "publisher", "dc.publisher", "twitter:site")
META_IMAGE = (
    "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src", "image",
    "thumbnail",
)
META_LANGUAGE = ("og:locale", "content-language", "language", "dc.language", "inlanguage")
META_URL = ("og:url", "twitter:url", "parsely-link")
# Byline elements for pages without author metadata (substring matches are costly: keep this short).
AUTHOR_SELECTOR = '[rel="author"], [itemprop="author"], a[href*="/author/"], [class*="byline"]'
TIME_SELECTOR = "time[datetime]"
# Dates printed as text, for pages with no machine-readable one: searched only inside the article (never the
# site header, whose "today's date" is not the story's), the first few matches.
ARTICLE_SCOPE_SELECTOR = "article, main, [role=main]"
PRINTED_DATE_SELECTOR = 'time, [class*="date"], [class*="time"], [class*="publish"], [itemprop="datePublished"]'
PRINTED_DATE_TRIES = 4
# Separators between a headline and the site name in <title>.
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " _ ", " · ", " « ", " » ", " // ", " ~ ")
# fmt: on
