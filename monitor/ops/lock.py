"""One daemon per database: an exclusive ``fcntl`` lock on a file next to it, released by the kernel on exit."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from monitor.errors import StoreError


def lock_path(database: Path) -> Path:
    """Return the lock file of a database: ``monitor.db`` -> ``monitor.db.lock``."""
    return database.with_name(database.name + ".lock")


class InstanceLock:
    """Hold ``lock_path(database)`` exclusively while the daemon runs; a second holder is refused.

    ``flock`` locks die with the process (even on ``kill -9``), so a stale lock file never blocks a restart.
    """

    def __init__(self, database: Path | None) -> None:
        # None: a database server, which several daemons may share: nothing to lock
        self.shared = database is None
        self.path = lock_path(database or Path("monitor.db"))
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise StoreError naming the process that holds it."""
        if self.shared:
            return
        handle, writable = self._open()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreError(
                f"another monitor (pid {holder}) is already running on {self.path.with_suffix('')}; "
                f"refusing to start a second one (lock file {self.path})"
            ) from None
        except OSError as exc:
            handle.close()
            raise StoreError(f"cannot lock {self.path}: {exc}") from exc
        if writable:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
        self._file = handle

    def _open(self) -> tuple[IO[str], bool]:
        """Open the lock file for writing our pid; a read-only one can still be locked (flock needs no write)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self.path.open("a+", encoding="utf-8"), True
        except PermissionError as exc:
            if not self.path.exists():
                reason = f"the folder is read-only ({exc.strerror})"
                raise StoreError(f"cannot create lock file {self.path}: {reason}") from exc
            return self.path.open("r", encoding="utf-8"), False
        except OSError as exc:
            raise StoreError(f"cannot open lock file {self.path}: {exc}") from exc

    def release(self) -> None:
        """Drop the lock (the file stays: removing it would race with a starting daemon)."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
