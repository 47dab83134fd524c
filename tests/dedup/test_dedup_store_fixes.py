"""Regressions in the story store: a dead first alert, an update whose alert id exists, one transaction per article."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from dedup_helpers import TARTUS_WITHDRAWAL, add_article
from sqlite_utils import Database

from monitor.models import Match
from monitor.store import open_database
from monitor.store import stories as story_store

HIT = (Match(topic_id="bases", score=2.0, terms=("tartus",)),)


def hook(topic: str, score: float) -> list[str]:
    return ["hook"]


def update_hook(topic: str, outlets: int) -> list[str]:
    return ["hook"] if outlets >= 2 else []


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "fixes.db")
    yield database
    database.close()


@pytest.mark.parametrize("status", ["failed", "dead"])
def test_a_story_whose_first_alert_failed_for_good_alerts_with_its_next_article(db: Database, status: str) -> None:
    first = add_article(db, "https://one.example/tartus", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook)
    assert first.deliveries == 1
    db.execute("UPDATE deliveries SET status = ?", [status])
    second = add_article(db, "https://two.example/tartus", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook)
    assert second.joined
    assert (second.deliveries, second.suppressed) == (1, [])


def test_a_pending_first_alert_still_suppresses_the_next_article(db: Database) -> None:
    add_article(db, "https://one.example/tartus", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook)
    second = add_article(db, "https://two.example/tartus", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook)
    assert (second.deliveries, second.suppressed) == (0, [("bases", "hook")])


def test_an_update_whose_alert_id_exists_points_at_no_other_delivery(db: Database) -> None:
    first = add_article(db, "https://one.example/tartus", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook)
    story_id = first.story_id
    # The update's alert id is taken already (its story_updates row was pruned, its delivery kept).
    digest = hashlib.sha256(f"{story_id}\nbases\nhook".encode()).hexdigest()[:24]
    hit_id = db.execute("SELECT id FROM hits").fetchone()[0]
    db.execute(
        "INSERT INTO deliveries (hit_id, channel_id, alert_id, status, attempts, created_at, queued_at)"
        " VALUES (?, 'old', ?, 'sent', 1, '2025-01-01', '2025-01-01')",
        [hit_id, f"{story_store.UPDATE_PREFIX}{digest}"],
    )
    db.conn.commit()
    before = db.execute("SELECT id, queued_at FROM deliveries ORDER BY id").fetchall()

    second = add_article(
        db, "https://two.example/tartus", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook, updates_for=update_hook
    )
    assert second.updates == 0
    assert db.execute("SELECT delivery_id FROM story_updates").fetchall() == [(None,)]
    assert db.execute("SELECT id, queued_at FROM deliveries ORDER BY id").fetchall() == before


def test_an_article_is_stored_in_one_transaction_without_savepoints(db: Database) -> None:
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        saved = add_article(db, "https://one.example/tartus", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook)
    finally:
        db.conn.set_trace_callback(None)
    assert saved.is_new and saved.deliveries == 1
    assert [s for s in statements if s.upper().startswith(("BEGIN", "COMMIT"))] == ["BEGIN", "COMMIT"]
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]


def test_content_hash_holds_the_dedup_fingerprint(db: Database) -> None:
    from monitor import dedup

    add_article(db, "https://one.example/tartus", TARTUS_WITHDRAWAL)
    stored = db.execute("SELECT a.content_hash, sa.fingerprint FROM articles a JOIN story_articles sa").fetchone()
    assert stored == (dedup.fingerprint(TARTUS_WITHDRAWAL),) * 2
