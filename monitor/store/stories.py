"""Stories: articles grouped as one event, their LSH band keys, and which topic/channel pairs already alerted.

The near-duplicate index lives in SQLite (``story_bands``: one row per article and band), so it survives restarts
and is queried with 32 index lookups per article instead of being rebuilt in memory at startup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.models import Article, Match
from monitor.store.articles import save_article
from monitor.store.db import Db
from monitor.store.deliveries import record_hits
from monitor.store.story_queries import outlets_of

# The most similar articles by shared bands are checked; more would only cost time on boilerplate-heavy bodies.
MAX_CANDIDATES = 50
UPDATE_PREFIX = "msg_story_"


@dataclass(frozen=True, slots=True)
class Membership:
    """How a new article joins the story index: computed by the dedup stage, written here."""

    story_id: int | None  # None: the article starts a new story
    outlet: str
    url_key: str
    fingerprint: str
    signature: bytes
    band_keys: Sequence[int] = ()
    similarity: float = 0.0


@dataclass(frozen=True, slots=True)
class StorySaved:
    """What saving an article in its story did."""

    article_id: int
    is_new: bool
    story_id: int | None = None
    joined: bool = False  # True: an existing story grew; False: a new story started
    hits: int = 0
    deliveries: int = 0
    updates: int = 0
    suppressed: list[tuple[str, str]] = field(default_factory=list)  # (topic, channel) already alerted


def find_same_article(db: Db, url_key: str, fingerprint: str, outlet: str) -> int | None:
    """Return a stored article that is this one: the same URL key, or the same body on the same site."""
    row = db.execute("SELECT article_id FROM story_articles WHERE url_key = ? LIMIT 1", [url_key]).fetchone()
    if row is None:
        row = db.execute(
            "SELECT article_id FROM story_articles WHERE fingerprint = ? AND outlet = ? LIMIT 1", [fingerprint, outlet]
        ).fetchone()
    return int(row[0]) if row else None


def story_candidates(db: Db, band_keys: Sequence[int]) -> list[tuple[int, int, bytes]]:
    """Return (article id, story id, signature) of stored articles sharing a band, most shared bands first."""
    if not band_keys:
        return []
    marks = ", ".join("?" for _ in band_keys)
    rows = db.execute(
        "SELECT sa.article_id, sa.story_id, sa.signature FROM ("
        f"  SELECT article_id, count(*) AS shared FROM story_bands WHERE key IN ({marks})"
        "   GROUP BY article_id ORDER BY shared DESC LIMIT ?"
        ") b JOIN story_articles sa ON sa.article_id = b.article_id ORDER BY b.shared DESC",
        [*band_keys, MAX_CANDIDATES],
    ).fetchall()
    return [(int(a), int(s), bytes(sig)) for a, s, sig in rows if sig is not None]


def alerted_pairs(db: Db, story_id: int) -> set[tuple[str, str]]:
    """Return the (topic, channel) pairs that already have an alert for some article of the story.

    An alert that failed for good (failed, dead) does not count: the next article of the story is alerted there
    instead of the story staying silent on that channel forever.
    """
    rows = db.execute(
        "SELECT DISTINCT h.topic_id, d.channel_id FROM story_articles sa"
        " JOIN hits h ON h.article_id = sa.article_id JOIN deliveries d ON d.hit_id = h.id"
        " WHERE sa.story_id = ? AND d.status NOT IN ('failed', 'dead')",
        [story_id],
    ).fetchall()
    return {(t, c) for t, c in rows}


def add_member(db: Db, article_id: int, member: Membership, now: datetime) -> int:
    """Record ``article_id`` in its story (starting one when ``member.story_id`` is None); return the story id."""
    with db.transaction():
        story_id = member.story_id
        if story_id is None:
            story_id = db.execute(
                "INSERT INTO stories (first_article_id, created_at, updated_at) VALUES (?, ?, ?) RETURNING id",
                [article_id, now.isoformat(), now.isoformat()],
            ).fetchone()[0]
        else:
            db.execute("UPDATE stories SET updated_at = ? WHERE id = ?", [now.isoformat(), story_id])
        db.execute(
            "INSERT OR REPLACE INTO story_articles"
            " (article_id, story_id, outlet, url_key, fingerprint, similarity, signature, joined_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                article_id,
                story_id,
                member.outlet,
                member.url_key,
                member.fingerprint,
                member.similarity,
                member.signature,
                now.isoformat(),
            ],
        )
        _insert_bands(db, article_id, member.band_keys)
    return story_id


def save_in_story(
    db: Db,
    article: Article,
    *,
    url: str,
    link: str,
    source_id: str,
    item_key: str,
    matches: Sequence[Match],
    topic_titles: dict[str, str],
    channels_for: Callable[[str, float], list[str]],
    member: Membership,
    updates_for: Callable[[str, int], list[str]],
    now: datetime,
) -> StorySaved:
    """Store a new article with its hits in its story, in one transaction.

    A topic/channel pair that already alerted for the story gets the hit recorded but no delivery; once the story
    reaches the outlets ``updates_for(topic, outlets)`` asks for, that channel gets one story-update delivery.
    """
    with db.transaction():
        alerted = alerted_pairs(db, member.story_id) if member.story_id is not None else set()
        suppressed: list[tuple[str, str]] = []

        def routed(topic_id: str, score: float) -> list[str]:
            channels = channels_for(topic_id, score)
            suppressed.extend((topic_id, c) for c in channels if (topic_id, c) in alerted)
            return [c for c in channels if (topic_id, c) not in alerted]

        saved = save_article(
            db,
            article,
            url=url,
            link=link,
            source_id=source_id,
            item_key=item_key,
            matches=matches,
            topic_titles=topic_titles,
            channels_for=routed,
            now=now,
            fingerprint=member.fingerprint,
        )
        if not saved.is_new:
            return StorySaved(saved.article_id, False)
        story_id = add_member(db, saved.article_id, member, now)
        updates = 0
        if member.story_id is not None:
            updates = _queue_updates(db, story_id, saved.article_id, matches, alerted, updates_for, now)
    return StorySaved(
        saved.article_id,
        True,
        story_id,
        member.story_id is not None,
        saved.hits,
        saved.deliveries,
        updates,
        suppressed,
    )


def _queue_updates(
    db: Db,
    story_id: int,
    article_id: int,
    matches: Sequence[Match],
    alerted: set[tuple[str, str]],
    updates_for: Callable[[str, int], list[str]],
    now: datetime,
) -> int:
    """Queue one story-update delivery per topic and channel that alerted for the story and asks for updates."""
    outlets = len(outlets_of(db, story_id))
    queued = 0
    for match in matches:
        hit = db.execute(
            "SELECT id FROM hits WHERE article_id = ? AND topic_id = ?", [article_id, match.topic_id]
        ).fetchone()
        if hit is None:
            continue
        for channel_id in updates_for(match.topic_id, outlets):
            if (match.topic_id, channel_id) not in alerted:
                continue  # the story never alerted there: there is nothing to update
            claimed = db.execute(
                "INSERT OR IGNORE INTO story_updates (story_id, topic_id, channel_id, created_at) VALUES (?, ?, ?, ?)",
                [story_id, match.topic_id, channel_id, now.isoformat()],
            )
            if claimed.rowcount == 0:
                continue  # one update per story, topic and channel, ever
            digest = hashlib.sha256(f"{story_id}\n{match.topic_id}\n{channel_id}".encode()).hexdigest()[:24]
            inserted = db.execute(
                "INSERT INTO deliveries (hit_id, channel_id, alert_id, status, attempts, created_at, queued_at)"
                " VALUES (?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                [hit[0], channel_id, f"{UPDATE_PREFIX}{digest}", now.isoformat(), now.isoformat()],
            ).fetchone()
            if inserted is None:
                continue  # that alert id exists already
            db.execute(
                "UPDATE story_updates SET delivery_id = ? WHERE story_id = ? AND topic_id = ? AND channel_id = ?",
                [inserted[0], story_id, match.topic_id, channel_id],
            )
            queued += 1
    return queued


@dataclass(frozen=True, slots=True)
class StoredBody:
    """What is stored of an article: its canonical URL, title, text, and its story and signature if it has one."""

    article_id: int
    url: str
    title: str
    text: str
    story_id: int | None
    signature: bytes | None


def stored_body(db: Db, article_id: int) -> StoredBody | None:
    """Return the stored text of an article with its story membership (None if there is no such article)."""
    row = db.execute(
        "SELECT a.id, a.url, a.title, a.text, sa.story_id, sa.signature FROM articles a"
        " LEFT JOIN story_articles sa ON sa.article_id = a.id WHERE a.id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        return None
    return StoredBody(int(row[0]), row[1], row[2] or "", row[3] or "", row[4], bytes(row[5]) if row[5] else None)


@dataclass(frozen=True, slots=True)
class Revision:
    """What replacing an article's text did: hits for topics it newly matches, and their deliveries."""

    story_id: int
    hits: int = 0
    deliveries: int = 0
    topics: tuple[str, ...] = ()
    suppressed: list[tuple[str, str]] = field(default_factory=list)


def revise_article(
    db: Db,
    old: StoredBody,
    article: Article,
    *,
    member: Membership,
    old_band_keys: Sequence[int],
    matches: Sequence[Match],
    topic_titles: dict[str, str],
    channels_for: Callable[[str, float], list[str]],
    now: datetime,
) -> Revision:
    """Replace a stored article's title and text, move its story signature, and record hits for new topics only.

    A topic the article matched before keeps its one hit (and alert); a topic it matches for the first time is
    alerted unless another article of its story already alerted that topic on that channel. The FTS index follows
    the articles table through its triggers. One transaction.
    """
    with db.transaction():
        db.execute(
            "UPDATE articles SET title = ?, text = ?, summary = coalesce(?, summary), content_hash = ?, revised_at = ?"
            " WHERE id = ?",
            [
                article.title or old.title,
                article.text,
                article.description,
                member.fingerprint,
                now.isoformat(),
                old.article_id,
            ],
        )
        if old.story_id is None:  # stored before stories existed: it joins one now
            story_id = add_member(db, old.article_id, member, now)
        else:
            story_id = old.story_id
            _move_signature(db, old.article_id, member, old_band_keys)
            db.execute("UPDATE stories SET updated_at = ? WHERE id = ?", [now.isoformat(), story_id])
        known = {r[0] for r in db.execute("SELECT topic_id FROM hits WHERE article_id = ?", [old.article_id])}
        new = [m for m in matches if m.topic_id not in known]
        alerted = alerted_pairs(db, story_id)
        suppressed: list[tuple[str, str]] = []

        def routed(topic_id: str, score: float) -> list[str]:
            channels = channels_for(topic_id, score)
            suppressed.extend((topic_id, c) for c in channels if (topic_id, c) in alerted)
            return [c for c in channels if (topic_id, c) not in alerted]

        hits, deliveries = record_hits(
            db,
            article_id=old.article_id,
            article_url=old.url,
            matches=new,
            topic_titles=topic_titles,
            channels_for=routed,
            now=now,
        )
    return Revision(story_id, hits, deliveries, tuple(m.topic_id for m in new), suppressed)


def _move_signature(db: Db, article_id: int, member: Membership, old_band_keys: Sequence[int]) -> None:
    """Point an article's story row and band keys at its new text (the band table has no article index)."""
    db.execute(
        "UPDATE story_articles SET fingerprint = ?, signature = ? WHERE article_id = ?",
        [member.fingerprint, member.signature, article_id],
    )
    if old_band_keys:
        marks = ", ".join("?" for _ in old_band_keys)
        db.execute(f"DELETE FROM story_bands WHERE article_id = ? AND key IN ({marks})", [article_id, *old_band_keys])
    _insert_bands(db, article_id, member.band_keys)


def _insert_bands(db: Db, article_id: int, band_keys: Sequence[int]) -> None:
    if band_keys:  # one statement for all bands: twice as fast as executemany
        rows = ", ".join("(?, ?)" for _ in band_keys)
        values = [v for key in band_keys for v in (key, article_id)]
        db.execute(f"INSERT OR IGNORE INTO story_bands (key, article_id) VALUES {rows}", values)
