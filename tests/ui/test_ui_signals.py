"""``monitor ui`` stops cleanly on SIGTERM and SIGINT: exit 0, the port closed, nothing left in TMPDIR."""

from __future__ import annotations

import signal
import socket
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Archive, start_ui

from monitor.cli import main


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_server_and_leaves_nothing(archive: Archive, tmp_path: Path, sig: signal.Signals) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    served = start_ui(archive, tmpdir)
    try:
        with urllib.request.urlopen(served.url, timeout=20) as response:
            assert response.status == 200
        served.proc.send_signal(sig)
        code = served.proc.wait(10)
    finally:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.wait(5)
    assert served.reader is not None
    served.reader.join(5)
    assert not served.reader.is_alive()  # stderr closed: no child process of ours kept it open
    rest = "".join(served.log)
    assert code == 0, rest
    assert "Traceback" not in rest
    assert list(tmpdir.iterdir()) == []
    port = int(served.url.rsplit(":", 1)[1].strip("/"))
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # nobody (no leftover child process either) listens any more


def test_missing_database_and_busy_port(archive: Archive, tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(archive.config.read_text().replace(str(archive.settings.database), str(tmp_path / "no.db")))
    result = CliRunner().invoke(main, ["ui", "-c", str(config)], env=archive.env)
    assert result.exit_code == 3
    assert "no database at" in result.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["ui", "-c", str(archive.config), "--port", str(port)], env=archive.env)
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
