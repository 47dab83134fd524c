"""The daemon's dispatcher in-process (Service.run): a reload never sends in-flight rows twice; a dead dispatcher
is restarted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from delivery_peers import Answer, Receiver, queue_hits, statuses, write_config
from faulty_db import FaultyDb
from waiting import until

from monitor import store
from monitor.config import Settings, load_config
from monitor.daemon import Service, open_runtime
from monitor.service import dispatching
from monitor.store import Db

READ_OUTBOX = r"FROM deliveries d .*d\.status = 'pending'"
PENDING_CHANNELS = r"^SELECT DISTINCT channel_id FROM deliveries WHERE status = 'pending'"


def hook(channel_id: str, url: str, **extra: object) -> dict[str, object]:
    return {"id": channel_id, "type": "webhook", "url": url, **extra}


@asynccontextmanager
async def running(settings: Settings, db: Db) -> AsyncIterator[tuple[Service, asyncio.Event]]:
    """Run the daemon's Service on ``settings`` and ``db`` (no sources: only the dispatcher has work); yield it and
    its reload event."""
    stop, reload = asyncio.Event(), asyncio.Event()
    async with open_runtime(settings, db=db) as rt:
        service = Service(rt)
        task = asyncio.create_task(service.run(stop, reload))
        try:
            yield service, reload
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)


def test_a_reload_that_changes_channels_sends_in_flight_deliveries_once(tmp_path: Path) -> None:
    with Receiver() as receiver:
        receiver.answer(Answer(hang=30))  # the first send is still in flight when the reload comes
        config = write_config(tmp_path, [hook("hook", receiver.url)], [{"topics": ["*"], "channels": ["hook"]}])
        settings = load_config(config)
        db = FaultyDb(store.open_database(settings.database))
        reads = db.fail(READ_OUTBOX, on=False)  # refuses nothing: counts passes over the outbox

        async def scenario() -> dict[str, int]:
            async with running(settings, db) as (service, reload):
                queue_hits(service.rt.db, service.rt.settings, 1, prefix="before")
                service.dispatcher.wake()
                await asyncio.to_thread(receiver.wait_for, 1, 3.0)
                write_config(
                    tmp_path,
                    [hook("hook", receiver.url, timeout="9s"), hook("other", receiver.url)],
                    [{"topics": ["*"], "channels": ["hook", "other"]}],
                )
                # The workers are idle, the first send hanging. The reload wakes them: a second dispatcher (or a
                # worker that forgot what is in flight) would resend it on these passes over the outbox.
                passes = reads.matched
                reload.set()
                await until(lambda: "other" in service.rt.settings.channels, what="the reload applied")
                await until(lambda: reads.matched >= passes + 2, what="two passes after the reload")
                receiver.released.set()  # the hung send finishes
                await until(lambda: statuses(db) == {"sent": 1}, what="the first send recorded")
                # the reloaded config is in force: a new hit goes to both channels, the new one included
                queue_hits(service.rt.db, service.rt.settings, 1, prefix="after")
                service.dispatcher.wake()
                await until(lambda: statuses(db) == {"sent": 3}, what="both new sends recorded")
                return statuses(db)

        counts = asyncio.run(scenario())
    ids = receiver.ids()
    assert len(ids) == 3 and len(set(ids)) == 3, ids
    assert counts == {"sent": 3}


def test_a_dispatcher_that_dies_is_restarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatching, "DISPATCHER_RESTART_SECONDS", 0.1)
    with Receiver() as receiver:
        config = write_config(tmp_path, [hook("hook", receiver.url)], [{"topics": ["*"], "channels": ["hook"]}])
        settings = load_config(config)
        db = FaultyDb(store.open_database(settings.database))
        # The first thing a dispatcher's run() reads, outside any of its loops' error handling: its first run dies.
        dies = db.fail(PENDING_CHANNELS, "database disk image is malformed", times=1)

        async def scenario() -> None:
            async with running(settings, db) as (service, _):
                await until(lambda: dies.matched >= 2, what="a second run started")
                queue_hits(service.rt.db, service.rt.settings, 1)
                service.dispatcher.wake()
                await asyncio.to_thread(receiver.wait_for, 1, 3.0)

        asyncio.run(scenario())
    assert dies.raised == 1 and dies.matched == 2, "one run died, one more was started"
    assert len(receiver.got) == 1
