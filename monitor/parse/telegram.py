"""A public Telegram channel's web preview (``t.me/s/NAME``) into entries: one per post, newest first."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.errors import ParseError
from monitor.models import FeedEntry, ParsedFeed
from monitor.textutil import html_to_text, shorten

# The preview's markup, as t.me serves it. A post is a ``.tgme_widget_message`` with ``data-post="NAME/ID"``.
POST = ".tgme_widget_message[data-post]"
POST_TEXT = ".tgme_widget_message_text"
POST_DATE = ".tgme_widget_message_date"
QUOTED_REPLY = "tgme_widget_message_reply"  # class of the post replied to: its text is not this post's
FORWARDED_FROM = ".tgme_widget_message_forwarded_from_name"
SIGNED_BY = ".tgme_widget_message_from_author"
SERVICE = ".service_message"  # on the post or inside it
CHANNEL_TITLE = ".tgme_channel_info_header_title, .tgme_header_title"
HISTORY = ".tgme_channel_history"
CHANNEL_CARD = ".tgme_page, .tgme_page_title"  # t.me/NAME: what a channel without web preview shows instead
# Text a post carries besides its message: a document's name, a link preview, a poll.
ATTACHED_TEXT = (
    ".tgme_widget_message_document_title, .link_preview_title, .link_preview_description, "
    ".tgme_widget_message_poll_question, .tgme_widget_message_poll_option_text"
)
# A post without text is titled by nothing: a made-up title ("photo") would only be matched against by mistake.
TITLE_CHARS = 140


@dataclass(frozen=True)
class TelegramPage:
    """One page of a channel's preview: its posts newest first, and the id to page back from (``?before=``)."""

    feed: ParsedFeed
    oldest_post: int | None


def parse_telegram(body: bytes, url: str) -> TelegramPage:
    """Return the posts of a channel preview page; raise ParseError when the page shows no preview at all."""
    tree = LexborHTMLParser(body.decode("utf-8", errors="replace"))
    posts = tree.css(POST)
    if not posts and tree.css_first(HISTORY) is None:
        if tree.css_first(CHANNEL_CARD) is not None or "/s/" not in urlsplit(url).path:
            raise ParseError(
                "the channel shows no posts on the web: its web preview is disabled, or it is not a public channel"
                " (open it in a Telegram app; or read it through another address with url:)",
                url=url,
            )
        raise ParseError("not a Telegram channel preview page (no posts, no channel history)", url=url)
    title_node = tree.css_first(CHANNEL_TITLE)
    channel = title_node.text(strip=True) if title_node is not None else ""
    entries, ids = [], []
    for node in posts:
        if "service_message" in (node.attributes.get("class") or "") or node.css_first(SERVICE) is not None:
            continue  # "channel created", "pinned a message": not news
        entry, post_id = _post(node, channel)
        entries.append(entry)
        if post_id is not None:
            ids.append(post_id)
    entries.reverse()  # the page lists the oldest first
    feed = ParsedFeed(title=channel, entries=tuple(entries), link=url)
    return TelegramPage(feed, min(ids) if ids else None)


def _post(node: LexborNode, channel: str) -> tuple[FeedEntry, int | None]:
    key = node.attributes.get("data-post") or ""
    _, _, number = key.rpartition("/")
    date_link = node.css_first(POST_DATE)
    permalink = (date_link.attributes.get("href") if date_link is not None else None) or f"https://t.me/{key}"
    stamp = node.css_first("time[datetime]")
    parts = []
    forwarded = node.css_first(FORWARDED_FROM)
    if forwarded is not None:
        parts.append(f"<p>Forwarded from {html.escape(forwarded.text(strip=True))}</p>")
    message = _own(node, POST_TEXT)
    if message is not None:
        parts.append(f"<div>{message.inner_html or ''}</div>")
    parts.extend(f"<p>{html.escape(n.text(strip=True))}</p>" for n in node.css(ATTACHED_TEXT) if n.text(strip=True))
    content = "".join(parts)
    text = html_to_text(message.inner_html or "") if message is not None else ""
    signed = node.css_first(SIGNED_BY)
    authors = tuple(a for a in (channel, signed.text(strip=True) if signed is not None else "") if a)
    entry = FeedEntry(
        url=permalink,
        title=shorten(text.split("\n", 1)[0], TITLE_CHARS) if text else "",
        guid=permalink,
        content=content,
        published=_date(stamp.attributes.get("datetime") if stamp is not None else None),
        authors=authors,
    )
    return entry, int(number) if number.isdigit() else None


def _own(node: LexborNode, selector: str) -> LexborNode | None:
    """Return the first ``selector`` of a post that is not inside the post it quotes as a reply."""
    for found in node.css(selector):
        parent = found.parent
        while parent is not None and parent != node:
            # (css_matches would look at the node's descendants too, so the class is checked by hand.)
            if QUOTED_REPLY in (parent.attributes.get("class") or "").split():
                break
            parent = parent.parent
        else:
            return found
    return None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def channel_page(url: str, before: int) -> str:
    """Return the preview page of the posts older than ``before``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?before={before}"
