"""Storage faults, each on a real `monitor once` process: read-only database, disk full, a database locked by
another process, a corrupt file. Each must end with a clear error (exit 3) or a recorded failure, keep what was
queued, and after the fault is gone deliver every alert once with `PRAGMA integrity_check` = ok."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from delivery_peers import write_config
from hostile_kit import LEDGER, Answer, EvilSite, Receiver, feed, item, monitor_cli, no_traceback, serve, story_text

Defence = Callable[[str], None]
pytestmark = pytest.mark.slow
ITEMS = 12


@contextmanager
def world(folder: Path, items: int = ITEMS) -> Iterator[tuple[Path, Receiver, EvilSite]]:
    """A feed of ``items`` Tartus stories, a webhook receiver and a config in ``folder``."""
    with EvilSite() as site, Receiver() as receiver:
        site.routes["/feed.xml"] = serve(
            feed([item(n, title=f"Tartus {n}", text=story_text(n, 200)) for n in range(items)])
        )
        config = write_config(
            folder,
            [{"id": "hook", "type": "webhook", "url": receiver.url}],
            [{"topics": ["tartus"], "channels": ["hook"]}],
            sources=[{"name": "Feed", "url": site.url("/feed.xml")}],
            fetch={"allow_private_networks": True, "fetch_articles": False, "timeout": "5s"},
        )
        yield config, receiver, site


def settle(config: Path, receiver: Receiver, defence: Defence, what: str, expected: int = ITEMS) -> None:
    """Run `monitor once` with the fault gone; every alert arrives once and the database is intact."""
    done = monitor_cli("once", "-c", str(config))
    assert done.returncode == 0, done.stderr[-2000:]
    receiver.wait_for(expected, timeout=5)
    arrived = [(g.webhook_id, g.payload["data"]["article"]["url"]) for g in receiver.got if g.payload]
    delivered, duplicated, lost = LEDGER.add(expected=expected, arrived=arrived)
    assert lost == 0 and delivered == expected, arrived
    # A send whose "sent" mark could not be written goes again, under the same id (receivers drop it).
    assert len({webhook_id for webhook_id, _ in arrived}) == expected, arrived
    with sqlite3.connect(config.parent / "monitor.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again = f", {duplicated} re-sent under the same webhook-id" if duplicated else ""
    defence(f"{what}; afterwards {delivered}/{expected} alerts delivered{again}, integrity_check ok")


def shown(message: str) -> str:
    """The error without the machine-specific path, for the report."""
    return message.split("unusable: ", 1)[-1]


# Root ignores file permissions; without these capabilities (as for the service's own user) it obeys them.
NO_OVERRIDE = ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner") if os.geteuid() == 0 else ()


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None, reason="root without setpriv")
def test_read_only_database(tmp_path: Path, defence: Defence) -> None:
    with world(tmp_path) as (config, receiver, _site):
        receiver.default = Answer(status=503)  # queued, not sent
        first = monitor_cli("once", "-c", str(config))
        assert first.returncode == 0, first.stderr[-2000:]
        files = [p for p in tmp_path.iterdir() if p.is_file()]
        for path in files:
            path.chmod(0o444)
        tmp_path.chmod(0o555)
        try:
            done = monitor_cli("once", "-c", str(config), prefix=NO_OVERRIDE)
        finally:
            tmp_path.chmod(0o755)
            for path in files:
                path.chmod(0o644)
        assert done.returncode == 3 and no_traceback(done.stderr), done.stderr[-2000:]
        message = done.stderr.strip().splitlines()[-1]
        assert "readonly" in message or "read-only" in message or "unable to open" in message, message
        receiver.got.clear()
        receiver.default = Answer()
        settle(config, receiver, defence, f"not writable: exit 3 `{shown(message)}`; pending alerts kept")


def limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        # Without this the kernel kills the writer with SIGXFSZ; ignored, write() fails with EFBIG like a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_disk_full(tmp_path: Path, defence: Defence) -> None:
    items = 60
    with world(tmp_path, items) as (config, receiver, site):
        full_feed = site.routes["/feed.xml"]
        site.routes["/feed.xml"] = serve(feed([]))  # a first run with nothing new creates the schema
        ready = monitor_cli("once", "-c", str(config))
        assert ready.returncode == 0, ready.stderr[-2000:]
        site.routes["/feed.xml"] = full_feed
        size = (tmp_path / "monitor.db").stat().st_size
        done = monitor_cli("once", "-c", str(config), preexec=limit_file_size(size + 64 * 1024))
        output = done.stderr + done.stdout
        assert no_traceback(output), output[-3000:]
        assert done.returncode in (0, 3), output[-2000:]
        assert "database error" in output or "database unusable" in output, output[-2000:]
        last = done.stderr.strip().splitlines()[-1] if done.returncode else "exit 0"
        settle(
            config,
            receiver,
            defence,
            f"writes fail past {size // 1024 + 64} KB (RLIMIT_FSIZE, EFBIG): entries "
            f"logged `database error` and left unseen, run ended `{shown(last)}`",
            expected=items,
        )


def test_database_locked_by_another_process(tmp_path: Path, defence: Defence) -> None:
    with world(tmp_path) as (config, receiver, _site):
        receiver.default = Answer(status=503)  # the alerts wait in the outbox while the database is locked
        ready = monitor_cli("once", "-c", str(config))
        assert ready.returncode == 0, ready.stderr[-2000:]
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys, time\n"
                f"db = sqlite3.connect({str(tmp_path / 'monitor.db')!r}, isolation_level=None)\n"
                "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(30)",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            done = monitor_cli("once", "-c", str(config))
        finally:
            holder.kill()
            holder.wait()
        assert done.returncode == 3 and no_traceback(done.stderr), done.stderr[-2000:]
        message = done.stderr.strip().splitlines()[-1]
        assert "locked" in message, message
        receiver.got.clear()
        receiver.default = Answer()
        settle(config, receiver, defence, f"exclusive lock held by another process: exit 3 `{shown(message)}`")


@pytest.mark.parametrize("damage", ["garbage-header", "truncated"])
def test_corrupt_database(tmp_path: Path, damage: str, defence: Defence) -> None:
    with world(tmp_path) as (config, receiver, _site):
        receiver.default = Answer(status=503)
        first = monitor_cli("once", "-c", str(config))
        assert first.returncode == 0, first.stderr[-2000:]
        db_file = tmp_path / "monitor.db"
        with sqlite3.connect(db_file) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        original = db_file.read_bytes()
        if damage == "garbage-header":
            db_file.write_bytes(b"this is not a database at all" * 40 + original[1200:])
        else:
            db_file.write_bytes(original[: len(original) // 3])
        done = monitor_cli("once", "-c", str(config))
        assert done.returncode == 3 and no_traceback(done.stderr), (done.returncode, done.stderr[-2000:])
        message = done.stderr.strip().splitlines()[-1]
        assert "monitor.db" in message, message
        # The operator restores the backup (here: the bytes from before): pending alerts are still there.
        db_file.write_bytes(original)
        receiver.got.clear()
        receiver.default = Answer()
        settle(config, receiver, defence, f"{damage}: exit 3 `{shown(message)}`; after restoring, pending alerts sent")
