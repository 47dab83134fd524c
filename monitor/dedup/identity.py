"""Which feed items are the same item: per-source identity (guid, URL or content) and when a feed lies (pure).

Most feeds give each item a stable guid. Some reuse guids for different items (a CMS numbering slots, a guid
that is the feed's own URL) and would hide new stories; others mint a new guid for the same item on every edit or
every poll and would cost a page fetch per item per poll. The evidence is in one poll compared with what we saw
before, so the judgement is pure and the store only remembers the verdict.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.dedup.signature import MIN_SHINGLES, SHINGLE_WORDS, normalize_text, phrase_hashes
from monitor.dedup.urls import url_key
from monitor.models import FeedEntry

GUID, URL, CONTENT = "guid", "url", "content"
IDENTITIES = (GUID, URL, CONTENT)
# Headlines sharing less than this fraction of their words are different items, not one headline edited.
SAME_TITLE = 0.5
# New guids for links already seen, in one poll, before a source counts as minting guids: one could be an item
# legitimately re-posted; two or more that are also half of the poll's new guids are a habit.
MIN_UNSTABLE = 2
# Bodies whose 4-word phrases overlap at least this much (exact Jaccard) are the same text lightly edited (a typo,
# a timestamp); below it an article was rewritten and its stored text is replaced. One word changed alters at most
# 2 * SHINGLE_WORDS phrases, which in a short article is below SAME_TEXT: that alone is never a rewrite either
# (bodies too short to compare by phrases, under MIN_SHINGLES, count as rewritten on any change).
SAME_TEXT = 0.95
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class SeenItem:
    """An item of the source processed before: its key, link key and title (None for rows older than m006)."""

    key: str
    link_key: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A new identity for a source's items and why."""

    identity: str
    reason: str


def item_key(entry: FeedEntry, identity: str = GUID) -> str:
    """Return the identity of a feed item within its source under the source's identity scheme."""
    if identity == URL and entry.url:
        return "url:" + url_key(entry.url)
    if identity == CONTENT:
        title = normalize_text(entry.title)
        digest = hashlib.sha256(f"{url_key(entry.url)}\n{title}".encode()).hexdigest()[:32]
        return "content:" + digest
    return entry.guid or entry.url


def entry_hash(entry: FeedEntry) -> str:
    """Return a hash of what a feed says about an item (title and text, not dates): a change means re-fetch."""
    text = normalize_text(_TAG.sub(" ", f"{entry.title}\n{entry.summary}\n{entry.content}"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def titles_differ(first: str, second: str) -> bool:
    """Return whether two headlines are different items rather than one headline edited."""
    a, b = set(normalize_text(first).split()), set(normalize_text(second).split())
    if not a or not b:
        return False  # no headline is no evidence
    return len(a & b) / len(a | b) < SAME_TITLE


def judge_identity(
    identity: str,
    entries: Sequence[FeedEntry],
    seen_keys: Mapping[str, SeenItem],
    seen_links: Mapping[str, SeenItem],
) -> Verdict | None:
    """Return a weaker identity for a source whose feed shows it lies about item identity, else None.

    ``seen_keys`` holds the stored items under the keys the entries have now, ``seen_links`` the stored items
    by link key. The order is guid → url → content; a source never goes back (a lie seen once is remembered).
    """
    if identity == GUID:
        return _reused_guid(entries, seen_keys) or _unstable_guid(entries, seen_keys, seen_links)
    if identity == URL:
        return _reused_link(entries)
    return None


def _reused_guid(entries: Sequence[FeedEntry], seen_keys: Mapping[str, SeenItem]) -> Verdict | None:
    by_guid: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.guid and entry.url:
            by_guid[entry.guid].add(url_key(entry.url))
    for guid, links in by_guid.items():
        if len(links) > 1:
            return Verdict(URL, f"guid {guid!r} names {len(links)} different links in one feed")
    # One guid that now names another link under another headline is enough: missing a story for good is worse
    # than the alternative when we are wrong (a slug rewritten with its headline becomes a second article, which
    # joins the first one's story and does not alert again).
    for entry in entries:
        old = seen_keys.get(entry.guid or "")
        if old is None or old.link_key is None or not entry.url:
            continue
        if old.link_key != url_key(entry.url) and titles_differ(old.title or "", entry.title):
            return Verdict(URL, f"guid {entry.guid!r} was {old.title!r} and is now {entry.title!r} at another link")
    return None


def _unstable_guid(
    entries: Sequence[FeedEntry], seen_keys: Mapping[str, SeenItem], seen_links: Mapping[str, SeenItem]
) -> Verdict | None:
    new = [e for e in entries if e.guid and e.url and e.guid not in seen_keys]
    moved = [e for e in new if (old := seen_links.get(url_key(e.url))) is not None and old.key != e.guid]
    if len(moved) >= MIN_UNSTABLE and 2 * len(moved) >= len(new):
        return Verdict(URL, f"{len(moved)} of {len(new)} new guids are for links already seen")
    return None


def _reused_link(entries: Sequence[FeedEntry]) -> Verdict | None:
    by_link: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if entry.url:
            by_link[url_key(entry.url)].append(entry.title)
    for link, titles in by_link.items():
        if any(titles_differ(titles[0], other) for other in titles[1:]):
            return Verdict(CONTENT, f"link {link!r} carries {len(titles)} different items in one feed")
    return None


def text_similarity(old: str, new: str) -> float:
    """Return the exact Jaccard similarity of two bodies' 4-word phrases (1.0 for equal normalised text)."""
    return _compare(old, new)[0]


def materially_changed(old: str, new: str) -> bool:
    """Return whether a re-fetched body is a rewrite of the stored one rather than the same text touched up."""
    similarity, changed = _compare(old, new)
    return similarity < SAME_TEXT and changed > 2 * SHINGLE_WORDS


def _compare(old: str, new: str) -> tuple[float, int]:
    """Return the Jaccard similarity of two bodies' phrase sets and how many phrases are in only one of them."""
    if normalize_text(old) == normalize_text(new):
        return 1.0, 0
    first, second = phrase_hashes(old), phrase_hashes(new)
    shared = np.intersect1d(first, second, assume_unique=True).size
    union = first.size + second.size - shared
    if first.size < MIN_SHINGLES or second.size < MIN_SHINGLES:
        return 0.0, max(union - shared, 2 * SHINGLE_WORDS + 1)  # a short text that changed at all changed materially
    return shared / union, union - shared
