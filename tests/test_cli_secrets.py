"""Commands that deliver nothing run without the delivery secrets; `check` and the delivering commands still
name every missing variable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from local_peers import SEED_TOPICS

from monitor import store
from monitor.cli import main
from monitor.config import EmailChannel, WebhookChannel, load_config

MISSING = ("MONITOR_TEST_HOOK_URL", "MONITOR_TEST_HOOK_SECRET", "MONITOR_TEST_SMTP_PASSWORD")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in MISSING:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "monitor.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": "monitor.db",
                "sources": [{"name": "Example", "url": "https://news.example.org/rss.xml"}],
                "topics": [str(SEED_TOPICS)],
                "channels": [
                    {"id": "log", "type": "log"},
                    {
                        "id": "hook",
                        "type": "webhook",
                        "url": "${MONITOR_TEST_HOOK_URL}",
                        "secret": "${MONITOR_TEST_HOOK_SECRET}",
                    },
                    {
                        "id": "desk",
                        "type": "email",
                        "from": "monitor@example.org",
                        "to": ["desk@example.org"],
                        "smtp": {
                            "host": "smtp.example.org",
                            "username": "monitor",
                            "password": "${MONITOR_TEST_SMTP_PASSWORD}",
                        },
                    },
                ],
                "routes": [{"topics": ["*"], "channels": ["log", "hook", "desk"]}],
            }
        ),
        encoding="utf-8",
    )
    store.open_database(tmp_path / "monitor.db").close()  # as a first `monitor once` leaves it
    return path


READ_ONLY = [
    ["hits"],
    ["search", "tartus"],
    ["sources"],
    ["sources", "export", "--opml"],
    ["db", "stats"],
    ["backtest", "russia-syria-bases"],
    ["stories"],
    ["deliveries"],
    ["explain", "russia-syria-bases", "1"],
]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_read_only_commands_need_no_delivery_secrets(config: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "-c", str(config)])
    assert "environment variable" not in result.output, result.output
    # explain of an article id that does not exist fails on that, not on the config
    assert result.exit_code == (1 if args[0] == "explain" else 0), result.output


@pytest.mark.parametrize("args", [["check"], ["once"], ["test-alert", "hook"]])
def test_check_and_delivering_commands_name_every_missing_variable(config: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "-c", str(config)])
    assert result.exit_code == 2, result.output
    for name in MISSING:
        assert f"environment variable {name} is not set" in result.output


def test_channels_keep_their_ids_and_types_without_their_secrets(config: Path) -> None:
    settings = load_config(config, channels=False)
    assert isinstance(settings.channels["hook"], WebhookChannel)
    assert isinstance(settings.channels["desk"], EmailChannel)
    assert settings.channels_for("any-topic", 1.0) == ["log", "hook", "desk"]
