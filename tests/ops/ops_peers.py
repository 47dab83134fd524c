"""Helpers for the ops tests: a systemd notify socket, a daemon in a subprocess, configs, plain HTTP GETs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SEED_TOPICS = REPO / "seeds" / "topics"
MONITOR = [sys.executable, "-m", "monitor"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NotifySocket:
    """A unix datagram socket standing in for systemd's $NOTIFY_SOCKET; keeps every message it receives."""

    def __init__(self) -> None:
        # A short path: unix socket paths are limited to 107 bytes, pytest's tmp_path can be longer.
        self._dir = tempfile.mkdtemp(prefix="sdn", dir="/tmp")
        self.path = os.path.join(self._dir, "notify")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        self._sock.settimeout(0.1)
        self.messages: list[str] = []
        self._stop = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop:
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append(data.decode("utf-8"))

    def lines(self) -> list[str]:
        return [line for message in list(self.messages) for line in message.split("\n")]

    def mark(self, timeout: float = 5) -> int:
        """Send a marker through the socket and return how many lines came before it: datagrams keep their order,
        so every message sent before this call is counted (a plain count could miss one still in the buffer)."""
        marker = f"TEST-MARK={time.monotonic_ns()}"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.sendto(marker.encode(), self.path)
        assert self.wait_for(marker, timeout=timeout), "the notify socket's reader is stuck"
        return self.lines().index(marker)

    def wait_for(self, line: str, count: int = 1, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while self.lines().count(line) < count:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def close(self) -> None:
        self._stop = True
        self._thread.join(1)
        self._sock.close()
        os.unlink(self.path)
        os.rmdir(self._dir)


class Daemon:
    """``monitor run`` in a subprocess; its stderr (JSON log lines) is collected as it comes."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [*MONITOR, "run", "-c", str(config)],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def events(self) -> list[dict[str, Any]]:
        found = []
        for line in list(self.lines):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                found.append({"msg": line, "level": "raw"})
        return found

    def wait_log(self, test: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if test(event):
                    return event
            if self.proc.poll() is not None:
                self._thread.join(5)  # the reader ends at the end of stderr: every last line is in
                return next((e for e in self.events() if test(e)), None)
            time.sleep(0.05)
        return None

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._thread.join(2)
        return code


def write_config(path: Path, sources: list[dict[str, Any]], **extra: Any) -> Path:
    """Write a daemon config with the seed topics and a log channel (plus ``extra`` top-level keys)."""
    config: dict[str, Any] = {
        "database": "monitor.db",
        "fetch": {
            "timeout": "5s",
            "allow_private_networks": True,
            "adaptive_intervals": False,
            "min_delay": "1ms",
            "per_host": 8,
            "robots_txt": False,
        },
        "defaults": {"interval": "1h"},
        "sources": sources,
        "topics": [str(SEED_TOPICS)],
        "channels": [{"id": "log", "type": "log"}],
        "routes": [{"topics": ["*"], "channels": ["log"]}],
        **extra,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def http_get(url: str, timeout: float = 5) -> tuple[int, str, str]:
    """Return (status, content type, body) of a GET, 4xx/5xx included."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never an environment proxy
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()
