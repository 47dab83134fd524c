"""Wait for a condition instead of sleeping a fixed time: poll it briefly, fail the test at a deadline.

For tests outside an event loop, hostile_kit.wait_until does the same (and returns whether it held).
"""

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
