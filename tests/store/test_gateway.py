"""The store is the only gateway: no module outside ``monitor/store`` runs a query or imports a database driver.

A query written elsewhere (``.execute``, ``.executemany``, ``.query``, ``.scalar`` or ``.table_names`` called on
anything) is one the PostgreSQL backend and the store suite cannot see. Calls are found by reading the source with
``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "monitor"
QUERY_METHODS = {"execute", "executemany", "query", "scalar", "table_names"}
DRIVERS = {"sqlite3", "sqlite_utils"}

# Still querying the database directly, being moved by the dispatcher redesign (issue 17, items 2 and 3):
# remove an entry once its queries live in monitor/store. Nothing else may be added here.
ALLOWED = ("dispatch/", "daemon.py")


def _modules() -> list[Path]:
    found = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "store" and not str(path.relative_to(PACKAGE)).startswith(ALLOWED)
    ]
    assert len(found) > 50  # the walk found the package
    return found


def _offences(source: str) -> list[str]:
    """Return ``line: what`` for each query call and each driver import in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_METHODS:
            found.append(f"{node.lineno}: .{node.func.attr}(...)")
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in DRIVERS]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in DRIVERS:
            found.append(f"{node.lineno}: from {node.module} import ...")
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_query_outside_the_store(path: Path) -> None:
    assert _offences(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_a_query_and_a_driver_import() -> None:
    source = "import sqlite3\nfrom sqlite_utils import Database\ndef f(db):\n    return db.execute('SELECT 1')\n"
    assert _offences(source) == ["1: import sqlite3", "2: from sqlite_utils import ...", "4: .execute(...)"]
    assert _offences("def f(db):\n    db.rows.query(x)\n    db.rows.count(x)\n") == ["2: .query(...)"]
