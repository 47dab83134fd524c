"""sd_notify over a real unix datagram socket, the watchdog interval, and the unit file checked by systemd."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ops_peers import REPO, NotifySocket

from monitor import systemd
from monitor.ops import render_unit


@pytest.fixture
def notify(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifySocket]:
    sock = NotifySocket()
    monkeypatch.setenv("NOTIFY_SOCKET", sock.path)
    yield sock
    sock.close()


def test_notify_sends_one_datagram_of_lines(notify: NotifySocket) -> None:
    assert systemd.notify("READY=1", "STATUS=polling 3 sources")
    assert notify.wait_for("STATUS=polling 3 sources", timeout=2)
    assert notify.messages == ["READY=1\nSTATUS=polling 3 sources"]


def test_notify_is_a_no_op_outside_systemd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.notify("READY=1") is False
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert systemd.notify("READY=1") is False  # a vanished socket is not an error


def test_watchdog_interval_is_half_of_watchdog_sec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert systemd.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert systemd.watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))  # armed for another process
    assert systemd.watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert systemd.watchdog_interval() == 15.0


def test_shipped_unit_is_the_rendered_template() -> None:
    shipped = (REPO / "systemd" / "monitor.service").read_text(encoding="utf-8")
    assert shipped == render_unit()
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "DynamicUser=yes",
        "StateDirectory=monitor",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        "Restart=on-failure",
        "SystemCallFilter=@system-service",
        "EnvironmentFile=-/etc/monitor/monitor.env",
    ):
        assert line in shipped.splitlines() or any(x.startswith(line) for x in shipped.splitlines()), line


def test_unit_for_a_database_outside_the_state_directory_can_write_there() -> None:
    unit = render_unit(Path("/srv/m/bin/monitor"), Path("/etc/m.yaml"), Path("/srv/data/monitor.db"))
    assert "ReadWritePaths=/srv/data" in unit and "ExecStart=/srv/m/bin/monitor run -c /etc/m.yaml" in unit
    assert "ReadWritePaths" not in render_unit(database=Path("/var/lib/monitor/monitor.db"))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_and_security_are_clean(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: render the unit for this checkout's virtualenv.
    # security's --threshold counts tenths: 20 fails an exposure above 2.0.
    unit = tmp_path / "monitor.service"
    unit.write_text(render_unit(Path(REPO / ".venv" / "bin" / "monitor"), REPO / "config" / "monitor.yaml"))
    verify = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and "monitor.service" not in verify.stderr, verify.stderr
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert security.returncode == 0, security.stdout[-2000:] + security.stderr
    assert "Overall exposure level for monitor.service: 1." in security.stdout
