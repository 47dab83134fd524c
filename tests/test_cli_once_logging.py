"""`monitor once` logs at the config's log_level, so a log channel's alerts are visible (they are INFO lines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from local_peers import SEED_TOPICS

from monitor.demo.site import NewsSite


@pytest.mark.slow
@pytest.mark.parametrize("level", ["info", "warning"])
def test_once_honours_log_level_and_shows_the_log_channel(tmp_path: Path, news_site: NewsSite, level: str) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": "monitor.db",
                "log_level": level,
                "log": {"format": "json"},
                "fetch": {"timeout": "5s", "allow_private_networks": True},
                "sources": [{"name": "Demo world", "url": news_site.url("world/rss.xml")}],
                "topics": [str(SEED_TOPICS)],
                "channels": [{"id": "log", "type": "log"}],
                "routes": [{"topics": ["*"], "channels": ["log"]}],
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "once", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "deliver:" in done.stdout and " 0 sent" not in done.stdout, done.stdout
    alerts = [line for line in done.stderr.splitlines() if '"monitor.alerts"' in line]
    if level == "info":
        assert alerts, done.stderr[-2000:]
    else:
        assert alerts == []
