"""Schema steps: applied in the one order ``STEPS`` gives, and an older database upgrades to the fresh schema.

These read ``sqlite_master``: the SQLite schema is built by sqlite-utils migrations; a PostgreSQL backend brings its
own schema and its own test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import StoreError
from monitor.store import Db, open_database
from monitor.store.migrations import STEPS

# What databases in use recorded, in this order: it may only grow at the end.
APPLIED_IN_THE_FIELD = [
    "m001_initial",
    "m002_source_health",
    "m004_delivery",
    "m005_ops",
    "m003_stories",
    "m007_meta_alerts",
    "m006_item_identity",
    "m008_item_outcomes",
    "m009_hit_semantic",
]


def _schema(db: Db) -> list[dict[str, object]]:
    return db.query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")


def test_steps_keep_the_order_databases_in_use_recorded() -> None:
    assert [step.__name__ for step in STEPS][: len(APPLIED_IN_THE_FIELD)] == APPLIED_IN_THE_FIELD


def test_a_fresh_database_applies_exactly_the_listed_steps_in_order(tmp_path: Path) -> None:
    db = open_database(tmp_path / "fresh.db")
    assert db.schema_version() == [step.__name__ for step in STEPS]
    db.close()


@pytest.mark.parametrize("k", range(1, len(STEPS)), ids=[step.__name__ for step in STEPS[1:]])
def test_a_database_at_an_older_step_upgrades_to_the_fresh_schema(tmp_path: Path, k: int) -> None:
    fresh = open_database(tmp_path / "fresh.db")
    expected = _schema(fresh)
    fresh.close()
    old = open_database(tmp_path / "old.db", stop_before=STEPS[k].__name__)
    assert old.schema_version() == [step.__name__ for step in STEPS[:k]]
    old.close()
    upgraded = open_database(tmp_path / "old.db")
    assert upgraded.schema_version() == [step.__name__ for step in STEPS]
    assert _schema(upgraded) == expected
    assert upgraded.scalar("PRAGMA auto_vacuum") == 2  # m005 switched an existing file to incremental vacuum
    upgraded.close()


def test_a_file_database_is_wal_and_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    db = open_database(tmp_path / "monitor.db")
    applied = db.schema_version()
    assert db.scalar("PRAGMA journal_mode") == "wal"
    db.close()
    again = open_database(tmp_path / "monitor.db")
    assert again.schema_version() == applied
    again.close()


def test_an_unusable_file_is_a_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="is unusable"):
        open_database(bad)
