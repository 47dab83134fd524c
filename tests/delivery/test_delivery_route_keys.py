"""Held alerts remember their route by its stable key, not its position: reordering routes between two loads of
the config keeps each alert in its own route's digest; positions stored before keys are mapped once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from delivery_peers import Clock, Receiver, queue_hits, runtime, settings_for, statuses

from monitor import store
from monitor.config import RouteConfig, Settings
from monitor.dispatch import deliver_due
from monitor.errors import ConfigError
from monitor.runtime import CycleStats

SIX = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
TARTUS = {"topics": ["tartus"], "channels": ["hook"], "digest": "0 7 * * *"}
HMEIMIM = {"topics": ["hmeimim"], "channels": ["hook"], "digest": "0 7 * * *"}


def hook(url: str) -> dict[str, Any]:
    return {"id": "hook", "type": "webhook", "url": url}


def drain(settings: Settings, db: store.Db, clock: Clock) -> None:
    async def run() -> None:
        async with httpx.AsyncClient() as client:
            await deliver_due(runtime(settings, db, client, clock), CycleStats())

    asyncio.run(run())


def digests_received(receiver: Receiver) -> list[list[tuple[str, int]]]:
    return sorted([(t["id"], t["count"]) for t in got.payload["data"]["topics"]] for got in receiver.got)


def test_reordered_routes_keep_held_alerts_in_their_own_digest(tmp_path: Path) -> None:
    with Receiver() as receiver:
        db = store.open_database(None)
        clock = Clock(SIX)
        before = settings_for(tmp_path, [hook(receiver.url)], [TARTUS, HMEIMIM])
        queue_hits(db, before, 2, topic="tartus", now=clock(), prefix="t")
        drain(before, db, clock)  # held by the tartus route, then first in the list
        after = settings_for(tmp_path, [hook(receiver.url)], [HMEIMIM, TARTUS])  # the same routes, reordered
        queue_hits(db, after, 1, topic="hmeimim", now=clock(), prefix="h")
        drain(after, db, clock)  # held by the hmeimim route, now first in the list
        assert statuses(db) == {"held": 3}
        clock.advance(hours=1, seconds=1)
        drain(after, db, clock)
    # by position both would be "route 0" and go out as one digest of three
    assert digests_received(receiver) == [[("hmeimim", 1)], [("tartus", 2)]]
    assert statuses(db) == {"sent": 3}


def test_route_keys_follow_what_a_route_is_not_where_it_stands() -> None:
    a, b = RouteConfig.model_validate(TARTUS), RouteConfig.model_validate(HMEIMIM)
    assert a.key != b.key and a.key.startswith("route-")
    assert RouteConfig.model_validate({**TARTUS, "digest": "0 8 * * *"}).key == a.key, "timing is not identity"
    assert RouteConfig.model_validate({**TARTUS, "channels": ["desk"]}).key != a.key
    assert RouteConfig.model_validate({**TARTUS, "id": "morning-tartus"}).key == "morning-tartus"


def test_duplicate_route_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="duplicate route id 'same'"):
        settings_for(tmp_path, [hook("http://127.0.0.1:1/")], [{**TARTUS, "id": "same"}, {**HMEIMIM, "id": "same"}])


def test_positions_stored_before_keys_are_mapped_once_to_the_routes_at_those_positions(tmp_path: Path) -> None:
    with Receiver() as receiver:
        db = store.open_database(None)
        clock = Clock(SIX)
        settings = settings_for(tmp_path, [hook(receiver.url)], [TARTUS, HMEIMIM])
        queue_hits(db, settings, 2, topic="tartus", now=clock(), prefix="t")
        queue_hits(db, settings, 1, topic="hmeimim", now=clock(), prefix="h")
        # as an earlier version left them: held, with the position of their route
        db.execute(
            "UPDATE deliveries SET status = 'held', hold_until = ?,"
            " route = CASE WHEN hit_id IN (SELECT id FROM hits WHERE topic_id = 'tartus') THEN 0 ELSE 1 END",
            [datetime(2025, 3, 1, 7, 0, tzinfo=UTC).isoformat()],
        )
        keys = [route.key for route in settings.routes]
        assert store.adopt_route_keys(db, keys) == 3
        assert store.adopt_route_keys(db, list(reversed(keys))) == 0, "mapped once: a later reorder changes nothing"
        clock.advance(hours=1, seconds=1)
        drain(settings, db, clock)
    assert digests_received(receiver) == [[("hmeimim", 1)], [("tartus", 2)]]
