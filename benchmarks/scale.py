"""Several daemons on one PostgreSQL database against one daemon on SQLite: polling and delivery throughput.

A child process serves N feeds over H loopback hosts (benchmarks/internet.py's server: 127.0.1.x, a fixed latency
per response), each feed listing K items whose pages match the one topic; a second child receives the webhooks
and counts them. For each setup (SQLite with one daemon, then PostgreSQL with 1, 2, 3 daemons in a fresh schema)
``monitor run`` processes start together and the clock runs until every source has been polled and every alert
has arrived: the first cycle, start-up included. Printed per setup: that time, feeds/s, alerts/s, the CPU seconds
of each daemon, and the ratio to one daemon on the same backend. Everything runs on this one machine (2 cores
here), so the ratio says how the work divides, not what more machines would add: read the CPU per daemon.

    python benchmarks/scale.py [--feeds 1000] [--hosts 100] [--items 2] [--latency 0.05] [--daemons 1,2,3]
                               [--postgres postgresql:///test]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path

import psycopg
import yaml
from internet import _proc_stats, host_address, serve

MONITOR = [sys.executable, "-m", "monitor"]


def receive(port: int, ready: Connection) -> None:
    """Count webhook POSTs (one per alert id) and answer GET /count with the number of distinct ids."""
    seen: set[str] = set()
    posts = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                seen.add(self.headers.get("webhook-id", ""))
                posts[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            with lock:
                body = f"{len(seen)} {posts[0]}".encode()
                if self.path == "/reset":  # a new setup: the same alerts (same ids) are expected again
                    seen.clear()
                    posts[0] = 0
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    ready.send("ready")
    server.serve_forever()


def counts(port: int, path: str = "/count") -> tuple[int, int]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        ids, posts = answer.read().decode().split()
    return int(ids), int(posts)


def write_config(folder: Path, database: str, args: argparse.Namespace, hook: int) -> Path:
    sources = [
        {"name": f"feed {f}", "url": f"http://{host_address(f % args.hosts)}:{args.port}/feed/{f}.xml"}
        for f in range(args.feeds)
    ]
    config = {
        "database": database,
        # Throughput, not politeness: each daemon keeps its own per-host limits (see the README).
        "fetch": {"timeout": "30s", "allow_private_networks": True, "min_delay": "0s", "robots_txt": False},
        "defaults": {"interval": "10m"},
        "sources": sources,
        "topics": [{"id": "harbour", "title": "Harbour", "query": "breakwater OR fishermen OR harbour"}],
        "channels": [{"id": "hook", "type": "webhook", "url": f"http://127.0.0.1:{hook}/hook"}],
        "routes": [{"topics": ["*"], "channels": ["hook"]}],
    }
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    name = f"monitor_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
        try:
            separator = "&" if "?" in server else "?"
            yield f"{server}{separator}options=-csearch_path%3D{name}"
        finally:
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')


def polled(database: str) -> int:
    if database.startswith("postgres"):
        try:
            with psycopg.connect(database) as db:
                row = db.execute("SELECT count(*) FROM sources WHERE last_polled_at IS NOT NULL").fetchone()
        except psycopg.errors.UndefinedTable:  # the first daemon has not created the schema yet
            return 0
    else:
        import sqlite3

        try:
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as lite:
                row = lite.execute("SELECT count(*) FROM sources WHERE last_polled_at IS NOT NULL").fetchone()
        except sqlite3.OperationalError:  # not created yet, or its tables not yet
            return 0
    return int(row[0]) if row else 0


def postgres_cpu() -> float:
    """Return the CPU seconds of every PostgreSQL server process now (its backends live as long as a daemon)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == "postgres":
                    total += _proc_stats(int(proc.name))[0]
            except (OSError, ValueError):  # gone meanwhile
                continue
    return total


def run_setup(database: str, daemons: int, args: argparse.Namespace, folder: Path, hook: int) -> dict[str, float]:
    config = write_config(folder, database, args, hook)
    server_before = postgres_cpu()
    counts(hook, "/reset")
    before = 0
    expected = args.feeds * args.items
    started = time.perf_counter()
    procs = [
        subprocess.Popen([*MONITOR, "run", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(daemons)
    ]
    try:
        polled_at = delivered_at = 0.0
        deadline = started + args.timeout
        while time.perf_counter() < deadline and not (polled_at and delivered_at):
            time.sleep(0.25)
            now = time.perf_counter() - started
            if not polled_at and polled(database) >= args.feeds:
                polled_at = now
            if not delivered_at and counts(hook)[0] - before >= expected:
                delivered_at = now
        cpu = [_proc_stats(p.pid)[0] for p in procs]
        server = postgres_cpu() - server_before if database.startswith("postgres") else 0.0
        ids, posts = counts(hook)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {
        "polled": polled_at or float("nan"),
        "delivered": delivered_at or float("nan"),
        "alerts": ids - before,
        "posts": posts,
        "cpu": sum(cpu),
        "cpu_max": max(cpu),
        "server": server,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--items", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--daemons", default="1,2,3")
    parser.add_argument("--postgres", default=os.environ.get("MONITOR_TEST_POSTGRES", "postgresql:///test"))
    parser.add_argument("--port", type=int, default=18280)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    ready_in, ready_out = multiprocessing.Pipe(duplex=False)
    site = multiprocessing.Process(
        target=serve, args=(args.hosts, args.port, args.items, args.latency, ready_out), daemon=True
    )
    site.start()
    hook = args.port + 1
    hook_in, hook_out = multiprocessing.Pipe(duplex=False)
    sink = multiprocessing.Process(target=receive, args=(hook, hook_out), daemon=True)
    sink.start()
    if not (ready_in.poll(30) and hook_in.poll(30)):
        sys.exit("the servers did not start")
    print(
        f"{args.feeds} feeds on {args.hosts} hosts, {args.items} items each (every item alerts), "
        f"{args.latency * 1000:.0f} ms per response, min_delay 0s; {os.cpu_count()} cores; first cycle, "
        f"start-up included"
    )
    try:
        rows: list[tuple[str, int, dict[str, float]]] = []
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("sqlite", 1, run_setup(str(Path(tmp) / "monitor.db"), 1, args, Path(tmp), hook)))
        for daemons in (int(n) for n in args.daemons.split(",")):
            with tempfile.TemporaryDirectory() as tmp, fresh_schema(args.postgres) as url:
                rows.append(("postgresql", daemons, run_setup(url, daemons, args, Path(tmp), hook)))
        base = {backend: r for backend, n, r in rows if n == 1}
        for backend, daemons, r in rows:
            one = base[backend]
            print(
                f"{backend:<10} x{daemons}: every feed polled in {r['polled']:.1f} s ({args.feeds / r['polled']:.0f}"
                f" feeds/s), {r['alerts']:.0f} alerts in {r['delivered']:.1f} s "
                f"({r['alerts'] / r['delivered']:.0f}/s; {r['posts']:.0f} POSTs so far); CPU {r['cpu']:.1f} s in all,"
                f" {r['cpu_max']:.1f} s the busiest, PostgreSQL {r['server']:.1f} s; vs one daemon"
                f" {one['delivered'] / r['delivered']:.2f}x"
            )
    finally:
        site.terminate()
        sink.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
