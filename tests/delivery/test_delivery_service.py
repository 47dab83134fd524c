"""The daemon's dispatcher in-process (Service.run): a reload never sends in-flight rows twice; a dead dispatcher
is restarted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from delivery_peers import Answer, Receiver, queue_hits, statuses, write_config

from monitor.config import Settings, load_config
from monitor.daemon import Service, open_runtime
from monitor.dispatch import Dispatcher
from monitor.service import dispatching


def hook(channel_id: str, url: str, **extra: object) -> dict[str, object]:
    return {"id": channel_id, "type": "webhook", "url": url, **extra}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Service, asyncio.Event]]:
    """Run the daemon's Service on ``settings`` (no sources: only the dispatcher has work); yield it and its
    reload event."""
    stop, reload = asyncio.Event(), asyncio.Event()
    async with open_runtime(settings) as rt:
        service = Service(rt)
        task = asyncio.create_task(service.run(stop, reload))
        try:
            yield service, reload
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)


def test_a_reload_that_changes_channels_sends_in_flight_deliveries_once(tmp_path: Path) -> None:
    with Receiver() as receiver:
        receiver.answer(Answer(hang=1.5))  # the first send is still in flight when the reload comes
        config = write_config(tmp_path, [hook("hook", receiver.url)], [{"topics": ["*"], "channels": ["hook"]}])

        async def scenario() -> dict[str, int]:
            async with running(load_config(config)) as (service, reload):
                queue_hits(service.rt.db, service.rt.settings, 1, prefix="before")
                service.dispatcher.wake()
                await asyncio.to_thread(receiver.wait_for, 1, 3.0)
                write_config(
                    tmp_path,
                    [hook("hook", receiver.url, timeout="9s"), hook("other", receiver.url)],
                    [{"topics": ["*"], "channels": ["hook", "other"]}],
                )
                reload.set()
                await asyncio.sleep(2.0)  # the hung send finishes; a second dispatcher would have resent it
                # the reloaded config is in force: a new hit goes to both channels, the new one included
                queue_hits(service.rt.db, service.rt.settings, 1, prefix="after")
                service.dispatcher.wake()
                await asyncio.to_thread(receiver.wait_for, 3, 3.0)
                await asyncio.sleep(0.3)
                return statuses(service.rt.db)

        counts = asyncio.run(scenario())
    ids = receiver.ids()
    assert len(ids) == 3 and len(set(ids)) == 3, ids
    assert counts == {"sent": 3}


def test_a_dispatcher_that_dies_is_restarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatching, "DISPATCHER_RESTART_SECONDS", 0.1)
    real_run = Dispatcher.run
    runs: list[int] = []

    async def first_run_dies(self: Dispatcher) -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("a bug in the dispatcher")
        await real_run(self)

    monkeypatch.setattr(Dispatcher, "run", first_run_dies)
    with Receiver() as receiver:
        config = write_config(tmp_path, [hook("hook", receiver.url)], [{"topics": ["*"], "channels": ["hook"]}])

        async def scenario() -> Any:
            async with running(load_config(config)) as (service, _):
                await asyncio.sleep(0.5)
                queue_hits(service.rt.db, service.rt.settings, 1)
                service.dispatcher.wake()
                await asyncio.to_thread(receiver.wait_for, 1, 3.0)

        asyncio.run(scenario())
    assert len(runs) == 2
    assert len(receiver.got) == 1
