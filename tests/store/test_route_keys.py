"""Deliveries remember the route that decided them by its key: held groups, digests and max_per_hour counts go by
key, and positions stored before keys are mapped once (on every backend)."""

from __future__ import annotations

from datetime import timedelta

from store_rows import NOW, save

from monitor import store
from monitor.store import deliveries, digests


def _deliveries_by_topic(db: store.Db) -> dict[str, int]:
    rows = db.query("SELECT d.id, h.topic_id FROM deliveries d JOIN hits h ON h.id = d.hit_id ORDER BY d.id")
    return {str(r["topic_id"]): int(r["id"]) for r in rows}


def test_old_positions_are_mapped_once_and_held_groups_go_by_key(db: store.Db) -> None:
    save(db, 1, topics=("tartus",), channels=("hook",))
    save(db, 2, topics=("hmeimim",), channels=("hook",))
    ids = _deliveries_by_topic(db)
    for position, topic in enumerate(("tartus", "hmeimim")):  # as an earlier version held them
        db.execute(
            "UPDATE deliveries SET status = 'held', hold_until = ?, route = ? WHERE id = ?",
            [NOW.isoformat(), position, ids[topic]],
        )
    assert store.adopt_route_keys(db, ["route-a", "route-b"]) == 2
    assert store.adopt_route_keys(db, ["route-b", "route-a"]) == 0, "mapped once"
    assert digests.due_holds(db, NOW) == [("route-a", "hook"), ("route-b", "hook")]
    assert digests.bundle_held(db, "route-a", "hook", NOW) is not None
    assert [(key, channel) for _, channel, key in digests.due_bundles(db, NOW)] == [("route-a", "hook")]


def test_instant_sends_are_counted_per_route_key(db: store.Db) -> None:
    save(db, 1, topics=("tartus",), channels=("hook",))
    save(db, 2, topics=("hmeimim",), channels=("hook",))
    ids = _deliveries_by_topic(db)
    deliveries.mark_delivery_sent(db, ids["tartus"], NOW, outcome="200", route="route-a")
    deliveries.mark_delivery_sent(db, ids["hmeimim"], NOW, outcome="200", route="route-b")
    hour_ago = NOW - timedelta(hours=1)
    assert digests.sent_since(db, "hook", "route-a", hour_ago) == 1
    assert digests.sent_since(db, "hook", "route-c", hour_ago) == 0
