"""Health conditions: one row per condition, started again over an old one, reminded, ended."""

from __future__ import annotations

from datetime import timedelta

from store_rows import NOW

from monitor.store import Db
from monitor.store.notices import active_conditions, end_condition, remind_condition, start_condition


def test_starting_a_known_condition_again_replaces_it(db: Db) -> None:
    start_condition(db, "source.failing:a", "source.failing", "a", "HTTP 500", NOW)
    later = NOW + timedelta(hours=3)
    start_condition(db, "source.failing:a", "source.failing", "a", "timeout", later)
    found = active_conditions(db)["source.failing:a"]
    assert (found.started_at, found.last_notified_at, found.detail) == (later, later, "timeout")
    assert len(active_conditions(db)) == 1


def test_a_condition_is_reminded_and_ended(db: Db) -> None:
    start_condition(db, "channel.failing:hook", "channel.failing", "hook", "HTTP 503", NOW)
    remind_condition(db, "channel.failing:hook", "HTTP 502", NOW + timedelta(days=1))
    found = active_conditions(db)["channel.failing:hook"]
    assert (found.started_at, found.last_notified_at, found.detail) == (NOW, NOW + timedelta(days=1), "HTTP 502")
    end_condition(db, "channel.failing:hook")
    assert active_conditions(db) == {}
