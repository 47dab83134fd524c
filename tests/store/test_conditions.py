"""A health condition's state and its notice are written together: one store call, one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.errors import StoreError
from monitor.models import Notice
from monitor.store import Db, notices

NOW = datetime(2025, 2, 20, 12, 0, tzinfo=UTC)
KEY = "source.failing:src-1"


def notice(state: str, at: datetime, title: str = "source One is failing") -> Notice:
    return Notice(
        id=f"ntc_{state}_{at.isoformat()}",
        topic_id="monitor.health",
        topic_title="Monitor health",
        condition="source.failing",
        subject="src-1",
        state=state,
        title=title,
        text="One failed 5 polls in a row",
        created_at=at,
    )


def test_a_condition_starts_reminds_and_recovers_with_its_notices(db: Db) -> None:
    assert notices.notice_condition(db, notice("started", NOW), ["hook", "desk"], NOW, key=KEY, started=True) == 2
    [known] = notices.active_conditions(db).values()
    assert (known.key, known.started_at, known.detail) == (KEY, NOW, "source One is failing")
    later = NOW + timedelta(days=1)
    reminder = notice("reminder", later, title="source One is still failing")
    assert notices.notice_condition(db, reminder, ["hook"], later, key=KEY, started=False) == 1
    [known] = notices.active_conditions(db).values()
    assert (known.started_at, known.last_notified_at, known.detail) == (NOW, later, "source One is still failing")
    assert notices.recover_condition(db, notice("recovered", later), ["hook"], later, key=KEY) == 1
    assert notices.active_conditions(db) == {}
    assert len(notices.pending_notices(db, later)) == 4


def test_a_notice_that_cannot_be_queued_leaves_no_condition_behind(db: Db) -> None:
    db.execute("DROP TABLE notice_deliveries")  # the queueing fails after the condition's row was written
    with pytest.raises(StoreError):
        notices.notice_condition(db, notice("started", NOW), ["hook"], NOW, key=KEY, started=True)
    assert notices.active_conditions(db) == {}
