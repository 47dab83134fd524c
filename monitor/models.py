"""Plain frozen values handed between stages. Imports nothing from monitor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, as the feed describes it (links already absolute)."""

    url: str
    title: str = ""
    guid: str | None = None
    summary: str = ""  # HTML or text from <description>/<summary>
    content: str = ""  # HTML from content:encoded / <content>, when the feed carries the full article
    published: datetime | None = None  # timezone-aware
    authors: tuple[str, ...] = ()
    date_text: str = ""  # the feed's date as written, kept when it could not be read (published is then None)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document."""

    title: str
    entries: tuple[FeedEntry, ...]
    link: str | None = None
    charset: str = "utf-8"  # the charset the body was read in
    problems: tuple[str, ...] = ()  # what looked wrong (a charset that lies, unreadable dates), for the user


@dataclass(frozen=True, slots=True)
class Article:
    """An extracted article. ``text`` is empty for pages that are not articles, with the reason in ``skip_reason``."""

    title: str
    text: str
    url: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None  # timezone-aware
    modified: datetime | None = None
    language: str | None = None  # ISO 639-1, e.g. "en", "ru", "ar"
    canonical_url: str | None = None
    site_name: str | None = None
    description: str | None = None
    section: str | None = None
    image: str | None = None
    paywalled: bool = False
    skip_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Semantic:
    """What a topic means in sentences: matched by embedding similarity of an article's headline and lead.

    ``about`` is a sentence or two saying what is on topic; ``examples`` are on-topic texts and
    ``counter_examples`` look-alikes that are not. ``must`` is a boolean query that a semantic hit must also meet.
    """

    about: str = ""
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    min_similarity: float = 0.86
    must: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """A watch-topic as the config declares it; the match stage compiles ``query``."""

    id: str
    title: str
    query: str
    description: str = ""
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    min_score: float = 0.0
    origin: str | None = None  # "file:line" the topic came from, for error messages
    semantic: Semantic | None = None  # also match by meaning when the optional extra ``semantic`` is installed


@dataclass(frozen=True, slots=True)
class MatchDocument:
    """What the matcher sees of an article."""

    title: str
    text: str
    source: str = ""
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SemanticHit:
    """Why a document is close to a topic: its best ``similarity`` (cosine) and what it was closest to.

    ``nearest`` reads ``about`` or ``example N`` (1-based, in the topic's order); ``counter`` is the similarity to
    the closest counter-example (0 when the topic has none).
    """

    similarity: float
    nearest: str
    counter: float = 0.0

    def describe(self) -> str:
        """Return the reason in words, e.g. ``similar to example 2 (0.86)``."""
        return f"similar to {self.nearest} ({self.similarity:.2f})"


@dataclass(frozen=True, slots=True)
class Match:
    """A topic that matched a document: score, the terms that matched and short snippets around them.

    ``semantic`` is set when the hit came from (or was checked against) the topic's meaning, not only its query.
    """

    topic_id: str
    score: float
    terms: tuple[str, ...]
    snippets: tuple[str, ...] = ()
    semantic: SemanticHit | None = None


@dataclass(frozen=True, slots=True)
class StoryRef:
    """The story an alerted article belongs to: its size (articles) and outlets (sites) as of sending.

    ``update`` marks the single follow-up alert sent when the story reached a route's ``story_updates`` outlets.
    """

    id: int
    size: int
    outlets: tuple[str, ...] = ()
    update: bool = False


@dataclass(frozen=True, slots=True)
class FeedbackLinks:
    """The signed links under an alert that mark its hit relevant or not (monitor.notify.feedback)."""

    relevant: str
    not_relevant: str


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert for one channel: a topic hit on an article. ``id`` is stable across retries."""

    id: str
    topic_id: str
    topic_title: str
    article_url: str
    article_title: str
    source: str
    score: float
    terms: tuple[str, ...]
    snippets: tuple[str, ...]
    created_at: datetime
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    summary: str = ""
    story: StoryRef | None = None
    semantic: SemanticHit | None = None  # set when the topic matched by meaning
    hit_id: int | None = None
    feedback: FeedbackLinks | None = None  # set when the health server can take marks


@dataclass(frozen=True, slots=True)
class Notice:
    """An alert that is not about one article: a topic's spike, or the monitor's own health (``monitor.health``).

    ``condition`` names what happened (``topic.spike``, ``source.failing``, ``source.silent``, ``channel.failing``,
    ``database.size``) and ``subject`` what it happened to; ``state`` is ``spike``, or ``started``, ``reminder`` and
    ``recovered`` for a health condition. ``id`` is stable across retries (webhook-id, Message-ID).
    """

    id: str
    topic_id: str
    topic_title: str
    condition: str
    subject: str
    state: str
    title: str
    text: str
    created_at: datetime
    facts: tuple[tuple[str, str], ...] = ()
    since: datetime | None = None
