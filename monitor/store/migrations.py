"""The versioned schema: steps applied in the order ``STEPS`` lists; later issues append steps, never edit applied ones.

A step's name is what ``_sqlite_migrations`` records, so names never change. Their numbers are not their order: m004
and m005 were written (and applied to databases in use) before m003, m007 before m006. ``STEPS`` is the one place
that says the order; to add a step, write its function below and append it to ``STEPS``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database, Migrations


def m001_initial(db: Database) -> None:
    """Sources with fetch state, seen feed items, articles with FTS, hits and the delivery outbox."""
    db.table("sources").create(
        {
            "id": str,
            "name": str,
            "url": str,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_polled_at": str,
            "last_success_at": str,
            "last_status": int,
            "last_error": str,
            "consecutive_failures": int,
            "entries_seen": int,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "url"},
        defaults={"consecutive_failures": 0, "entries_seen": 0},
    )
    db.table("articles").create(
        {
            "id": int,
            "url": str,
            "link": str,
            "source_id": str,
            "title": str,
            "text": str,
            "summary": str,
            "authors": str,
            "published": str,
            "language": str,
            "site_name": str,
            "content_hash": str,
            "fetched_at": str,
        },
        pk="id",
        not_null={"url", "title", "text"},
    )
    db.table("articles").create_index(["url"], unique=True)
    db.table("articles").create_index(["published"])
    db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2")
    db.table("seen_items").create(
        {"source_id": str, "item_key": str, "article_id": int, "first_seen_at": str},
        pk=("source_id", "item_key"),
    )
    db.table("hits").create(
        {
            "id": int,
            "topic_id": str,
            "topic_title": str,
            "article_id": int,
            "score": float,
            "terms": str,
            "snippets": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"topic_id", "article_id"},
    )
    db.table("hits").create_index(["topic_id", "article_id"], unique=True)
    db.table("deliveries").create(
        {
            "id": int,
            "hit_id": int,
            "channel_id": str,
            "alert_id": str,
            "status": str,
            "attempts": int,
            "last_error": str,
            "next_attempt_at": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        foreign_keys=[("hit_id", "hits", "id")],
        not_null={"hit_id", "channel_id", "alert_id", "status"},
        defaults={"attempts": 0, "status": "pending"},
    )
    db.table("deliveries").create_index(["hit_id", "channel_id"], unique=True)
    db.table("deliveries").create_index(["alert_id"], unique=True)
    db.table("deliveries").create_index(["status", "next_attempt_at"])


def m002_source_health(db: Database) -> None:
    """Per-source health and scheduling: next poll, backoff, disabling, moved URL, publishing rhythm."""
    table = db.table("sources")
    for column, kind in (
        ("current_url", str),  # where the feed really is after a 301/308 or autodiscovery; used for the next poll
        ("discovered_from", str),  # the configured page URL when current_url was found by autodiscovery
        ("next_poll_at", str),
        ("backoff_seconds", float),
        ("retry_after_until", str),
        ("min_interval_seconds", float),  # the feed's own lower bound (ttl, sy:updatePeriod, Cache-Control)
        ("disabled", int),
        ("disabled_reason", str),
        ("last_error_at", str),
        ("last_new_item_at", str),
        ("average_gap_seconds", float),
    ):
        table.add_column(column, kind)
    db.execute("UPDATE sources SET disabled = 0 WHERE disabled IS NULL")
    table.create_index(["next_poll_at"])


def m004_delivery(db: Database) -> None:
    """Delivery outbox v2: dead letters, digests (held and bundled deliveries), the route that decided each one."""
    table = db.table("deliveries")
    for column, kind in (
        ("queued_at", str),  # when the delivery (re-)entered the queue: the give-up clock starts here
        ("route", int),  # index of the route that decided how it went (instant, held for a digest)
        ("hold_until", str),  # a held delivery waits for its digest until then
        ("digest_id", str),  # the digest message it went out in (the webhook-id / Message-ID of the digest)
        ("outcome", str),  # the receiver's answer, e.g. "HTTP 204"
    ):
        table.add_column(column, kind)
    db.execute("UPDATE deliveries SET queued_at = created_at WHERE queued_at IS NULL")
    table.create_index(["channel_id", "status", "next_attempt_at"])
    table.create_index(["status", "hold_until"])
    table.create_index(["digest_id"])


def m005_ops(db: Database) -> None:
    """Incremental vacuum (retention frees pages without a blocking VACUUM), a heartbeat row, retention indexes.

    Not transactional: switching an existing database to incremental auto-vacuum needs one VACUUM, once.
    """
    db.execute("CREATE TABLE IF NOT EXISTS heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_articles_fetched_at ON articles (fetched_at)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_hits_created_at ON hits (created_at)")
    if db.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute("VACUUM")


def m003_stories(db: Database) -> None:
    """Stories of near-duplicate articles: members with MinHash signatures, LSH band keys, story-update alerts.

    ``story_bands`` has no foreign key on purpose: rows of deleted articles are skipped by the join on
    ``story_articles`` (which cascades), so pruning articles never has to scan the band index.
    """
    db.execute(
        "CREATE TABLE stories (id INTEGER PRIMARY KEY, first_article_id INTEGER NOT NULL,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_stories_updated_at ON stories (updated_at)")
    db.execute(
        "CREATE TABLE story_articles (article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,"
        " story_id INTEGER NOT NULL, outlet TEXT NOT NULL, url_key TEXT, fingerprint TEXT, similarity REAL,"
        " signature BLOB, joined_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_story_articles_story ON story_articles (story_id)")
    db.execute("CREATE INDEX idx_story_articles_url_key ON story_articles (url_key)")
    db.execute("CREATE INDEX idx_story_articles_fingerprint ON story_articles (fingerprint)")
    db.execute(
        "CREATE TABLE story_bands (key INTEGER NOT NULL, article_id INTEGER NOT NULL,"
        " PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE story_updates (story_id INTEGER NOT NULL, topic_id TEXT NOT NULL, channel_id TEXT NOT NULL,"
        " delivery_id INTEGER, created_at TEXT NOT NULL, PRIMARY KEY (story_id, topic_id, channel_id))"
    )
    db.execute("CREATE INDEX idx_story_updates_delivery ON story_updates (delivery_id)")


def m007_meta_alerts(db: Database) -> None:
    """Notices (spike and monitor.health alerts, not tied to an article) with their own outbox, the state of
    health conditions (so each alerts once, reminds daily and recovers), and per-channel delivery health."""
    db.execute(
        "CREATE TABLE notices (id INTEGER PRIMARY KEY, notice_id TEXT NOT NULL UNIQUE, topic_id TEXT NOT NULL,"
        " topic_title TEXT NOT NULL, condition TEXT NOT NULL, subject TEXT NOT NULL, state TEXT NOT NULL,"
        " title TEXT NOT NULL, text TEXT NOT NULL, facts TEXT, since TEXT, created_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_notices_topic ON notices (condition, subject, created_at)")
    db.execute(
        "CREATE TABLE notice_deliveries (id INTEGER PRIMARY KEY,"
        " notice_id INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE, channel_id TEXT NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
        " next_attempt_at TEXT, queued_at TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT, outcome TEXT,"
        " UNIQUE (notice_id, channel_id))"
    )
    db.execute("CREATE INDEX idx_notice_deliveries_due ON notice_deliveries (status, next_attempt_at)")
    db.execute(
        "CREATE TABLE monitor_conditions (key TEXT PRIMARY KEY, condition TEXT NOT NULL, subject TEXT NOT NULL,"
        " started_at TEXT NOT NULL, last_notified_at TEXT NOT NULL, detail TEXT)"
    )
    db.execute(
        "CREATE TABLE channel_health (channel_id TEXT PRIMARY KEY, consecutive_failures INTEGER NOT NULL DEFAULT 0,"
        " last_error TEXT, last_failure_at TEXT, last_success_at TEXT)"
    )


def m006_item_identity(db: Database) -> None:
    """Per-source item identity (guid, url or content) and what each seen item looked like, so a feed that reuses
    or mints guids is noticed and a changed item re-fetched; when an article's stored text was last revised."""
    sources = db.table("sources")
    sources.add_column("item_identity", str)  # NULL: the feed's guids (the default); "url" or "content" once lied
    sources.add_column("item_identity_reason", str)
    seen = db.table("seen_items")
    for column in ("link_key", "title", "entry_hash", "checked_at"):
        seen.add_column(column, str)
    seen.create_index(["source_id", "link_key"])
    db.table("articles").add_column("revised_at", str)


def m008_item_outcomes(db: Database) -> None:
    """Every processed feed item's outcome and how it got there (page fetch, extraction, where its text came from),
    so no item is dropped silently and ``monitor trace`` can say why an item did or did not alert."""
    seen = db.table("seen_items")
    for column, kind in (
        ("outcome", str),  # new, duplicate, revised, unchanged, not_article, failed
        ("detail", str),  # the reason in words: "headline only: page 403", "same article as #12", an error
        ("link", str),  # the item's link as the feed gave it
        ("text_from", str),  # page, feed content, feed summary, headline
        ("text_chars", int),
        ("page_url", str),  # where the page fetch ended (after redirects)
        ("page_status", int),
        ("page_bytes", int),
        ("page_error", str),  # why the page could not be had (FetchError reason and message)
        ("skip_reason", str),  # why the extractor found no article body on the page
        ("attempts", int),  # processing attempts that failed, and page re-fetches tried
        ("retry_at", str),  # when to try the item's page again (it failed, the feed's text stood in)
        ("updated_at", str),
    ):
        seen.add_column(column, kind)
    db.execute("CREATE INDEX idx_seen_items_outcome ON seen_items (source_id, outcome)")
    db.execute("CREATE INDEX idx_seen_items_retry ON seen_items (retry_at) WHERE retry_at IS NOT NULL")


def m009_hit_semantic(db: Database) -> None:
    """Why a hit matched by meaning (similarity, nearest example) as JSON; NULL for hits of the query alone."""
    db.table("hits").add_column("semantic", str)


def m010_one_alert_per_story(db: Database) -> None:
    """One live alert per story, topic and channel, as a UNIQUE index instead of a read before each write.

    Each alert delivery carries its story and topic (``story_id`` stays NULL on story updates, which
    ``story_updates`` keys, and on alerts of articles in no story). The index leaves out alerts that failed for good
    (failed, dead): the story's next article is alerted there instead. An existing database may hold several live
    alerts of one story, topic and channel (two processes raced, or a retried alert): the oldest keeps the story,
    the later ones keep their status and history but get no ``story_id``, so nothing is deleted or re-sent.
    """
    table = db.table("deliveries")
    table.add_column("story_id", int)
    table.add_column("topic_id", str)
    db.execute("UPDATE deliveries SET topic_id = (SELECT h.topic_id FROM hits h WHERE h.id = deliveries.hit_id)")
    db.execute(
        "UPDATE deliveries SET story_id = (SELECT sa.story_id FROM hits h"
        " JOIN story_articles sa ON sa.article_id = h.article_id WHERE h.id = deliveries.hit_id)"
        " WHERE NOT EXISTS (SELECT 1 FROM story_updates su WHERE su.delivery_id = deliveries.id)"
        " AND alert_id NOT LIKE 'msg_story_%'"
    )
    db.execute(
        "UPDATE deliveries SET story_id = NULL WHERE story_id IS NOT NULL AND status NOT IN ('failed', 'dead')"
        " AND EXISTS (SELECT 1 FROM deliveries o WHERE o.story_id = deliveries.story_id"
        " AND o.topic_id = deliveries.topic_id AND o.channel_id = deliveries.channel_id"
        " AND o.status NOT IN ('failed', 'dead') AND o.id < deliveries.id)"
    )
    # Joining a story adopts the article's earlier alerts (stories.add_member): found through its hits.
    db.execute("CREATE INDEX IF NOT EXISTS idx_hits_article ON hits (article_id)")
    db.execute(
        "CREATE UNIQUE INDEX idx_deliveries_one_alert_per_story ON deliveries (story_id, topic_id, channel_id)"
        " WHERE story_id IS NOT NULL AND status NOT IN ('failed', 'dead')"
    )


def m011_leases(db: Database) -> None:
    """Leases (monitor.store.leases): which daemon polls a source or runs a periodic job when several share one
    database; a row expires, so a dead daemon's work is taken over."""
    db.execute("CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until TEXT NOT NULL)")
    db.execute("CREATE INDEX idx_leases_owner ON leases (owner, until)")


def m012_feedback(db: Database) -> None:
    """Relevance marks on hits (``monitor feedback``, signed links in alerts) and the store's own keys (the one
    that signs those links, so every daemon on the database accepts them)."""
    db.execute(
        "CREATE TABLE feedback (hit_id INTEGER PRIMARY KEY REFERENCES hits (id) ON DELETE CASCADE,"
        " topic_id TEXT NOT NULL, article_id INTEGER NOT NULL, relevant INTEGER NOT NULL, via TEXT NOT NULL,"
        " created_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_feedback_topic ON feedback (topic_id)")
    db.execute("CREATE TABLE store_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TEXT NOT NULL)")


def m013_route_keys(db: Database) -> None:
    """The route that decided a delivery by its stable key (config.RouteConfig.key), not by its position in the
    list, which a reordered config gives to another route. Old positions are mapped once, at the next start
    (store.adopt_route_keys); ``route`` stays for rows written before."""
    db.table("deliveries").add_column("route_key", str)


Step = Callable[[Database], None]

# The order of application: databases in use recorded these names in this order; append new steps at the end.
STEPS: tuple[Step, ...] = (
    m001_initial,
    m002_source_health,
    m004_delivery,
    m005_ops,
    m003_stories,
    m007_meta_alerts,
    m006_item_identity,
    m008_item_outcomes,
    m009_hit_semantic,
    m010_one_alert_per_story,
    m011_leases,
    m012_feedback,
    m013_route_keys,
)

# Steps that cannot run inside a transaction (VACUUM).
OUTSIDE_TRANSACTION: frozenset[Step] = frozenset({m005_ops})

migrations = Migrations("monitor")
for _step in STEPS:
    migrations(name=_step.__name__, transactional=_step not in OUTSIDE_TRANSACTION)(_step)
