"""The Db seam itself: driver errors come out as StoreError, transactions nest into the outermost one."""

from __future__ import annotations

import pytest

from monitor.errors import StoreError
from monitor.store import Db


def test_a_refused_statement_raises_store_error_naming_the_database(db: Db) -> None:
    with pytest.raises(StoreError, match="no_such_table"):
        db.execute("SELECT * FROM no_such_table")


def test_a_failed_block_rolls_back_the_outermost_transaction(db: Db) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("INSERT INTO heartbeat (id, at) VALUES (1, 'x')")
        with db.transaction():  # nested: part of the outer one, no savepoint of its own
            db.execute("UPDATE heartbeat SET at = 'y' WHERE id = 1")
        raise RuntimeError("the block failed")
    assert db.scalar("SELECT count(*) FROM heartbeat") == 0


def test_a_committed_transaction_keeps_its_writes(db: Db) -> None:
    with db.transaction():
        db.execute("INSERT INTO heartbeat (id, at) VALUES (1, 'x')")
    assert db.scalar("SELECT at FROM heartbeat WHERE id = 1") == "x"


def test_insert_returning_gives_the_new_row_and_nothing_on_conflict(db: Db) -> None:
    sql = "INSERT INTO heartbeat (id, at) VALUES (1, ?) ON CONFLICT DO NOTHING RETURNING id"
    assert db.execute(sql, ["x"]).fetchone()[0] == 1
    assert db.execute(sql, ["y"]).fetchone() is None
    assert db.scalar("SELECT at FROM heartbeat") == "x"
