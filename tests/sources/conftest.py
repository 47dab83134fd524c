"""Fixtures for source polling tests: the misbehaving feed server of tests/fetch and a controllable poll kit."""

from __future__ import annotations

import sys
from pathlib import Path

# The misbehaving server lives beside the fetch tests; share it rather than keep a second copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fetch"))

from fetch_server import anyio_backend, server  # noqa: F401 - shared fixtures
