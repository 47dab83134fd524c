"""The store suite: every test here runs against each backend of the ``Db`` seam (``db`` fixture).

SQLite always runs; the PostgreSQL backend is added beside it in ``BACKENDS`` once it exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.store import Db, open_database

BACKENDS = ["sqlite"]


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """Return a migrated, empty store on one backend, closed (and dropped) after the test."""
    database = open_database(tmp_path / "monitor.db")
    yield database
    database.close()
