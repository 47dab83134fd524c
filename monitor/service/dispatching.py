"""The one dispatcher of a daemon, kept running: never two (both would send the rows in flight), restarted when a
bug kills it, stopped within a grace period."""

from __future__ import annotations

import asyncio
import logging

from monitor.dispatch import Dispatcher

log = logging.getLogger("monitor.daemon")

DISPATCHER_RESTART_SECONDS = 5.0  # after the dispatcher died of a bug: not at once, it would die again at once


class DispatcherTask:
    """Run ``dispatcher`` as a task; a reload only wakes it: its workers re-read channels and routes every pass."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._task: asyncio.Task[None] | None = None
        self._restart: asyncio.TimerHandle | None = None
        self._stopping = False

    def start(self) -> None:
        self._restart = None
        self._task = asyncio.create_task(self.dispatcher.run(), name="dispatcher")
        self._task.add_done_callback(self._ended)

    async def stop(self, grace: float) -> None:
        """Let the dispatcher finish its sends in flight within ``grace`` seconds, then end its task."""
        self._stopping = True
        if self._restart is not None:
            self._restart.cancel()
        await self.dispatcher.stop(grace)
        if self._task is not None:
            self._task.cancel()

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self._stopping or task.cancelled():
            return
        log.error(
            "the dispatcher stopped unexpectedly; restarting it in %.0f s",
            DISPATCHER_RESTART_SECONDS,
            exc_info=task.exception(),
        )
        self._restart = asyncio.get_running_loop().call_later(DISPATCHER_RESTART_SECONDS, self.start)
