"""Wait for a condition instead of sleeping a fixed time: poll it briefly, fail the test at a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(test: Callable[[], object], timeout: float = 5.0, what: str = "", step: float = 0.01) -> None:
    """Return as soon as ``test()`` is true; raise AssertionError (naming ``what``) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what or test}"
        await asyncio.sleep(step)


def wait(test: Callable[[], object], timeout: float = 5.0, what: str = "", step: float = 0.01) -> None:
    """The same, for a test outside an event loop (or in a thread)."""
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what or test}"
        time.sleep(step)
