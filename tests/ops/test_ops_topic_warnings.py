"""`monitor run` logs the topic-query warnings `monitor check` prints, for an operator who never ran check."""

from __future__ import annotations

from pathlib import Path

import pytest
from ops_peers import Daemon, write_config


@pytest.mark.slow
def test_run_logs_a_lowercase_operator_warning(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "monitor.yaml", [], topics=[{"id": "bases", "title": "Bases", "query": "tartus and port"}]
    )
    daemon = Daemon(path)
    try:
        found = daemon.wait_log(lambda e: "did you mean AND?" in str(e.get("msg", "")))
        assert found is not None and found["level"] == "warning", daemon.lines[-10:]
        assert "topic 'bases'" in found["msg"]
    finally:
        assert daemon.stop() == 0
