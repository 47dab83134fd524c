"""The scheduler moves each source's job to the time its last poll chose, and stops polling disabled sources."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from waiting import until

from monitor.config import Source
from monitor.scheduler import build_scheduler

pytestmark = pytest.mark.anyio


def source(n: int) -> Source:
    return Source(f"src-{n}", f"Source {n}", f"http://127.0.0.1:1/{n}.xml", interval=0.2)


async def test_job_is_moved_to_next_run_and_removed_when_disabled() -> None:
    polled: list[str] = []
    done = asyncio.Event()
    later = datetime.now(UTC) + timedelta(hours=3)

    async def poll(s: Source) -> None:
        polled.append(s.id)
        if len(polled) >= 2:
            done.set()

    backing_off, gone = source(1), source(2)
    scheduler = build_scheduler(
        [backing_off, gone],
        poll=poll,
        now=datetime.now(UTC) - timedelta(seconds=10),
        next_run=lambda s: later if s is backing_off else None,
    )
    scheduler.start()
    try:
        await asyncio.wait_for(done.wait(), 10)

        def moved() -> bool:
            # The jobs are rescheduled after their polls return: one to ``later``, the other removed. Left on
            # their 0.2 s interval instead, they would poll again, and this would never hold.
            job = scheduler.get_job(backing_off.id)
            return job is not None and job.next_run_time == later and scheduler.get_job(gone.id) is None

        await until(moved, what="the jobs moved and removed")
        assert sorted(polled) == ["src-1", "src-2"]
    finally:
        scheduler.shutdown(wait=False)


async def test_remembered_next_poll_survives_a_restart_and_disabled_sources_get_no_job() -> None:
    async def poll(s: Source) -> None:
        return None

    now = datetime.now(UTC)
    waiting, gone, fresh = source(1), source(2), source(3)
    scheduler = build_scheduler(
        [waiting, gone, fresh],
        poll=poll,
        now=now,
        planned={waiting.id: now + timedelta(hours=1), fresh.id: now - timedelta(hours=1)},
        disabled={gone.id},
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert gone.id not in jobs
    assert jobs[waiting.id].next_run_time == now + timedelta(hours=1)
    # a stale plan from long ago does not delay the first poll; it runs in the start spread
    assert jobs[fresh.id].next_run_time <= now + timedelta(seconds=5)


async def test_first_polls_of_many_sources_are_spread_not_fired_at_once() -> None:
    """10,000 sources at a 10-minute interval: first polls over about 200 s, about 50 a second, none later than
    the interval; a small config still starts within seconds."""

    async def nothing(*_: object) -> None:
        return None

    now = datetime(2026, 1, 1, tzinfo=UTC)
    many = [Source(f"src-{n}", f"Source {n}", f"http://127.0.0.1:1/{n}.xml", interval=600) for n in range(10_000)]
    scheduler = build_scheduler(many, poll=nothing, now=now)
    offsets = sorted((j.next_run_time - now).total_seconds() for j in scheduler.get_jobs())
    assert len(offsets) == 10_000 and 190 <= offsets[-1] <= 200
    per_second: dict[int, int] = {}
    for offset in offsets:
        per_second[int(offset)] = per_second.get(int(offset), 0) + 1
    assert max(per_second.values()) < 100  # ~50 a second, with random clumping

    few = [Source(f"src-{n}", f"Source {n}", f"http://127.0.0.1:1/{n}.xml", interval=600) for n in range(20)]
    scheduler = build_scheduler(few, poll=nothing, now=now)
    assert all((j.next_run_time - now).total_seconds() <= 5 for j in scheduler.get_jobs())
