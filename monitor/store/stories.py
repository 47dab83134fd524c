"""Stories: articles grouped as one event, their LSH band keys, and which topic/channel pairs already alerted.

The near-duplicate index lives in SQLite (``story_bands``: one row per article and band), so it survives restarts
and is queried with 32 index lookups per article instead of being rebuilt in memory at startup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.models import Article
from monitor.store.articles import insert_article, mark_seen
from monitor.store.db import Db
from monitor.store.deliveries import HitPlan, UpdateIntent, insert_delivery, live_alerts, record_hits
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


@dataclass(frozen=True, slots=True)
class StoryState:
    """What deciding a new member's alerts needs to know of its story: read before the write, decided apart."""

    story_id: int | None = None  # None: the article starts a new story
    alerted: frozenset[tuple[str, str]] = frozenset()  # (topic, channel) pairs with a live alert of the story
    outlets: int = 1  # the story's outlets once the article has joined


def story_state(db: Db, member: Membership) -> StoryState:
    """Return the state of the story ``member`` joins, counting the member's outlet among its outlets."""
    if member.story_id is None:
        return StoryState()
    outlets = {*outlets_of(db, member.story_id), member.outlet}
    return StoryState(member.story_id, frozenset(live_alerts(db, member.story_id)), len(outlets))


def story_update_id(story_id: int, topic_id: str, channel_id: str) -> str:
    """Return the alert id of a story's one update on a topic and channel."""
    digest = hashlib.sha256(f"{story_id}\n{topic_id}\n{channel_id}".encode()).hexdigest()[:24]
    return f"{UPDATE_PREFIX}{digest}"


def hit_topics(db: Db, article_id: int) -> set[str]:
    """Return the topics that already hit an article."""
    return {r[0] for r in db.execute("SELECT topic_id FROM hits WHERE article_id = ?", [article_id]).fetchall()}


def add_member(db: Db, article_id: int, member: Membership, now: datetime) -> int:
    """Record a stored article in its story (starting one when ``member.story_id`` is None); return the story id.

    Its earlier alerts join the story's "one alert per topic and channel", unless the story has live ones there.
    """
    with db.transaction():
        story_id = _join(db, article_id, member, now)
        db.execute(
            "UPDATE deliveries SET story_id = ? WHERE story_id IS NULL AND alert_id NOT LIKE ?"
            " AND hit_id IN (SELECT id FROM hits WHERE article_id = ?) AND NOT EXISTS (SELECT 1 FROM deliveries o"
            " WHERE o.story_id = ? AND o.topic_id = deliveries.topic_id AND o.channel_id = deliveries.channel_id"
            " AND o.status NOT IN ('failed', 'dead'))",
            [story_id, f"{UPDATE_PREFIX}%", article_id, story_id],
        )
    return story_id


def _join(db: Db, article_id: int, member: Membership, now: datetime) -> int:
    story_id = member.story_id
    if story_id is None:
        story_id = db.execute(
            "INSERT INTO stories (first_article_id, created_at, updated_at) VALUES (?, ?, ?) RETURNING id",
            [article_id, now.isoformat(), now.isoformat()],
        ).fetchone()[0]
    else:
        db.execute("UPDATE stories SET updated_at = ? WHERE id = ?", [now.isoformat(), story_id])
    db.execute(
        "INSERT INTO story_articles"
        " (article_id, story_id, outlet, url_key, fingerprint, similarity, signature, joined_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (article_id) DO UPDATE SET story_id = excluded.story_id,"
        " outlet = excluded.outlet, url_key = excluded.url_key, fingerprint = excluded.fingerprint,"
        " similarity = excluded.similarity, signature = excluded.signature, joined_at = excluded.joined_at",
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
    return int(story_id)


def save_in_story(
    db: Db,
    article: Article,
    *,
    url: str,
    link: str,
    source_id: str,
    item_key: str,
    member: Membership,
    plan: HitPlan,
    now: datetime,
) -> StorySaved:
    """Store a new article in its story with the hits and deliveries of ``plan``, in one transaction.

    The plan was decided from ``story_state``; an alert that another writer queued for the story since is refused
    by the schema and reported as suppressed, like those the plan kept quiet.
    """
    with db.transaction():
        article_id, is_new = insert_article(
            db, article, url=url, link=link, source_id=source_id, now=now, fingerprint=member.fingerprint
        )
        mark_seen(db, source_id, item_key, article_id, now)
        if not is_new:
            return StorySaved(article_id, False)
        story_id = _join(db, article_id, member, now)
        recorded = record_hits(db, article_id=article_id, plan=plan, now=now, story_id=story_id)
        updates = _queue_updates(db, story_id, recorded.hit_ids, plan.updates, now)
    return StorySaved(
        article_id,
        True,
        story_id,
        member.story_id is not None,
        len(recorded.hit_ids),
        len(recorded.alerts),
        updates,
        [*plan.suppressed, *((a.topic_id, a.channel_id) for a in recorded.refused)],
    )


def _queue_updates(
    db: Db, story_id: int, hit_ids: Mapping[str, int], updates: Sequence[UpdateIntent], now: datetime
) -> int:
    """Queue the planned story updates, each with this article's hit on its topic; one per story, topic and channel."""
    queued = 0
    for update in updates:
        hit_id = hit_ids.get(update.topic_id)
        if hit_id is None:
            continue
        claimed = db.execute(
            "INSERT INTO story_updates (story_id, topic_id, channel_id, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING story_id",
            [story_id, update.topic_id, update.channel_id, now.isoformat()],
        ).fetchone()
        if claimed is None:
            continue  # one update per story, topic and channel, ever
        delivery_id = insert_delivery(
            db, hit_id, update.channel_id, update.alert_id, now, story=(None, update.topic_id)
        )
        if delivery_id is None:
            continue  # that alert id exists already
        db.execute(
            "UPDATE story_updates SET delivery_id = ? WHERE story_id = ? AND topic_id = ? AND channel_id = ?",
            [delivery_id, story_id, update.topic_id, update.channel_id],
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
    plan: HitPlan,
    now: datetime,
) -> Revision:
    """Replace a stored article's title and text, move its story signature, and record the hits of ``plan``.

    The plan holds the topics the article newly matches (those of ``hit_topics`` keep their one hit and alert) and
    their alerts, decided from ``story_state``. The FTS index follows the articles table through its triggers. One
    transaction.
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
        recorded = record_hits(db, article_id=old.article_id, plan=plan, now=now, story_id=story_id)
    return Revision(
        story_id,
        len(recorded.hit_ids),
        len(recorded.alerts),
        tuple(recorded.hit_ids),
        [*plan.suppressed, *((a.topic_id, a.channel_id) for a in recorded.refused)],
    )


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
        db.execute(f"INSERT INTO story_bands (key, article_id) VALUES {rows} ON CONFLICT DO NOTHING", values)
