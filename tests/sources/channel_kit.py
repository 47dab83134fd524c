"""Builders of the response shapes of Telegram previews, Google News search feeds and GDELT, with our own text.

The markup follows what t.me/s/NAME, news.google.com/rss/search and api.gdeltproject.org serve; every post,
headline and outlet below is invented (no publisher text is copied).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

from local_peers import webhook_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
NOW = datetime(2025, 2, 19, 18, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Post:
    """One channel post: its number and text (HTML allowed), plus what a post may carry besides."""

    id: int
    text: str
    forwarded_from: str | None = None
    preview_title: str | None = None
    service: bool = False


def telegram_preview(channel: str, title: str, posts: list[Post], *, newest: datetime = NOW) -> bytes:
    """Return a t.me/s/NAME page listing ``posts`` oldest first, as the preview does, ``posts`` given newest first."""
    blocks = []
    for n, post in enumerate(posts):
        when = (newest - timedelta(minutes=10 * n)).isoformat()
        forwarded = (
            '<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <a class="tgme_widget_m'
            f'essage_forwarded_from_name" href="https://t.me/elsewhere/7"><span dir="auto">{post.forwarded_from}'
            "</span></a></div>"
            if post.forwarded_from
            else ""
        )
        preview = (
            f'<a class="tgme_widget_message_link_preview" href="https://news.example.org/{post.id}">'
            '<div class="link_preview_site_name accent_color" dir="auto">Example News</div>'
            f'<div class="link_preview_title" dir="auto">{post.preview_title}</div></a>'
            if post.preview_title
            else ""
        )
        kind = " service_message" if post.service else ""
        blocks.append(
            '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
            f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message{kind}" '
            f'data-post="{channel}/{post.id}" data-view="x">'
            '<div class="tgme_widget_message_bubble"><i class="tgme_widget_message_bubble_tail"></i>'
            '<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
            f'href="https://t.me/{channel}"><span dir="auto">{title}</span></a></div>{forwarded}'
            f'<a class="tgme_widget_message_reply" href="https://t.me/{channel}/1"><div class="tgme_widget_messag'
            'e_author accent_color"><span class="tgme_widget_message_author_name">Quoted</span></div>'
            '<div class="tgme_widget_message_text js-message_reply_text" dir="auto">An older quoted post</div></a>'
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{post.text}</div>{preview}'
            '<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info'
            ' short js-message_info"><span class="tgme_widget_message_views">1.2K</span>'
            '<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" '
            f'href="https://t.me/{channel}/{post.id}"><time datetime="{when}" class="time">18:00</time></a></span>'
            "</div></div></div></div></div>"
        )
    oldest = min((p.id for p in posts), default=1)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>' + title + " – Telegram</title></head>"
        '<body class="widget_frame_base tgme_webpage_preview"><main class="tgme_main"><div class="tgme_container">'
        '<section class="tgme_right_column"><div class="tgme_channel_info"><div class="tgme_channel_info_header">'
        f'<div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div>'
        f'<div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>'
        '</div></div></section><section class="tgme_channel_history js-message_history">'
        '<div class="tgme_widget_message_centered js-messages_more_wrap">'
        f'<a href="/s/{channel}?before={oldest}" class="tme_messages_more js-messages_more" data-before="{oldest}">'
        "</a></div>" + "".join(reversed(blocks)) + "</section></div></main></body></html>"
    ).encode()


def telegram_card(channel: str, title: str) -> bytes:
    """Return the t.me/NAME card a channel without web preview redirects to: no posts, a 'View in Telegram'."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: Contact @' + channel + "</title></head>"
        '<body><div class="tgme_page_wrap"><div class="tgme_body_wrap"><div class="tgme_page">'
        f'<div class="tgme_page_title"><span dir="auto">{title}</span></div>'
        '<div class="tgme_page_extra">4 210 subscribers</div>'
        f'<div class="tgme_page_action"><a class="tgme_action_button_new" href="tg://resolve?domain={channel}">'
        "View in Telegram</a></div></div></div></div></body></html>"
    ).encode()


@dataclass(frozen=True)
class Lead:
    """One Google News item: a headline, the outlet that ran it and the outlet's home page."""

    key: str
    headline: str
    outlet: str
    home: str = "https://outlet.example"


def google_news_feed(query: str, leads: list[Lead], *, newest: datetime = NOW) -> bytes:
    """Return a news.google.com/rss/search feed: opaque links, " - Outlet" titles, <source> elements."""
    items = []
    for n, lead in enumerate(leads):
        link = f"https://news.google.com/rss/articles/CBMi{lead.key}?oc=5"
        when = format_datetime(newest - timedelta(minutes=7 * n), usegmt=True)
        title = escape(f"{lead.headline} - {lead.outlet}")
        description = escape(
            f'<a href="{link}" target="_blank">{escape(lead.headline)}</a>&nbsp;&nbsp;'
            f'<font color="#6f6f6f">{escape(lead.outlet)}</font>'
        )
        items.append(
            f"<item><title>{title}</title><link>{link}</link>"
            f'<guid isPermaLink="false">CBMi{lead.key}</guid><pubDate>{when}</pubDate>'
            f"<description>{description}</description>"
            f'<source url="{lead.home}">{escape(lead.outlet)}</source></item>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel><generator>NFE/5.0</generator>'
        f'<title>"{escape(query)}" - Google News</title><link>https://news.google.com/search?q=x</link>'
        "<language>en-US</language><webMaster>news-webmaster@google.com</webMaster>"
        "<copyright>2025 Google LLC</copyright><lastBuildDate>"
        f"{format_datetime(newest, usegmt=True)}</lastBuildDate><description>Google News</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def gdelt_artlist(articles: list[tuple[str, str, str]], *, newest: datetime = NOW) -> bytes:
    """Return a GDELT DOC 2.0 ArtList answer in JSON for (url, title, domain) triples, newest first."""
    rows = [
        {
            "url": url,
            "url_mobile": "",
            "title": title,
            "seendate": (newest - timedelta(minutes=15 * n)).strftime("%Y%m%dT%H%M%SZ"),
            "socialimage": "",
            "domain": domain,
            "language": "English",
            "sourcecountry": "United Kingdom",
        }
        for n, (url, title, domain) in enumerate(articles)
    ]
    return json.dumps({"articles": rows}, indent=1).encode()


def write_config(tmp_path: Path, sources: list[dict[str, Any]], hook_url: str, **fetch: Any) -> Path:
    """Write a config polling ``sources`` with the seed topics, every hit going to one webhook (no robots.txt)."""
    return webhook_config(tmp_path, sources, hook_url, **{"robots_txt": False, **fetch})


def alerts(received: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield the article of each alert a webhook sink received."""
    for record in received:
        yield record["payload"]["data"]


CHANNEL_ID = "UCq0ZtVfWQxmG7e8T3bJd2sA"  # invented, in YouTube's shape


def youtube_page(feed_href: str | None) -> bytes:
    """Return a YouTube channel page: the feed link in its head, or (as some pages do) only the channel id."""
    link = f'<link rel="alternate" type="application/rss+xml" title="RSS" href="{feed_href}">' if feed_href else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>Harbour Watch - YouTube</title>{link}'
        f'<meta itemprop="identifier" content="{CHANNEL_ID}"></head><body><ytd-app></ytd-app><script>'
        f'var ytInitialData = {{"metadata":{{"channelMetadataRenderer":{{"externalId":"{CHANNEL_ID}"}}}}}};'
        "</script></body></html>"
    ).encode()


def youtube_feed(origin: str, videos: list[tuple[str, str]], *, newest: datetime = NOW) -> bytes:
    """Return a channel's feeds/videos.xml (Atom with yt: and media: elements) for (video id, title) pairs."""
    entries = []
    for n, (video, title) in enumerate(videos):
        when = (newest - timedelta(hours=n)).isoformat()
        entries.append(
            f"<entry><id>yt:video:{video}</id><yt:videoId>{video}</yt:videoId><yt:channelId>{CHANNEL_ID}"
            f'</yt:channelId><title>{escape(title)}</title><link rel="alternate" href="{origin}/watch?v={video}"/>'
            f"<author><name>Harbour Watch</name><uri>{origin}/channel/{CHANNEL_ID}</uri></author>"
            f"<published>{when}</published><updated>{when}</updated><media:group><media:title>{escape(title)}"
            f'</media:title><media:content url="{origin}/v/{video}" type="application/x-shockwave-flash" '
            f'width="640" height="390"/><media:description>{escape(title)}. Footage from the coast.'
            "</media:description></media:group></entry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">'
        f'<link rel="self" href="{origin}/feeds/videos.xml?channel_id={CHANNEL_ID}"/><id>yt:channel:{CHANNEL_ID}'
        f"</id><yt:channelId>{CHANNEL_ID}</yt:channelId><title>Harbour Watch</title>"
        f'<link rel="alternate" href="{origin}/channel/{CHANNEL_ID}"/><author><name>Harbour Watch</name></author>'
        f"<published>2019-01-01T00:00:00+00:00</published>{''.join(entries)}</feed>"
    ).encode()


def mastodon_page(name: str) -> bytes:
    """Return a Mastodon account page as served to a client without JavaScript (the app's mount point)."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{name} (@{name}@social.example)</title></head><body>'
        '<div class="app-holder" id="mastodon" data-props="{&quot;locale&quot;:&quot;en&quot;}"><noscript>'
        "To use the Mastodon web application, please enable JavaScript.</noscript></div></body></html>"
    ).encode()


def mastodon_feed(origin: str, name: str, posts: list[tuple[int, str]], *, newest: datetime = NOW) -> bytes:
    """Return an account's /@NAME.rss: items without titles, each post's HTML in its description."""
    items = "".join(
        f'<item><guid isPermaLink="true">{origin}/@{name}/{n}</guid><link>{origin}/@{name}/{n}</link>'
        f"<pubDate>{format_datetime(newest - timedelta(minutes=5 * i), usegmt=True)}</pubDate>"
        f"<description>{escape(f'<p>{text}</p>')}</description></item>"
        for i, (n, text) in enumerate(posts)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:webfeeds="http://webfeeds.org/rss/1.0" '
        f'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>{name}</title><description>Public posts from '
        f"@{name}@social.example</description><link>{origin}/@{name}</link>{items}</channel></rss>"
    ).encode()
