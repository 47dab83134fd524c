"""A local wire site whose items come in the shapes real outlets publish breaking news in.

Used by tests/test_recall.py and benchmarks/recall.py: one-paragraph briefs with and without JSON-LD, a live blog,
a paywalled page whose body is a teaser while the feed carries the text, an AMP page, a page whose text is only in
JSON-LD ``articleBody`` or in a ``__NEXT_DATA__`` script, pages that answer 403, a feed whose items carry only
titles, a video page, items in English, Russian and Arabic, and look-alike items that are not about the story.
Every text here was written for this project (it names real places and institutions, and quotes nobody).

Each ``Shape`` keeps the whole text as published (``headline`` and ``text``), so a benchmark can ask the topics
themselves which items are relevant: an item is relevant when a topic matches its full published text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from monitor.demo.site import NewsSite

FEED_PATH = "/wire/rss.xml"
TITLES_FEED_PATH = "/wire/titles.xml"  # a feed whose items carry only titles


@dataclass(frozen=True)
class Shape:
    """One published item: its page (or failure), what the feed says about it, and its whole text."""

    key: str
    lang: str
    headline: str
    text: str  # the article's whole text as published (paragraphs separated by blank lines)
    page: str  # html, or "" with ``status`` for a page that fails
    feed: str = FEED_PATH
    summary: str = ""  # the feed's <description>
    content: str = ""  # the feed's <content:encoded>
    status: int = 200
    tags: tuple[str, ...] = field(default=())


def _paragraphs(text: str) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))


def _jsonld(kind: str, headline: str, *, body: str | None = None, extra: dict[str, object] | None = None) -> str:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": kind,
        "headline": headline,
        "datePublished": "2025-02-21T09:00:00Z",
        "author": {"@type": "Person", "name": "Wire Desk"},
        "publisher": {"@type": "Organization", "name": "Coast Wire"},
    }
    if body is not None:
        data["articleBody"] = body
    data.update(extra or {})
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def _page(
    lang: str, headline: str, body_html: str, *, head: str = "", html_attrs: str = "", chrome: bool = True
) -> str:
    nav = '<nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/region/">Region</a></nav>' if chrome else ""
    foot = "<footer><p>Coast Wire. All rights reserved.</p><a href='/about'>About</a></footer>" if chrome else ""
    rtl = ' dir="rtl"' if lang == "ar" else ""
    return (
        f'<!doctype html><html lang="{lang}"{rtl}{html_attrs}><head><meta charset="utf-8">'
        f"<title>{escape(headline)} | Coast Wire</title>{head}</head><body>{nav}"
        f"<main><h1>{escape(headline)}</h1>{body_html}</main>{foot}</body></html>"
    )


def _article(lang: str, headline: str, text: str, *, head: str = "") -> str:
    return _page(lang, headline, f'<article><p class="byline">By Wire Desk</p>{_paragraphs(text)}</article>', head=head)


def shapes() -> list[Shape]:
    """Return every item of the site, relevant ones and look-alikes."""
    out: list[Shape] = []

    h = "Russian ships dock at Syrian port"
    t = (
        "Two Russian navy ships docked at Tartus on Tuesday, a port official said. Moscow is negotiating with "
        "Damascus over the future of its naval facility there."
    )
    out.append(
        Shape(
            "brief-jsonld",
            "en",
            h,
            t,
            _article("en", h, t, head=_jsonld("NewsArticle", h)),
            summary="Two navy ships arrived at a Syrian port on Tuesday, a port official said.",
        )
    )

    h = "Cargo flights resume at coastal air base"
    t = (
        "Russian cargo planes landed at the Khmeimim air base near Latakia on Wednesday, residents said, the first "
        "flights there in a week."
    )
    out.append(Shape("brief-plain", "en", h, t, _article("en", h, t), summary="Flights resumed on Wednesday."))

    h = "Navy convoy seen off the Syrian coast"
    t = (
        "A Russian frigate and a supply ship left Tartus at dawn, according to maritime tracking data. The Kremlin "
        "did not comment."
    )
    og = '<meta property="og:type" content="article"><meta property="og:title" content="' + h + '">'
    out.append(Shape("brief-og", "en", h, t, _article("en", h, t, head=og), summary=""))

    h = "Live: talks on the future of foreign bases in Syria"
    updates = [
        ("10:05", "Delegations meet in Damascus for a second day."),
        ("10:40", "A Russian official says Moscow wants to keep the Khmeimim air base."),
        ("11:15", "Syrian officials have made no statement so far."),
    ]
    t = "\n\n".join(u for _, u in updates)
    blog = "".join(f'<div class="update"><time>{w}</time><p>{escape(u)}</p></div>' for w, u in updates)
    live = _jsonld(
        "LiveBlogPosting",
        h,
        extra={
            "coverageStartTime": "2025-02-21T08:00:00Z",
            "liveBlogUpdate": [{"@type": "BlogPosting", "headline": u[:40], "articleBody": u} for _, u in updates],
        },
    )
    out.append(
        Shape(
            "liveblog",
            "en",
            h,
            t,
            _page("en", h, f"<section>{blog}</section>", head=live),
            summary="Follow the talks as they happen.",
        )
    )

    h = "What the port deal means"
    t = (
        "Russia's lease of the naval facility at Tartus runs for decades under a 2017 agreement, but the new "
        "authorities in Damascus have said they will review every deal signed by the previous government.\n\n"
        "Diplomats say Moscow has offered economic help in exchange for keeping the base, while Syrian officials "
        "want compensation and a clear timetable."
    )
    teaser = "<article><p>Subscribe to read the full analysis.</p></article>"
    paywalled = _jsonld("NewsArticle", h, extra={"isAccessibleForFree": False})
    out.append(
        Shape(
            "paywall",
            "en",
            h,
            t,
            _page("en", h, teaser, head=paywalled),
            summary="An analysis of the negotiations.",
            content=_paragraphs(t),
        )
    )

    h = "Satellite images show aircraft on the move"
    t = (
        "Satellite images taken on Thursday show fewer Russian aircraft on the apron of the Khmeimim air base than "
        "a week earlier, analysts said.\n\nSeveral transport aircraft were parked near the runway, and two "
        "helicopters had been moved to a hangar. The analysts said the images alone could not show whether the "
        "aircraft had left Syria for good or were being rotated, and that the base was still operating normally."
    )
    amp_head = '<link rel="canonical" href="/world/amp"><style amp-boilerplate>body{}</style>'
    amp = _page(
        "en",
        h,
        f'<article><amp-img src="/img.jpg" width="600" height="400"></amp-img>{_paragraphs(t)}</article>',
        head=amp_head,
        html_attrs=" amp",
    )
    out.append(Shape("amp", "en", h, t, amp, summary="New satellite images."))

    h = "Officials describe the state of negotiations"
    t = (
        "Russian and Syrian officials met again to discuss the naval base at Tartus, people familiar with the talks "
        "said.\n\nThe talks covered the length of any new lease and the number of Russian personnel who would "
        "stay."
    )
    spa = _page("en", h, '<div id="root"></div>', head=_jsonld("NewsArticle", h, body=t))
    out.append(Shape("jsonld-body", "en", h, t, spa, summary="Officials met again."))

    h = "A week of quiet diplomacy"
    t = (
        "Moscow sent a delegation to Damascus this week to discuss its military bases on the Syrian coast, "
        "including the Khmeimim air base.\n\nBoth sides described the meeting as constructive but announced no "
        "agreement."
    )
    next_data = {
        "props": {
            "pageProps": {
                "article": {"id": 7, "headline": h, "body": [{"type": "paragraph", "text": p} for p in t.split("\n\n")]}
            }
        },
        "page": "/[slug]",
        "buildId": "x",
    }
    app = _page(
        "en",
        h,
        '<div id="__next"></div>',
        head=f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(next_data)}</script>',
    )
    out.append(Shape("next-data", "en", h, t, app, summary="Diplomacy continued."))

    h = "Russian warships leave Tartus"
    t = "Russian warships left the port of Tartus on Friday, a monitoring group said."
    out.append(Shape("forbidden", "en", h, t, "", status=403, summary=t))

    h = "Coastal air base update"
    t = (
        "Russian military engineers were seen repairing a runway at the Khmeimim air base, according to residents "
        "of nearby villages.\n\nThe work began after the new Syrian authorities allowed some flights to continue "
        "while negotiations go on. Local officials said they had not been told how long the work would take, and "
        "that fishermen had been asked to keep away from the coast near the base."
    )
    out.append(Shape("titles-only", "en", h, t, _article("en", h, t), feed=TITLES_FEED_PATH))

    h = "Russia to keep Khmeimim air base, sources say"
    out.append(Shape("titles-only-403", "en", h, "", "", status=403, feed=TITLES_FEED_PATH))

    h = "Video: Russian aircraft at Khmeimim air base"
    video = _page(
        "en", h, '<div class="player"><video src="/v.mp4" controls></video></div>', head=_jsonld("VideoObject", h)
    )
    out.append(Shape("video", "en", h, "", video, summary=""))

    h = "Корабли вернулись в порт"
    t = "Два российских корабля вернулись в Тартус во вторник, сообщил источник в порту."
    out.append(
        Shape(
            "brief-ru",
            "ru",
            h,
            t,
            _article("ru", h, t, head=_jsonld("NewsArticle", h)),
            summary="Корабли вернулись во вторник.",
        )
    )

    h = "رحلات جديدة إلى قاعدة ساحلية"
    t = "هبطت طائرات شحن روسية في قاعدة حميميم قرب اللاذقية يوم الأربعاء، بحسب سكان."
    out.append(Shape("brief-ar", "ar", h, t, _article("ar", h, t), summary="رحلات جديدة يوم الأربعاء."))

    h = "Russia and Syria continue base talks"
    t = (
        "Russia and Syria held another round of talks on Russia's military presence, focused on the naval "
        "facility at Tartus and the Khmeimim air base near Latakia.\n\nA Russian deputy foreign minister led the "
        "delegation, which also discussed economic aid. Syrian officials said they wanted any agreement to respect "
        "the country's sovereignty and to include compensation. No date was set for the next meeting, but both "
        "sides said they expected to meet again within weeks."
    )
    out.append(Shape("long", "en", h, t, _article("en", h, t), summary="Another round of talks."))

    # Look-alikes: none of these is about Russia's presence in Syria.
    h = "Students arrive in Tartu"
    t = "Russian-speaking students arrived in Tartu, Estonia, for the new term at the university on Monday."
    out.append(Shape("trap-tartu", "en", h, t, _article("en", h, t, head=_jsonld("NewsArticle", h)), tags=("trap",)))
    h = "Base in Armenia gets new equipment"
    t = "Russia delivered new equipment to its base in Gyumri, Armenia, the defence ministry said on Thursday."
    out.append(Shape("trap-gyumri", "en", h, t, _article("en", h, t), summary=t, tags=("trap",)))
    h = "Garrison at al-Tanf rotates"
    t = "A US garrison at al-Tanf in southern Syria began a routine rotation, officials said."
    out.append(Shape("trap-tanf", "en", h, t, _article("en", h, t), summary=t, tags=("trap",)))
    h = "Latest world news"
    listing = "".join(f'<li><a href="/world/story-{n}">Story number {n} of the day</a></li>' for n in range(12))
    out.append(Shape("trap-listing", "en", h, "", _page("en", h, f"<ul>{listing}</ul>"), tags=("trap",)))
    h = "Port city hosts festival"
    t = "The Turkish city of Tarsus hosted a food festival over the weekend, drawing visitors from across the region."
    out.append(Shape("trap-tarsus", "en", h, t, "", status=403, summary=t, tags=("trap",)))
    return out


def _rss(items: list[str], title: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{title}</title><link>{{{{ORIGIN}}}}/</link><description>{title}</description>"
        + "".join(items)
        + "</channel></rss>"
    )


def build_site(site: NewsSite, items: list[Shape] | None = None, *, published: datetime | None = None) -> None:
    """Serve every shape on ``site``: its page (or failure) and its item in its feed, newest first."""
    items = shapes() if items is None else items
    start = published or datetime(2025, 2, 21, 9, 0, tzinfo=UTC)
    by_feed: dict[str, list[str]] = {FEED_PATH: [], TITLES_FEED_PATH: []}
    for n, shape in enumerate(items):
        path = f"/world/{shape.key}"
        if shape.status != 200:
            site.fail(path, shape.status)
        else:
            site.add_file(path, shape.page, "text/html; charset=utf-8")
        when = format_datetime(start + timedelta(minutes=n))
        parts = [
            f"<title>{escape(shape.headline)}</title>",
            f"<link>{{{{ORIGIN}}}}{path}</link>",
            f'<guid isPermaLink="false">{shape.key}</guid>',
            f"<pubDate>{when}</pubDate>",
        ]
        if shape.feed != TITLES_FEED_PATH:
            if shape.summary:
                parts.append(f"<description>{escape(shape.summary)}</description>")
            if shape.content:
                parts.append(f"<content:encoded><![CDATA[{shape.content}]]></content:encoded>")
        by_feed[shape.feed].insert(0, "<item>" + "".join(parts) + "</item>")
    site.add_file(FEED_PATH, _rss(by_feed[FEED_PATH], "Coast Wire"), "application/rss+xml; charset=utf-8")
    site.add_file(
        TITLES_FEED_PATH, _rss(by_feed[TITLES_FEED_PATH], "Coast Wire headlines"), "application/rss+xml; charset=utf-8"
    )
