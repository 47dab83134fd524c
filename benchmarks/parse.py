"""Feeds per second of monitor.parse.parse_feed vs a plain feedparser loop on the shared feed corpus."""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

import feedparser

from monitor.errors import ParseError
from monitor.parse import parse_feed

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds"
FEED_DIRS = ("fastfeedparser-benchmark", "fastfeedparser-integration", "miniflux")


def main() -> int:
    """Parse the corpus with both and print feeds/s, entries found and the speed ratio."""
    if not CORPUS.is_dir():
        print(f"feed corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    bodies = [p.read_bytes() for d in FEED_DIRS for p in sorted((CORPUS / d).glob("*")) if p.is_file()]
    rounds = 3
    # CPU time as well as wall time: on a shared machine the wall clock measures the neighbours too.
    start, cpu = time.perf_counter(), time.process_time()
    ours = 0
    for _ in range(rounds):
        ours = 0
        for body in bodies:
            with contextlib.suppress(ParseError):
                ours += len(parse_feed(body, "https://bench.example.org/feed").entries)
    ours_rate = rounds * len(bodies) / (time.perf_counter() - start)
    ours_cpu = rounds * len(bodies) / (time.process_time() - cpu)
    start, cpu = time.perf_counter(), time.process_time()
    theirs = sum(len(feedparser.parse(io.BytesIO(body)).entries) for body in bodies)
    theirs_rate = len(bodies) / (time.perf_counter() - start)
    theirs_cpu = len(bodies) / (time.process_time() - cpu)
    print(f"{len(bodies)} feeds, {sum(map(len, bodies)) / 1e6:.1f} MB")
    print(f"parse_feed : {ours_rate:8.0f} feeds/s ({ours_cpu:.0f} by CPU time), {ours} entries")
    print(f"feedparser : {theirs_rate:8.0f} feeds/s ({theirs_cpu:.0f} by CPU time), {theirs} entries")
    print(f"ratio      : {ours_rate / theirs_rate:8.1f}x ({ours_cpu / theirs_cpu:.1f}x by CPU time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
