"""``FaultyDb``: a real store that refuses chosen statements, the tests' way to make the database fail.

Faults are chosen by the SQL itself (a regular expression searched in the statement, whitespace collapsed), so a
fault holds whichever store function runs the statement: a test that patched a store function kept passing, its
fault never raised, once the code called another function. Every fault counts what it matched and refused, and a
test asserts on those counts: a fault that never fired proves nothing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from monitor.errors import StoreError
from monitor.store import Db
from monitor.store.db import Params, Rows


def writes(table: str) -> str:
    """Return the pattern of a statement that writes ``table`` (INSERT [OR ...] INTO, UPDATE, DELETE FROM)."""
    return rf"^(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+{table}\b"


@dataclass
class Fault:
    """Refuse the statements matching ``pattern``: while ``on``, after letting ``skip`` through, ``times`` of them
    (None: every one). Raises ``StoreError`` worded as the real store words a driver error, or ``error`` itself
    when it is an exception (a bug rather than a refusal)."""

    pattern: str
    error: str | BaseException = "database is locked"
    when: Callable[[Any], bool] | None = None  # given a statement's parameters: refuse only when true
    times: int | None = None
    skip: int = 0
    on: bool = True
    matched: int = 0  # statements that matched, refused or not
    raised: int = 0
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.pattern, re.IGNORECASE)

    def applies(self, sql: str, params: Any) -> bool:
        if self.when is not None and (params is None or not self.when(params)):
            return False
        return bool(self._regex.search(" ".join(sql.split())))

    def refuses(self) -> bool:
        """Whether to refuse the next matching statement (call once per statement that ``applies``)."""
        self.matched += 1
        if not self.on or self.matched <= self.skip or (self.times is not None and self.raised >= self.times):
            return False
        self.raised += 1
        return True


class FaultyDb(Db):
    """Wrap a real ``Db``; every statement runs on it unless a fault refuses it first."""

    def __init__(self, inner: Db, *faults: Fault) -> None:
        super().__init__(inner.name)
        self.inner = inner
        self.faults = list(faults)
        self.dialect = inner.dialect
        self._driver_errors = inner._driver_errors  # the commit fails as the real one fails
        self._lock = threading.Lock()

    def fail(self, pattern: str, error: str | BaseException = "database is locked", **how: Any) -> Fault:
        """Add a fault refusing statements that match ``pattern`` (see Fault) and return it."""
        fault = Fault(pattern, error, **how)
        self.faults.append(fault)
        return fault

    def _check(self, sql: str, params: Any) -> None:
        # Every fault that applies counts the statement (one with ``on=False`` is a plain counter); the first
        # that refuses it raises.
        refusing: Fault | None = None
        with self._lock:
            for fault in filter(lambda f: f.applies(sql, params), self.faults):
                if refusing is not None:
                    fault.matched += 1  # another fault refused it
                elif fault.refuses():
                    refusing = fault
        if refusing is None:
            return
        if isinstance(refusing.error, BaseException):
            raise refusing.error
        raise StoreError(f"database {self.name}: {refusing.error}")

    def execute(self, sql: str, params: Params = ()) -> Rows:
        self._check(sql, params)
        return self.inner.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        self._check(sql, None)  # a fault with ``when`` does not judge a batch
        return self.inner.executemany(sql, rows)

    def stream(self, sql: str, params: Params = ()) -> Rows:
        self._check(sql, params)
        return self.inner.stream(sql, params)

    @property
    def in_transaction(self) -> bool:
        return self.inner.in_transaction

    def _atomic(self) -> Any:
        return self.inner._atomic()

    def table_names(self) -> list[str]:
        return self.inner.table_names()

    def schema_version(self) -> list[str]:
        return self.inner.schema_version()

    def migrate(self) -> list[str]:
        return self.inner.migrate()

    def close(self) -> None:
        self.inner.close()
