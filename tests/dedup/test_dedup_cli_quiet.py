"""`monitor hits` says which hits were kept quiet as the same story, and `monitor backtest` shows no channels
for them: the second outlet's report of a story is recorded, not alerted again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from dedup_helpers import TARTUS_WITHDRAWAL, add_article

from monitor.cli import main
from monitor.models import Match
from monitor.store import open_database

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "topics"
RECENT = datetime.now(UTC) - timedelta(days=1)  # inside backtest's default 30 days
HIT = (Match(topic_id="russia-syria-bases", score=2.0, terms=("tartus",)),)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    db = open_database(tmp_path / "archive.db")
    first = add_article(
        db,
        "https://outlet1.example/tartus",
        TARTUS_WITHDRAWAL,
        title="Frigates leave Tartus",
        matches=HIT,
        channels_for=lambda topic, score: ["log"],
        now=RECENT,
    )
    second = add_article(
        db,
        "https://outlet2.example/tartus",
        TARTUS_WITHDRAWAL,
        title="Frigates sail from Tartus",
        matches=HIT,
        channels_for=lambda topic, score: ["log"],
        now=RECENT,
    )
    assert (first.deliveries, second.deliveries, second.joined) == (1, 0, True)
    db.close()
    path = tmp_path / "monitor.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": "archive.db",
                "topics": [str(SEEDS)],
                "channels": [{"id": "log", "type": "log"}],
                "routes": [{"topics": ["*"], "channels": ["log"]}],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_hits_shows_where_each_hit_went_and_which_were_kept_quiet(config: Path) -> None:
    result = CliRunner().invoke(main, ["hits", "-c", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["title"]: r for r in map(json.loads, result.output.splitlines())}
    assert rows["Frigates leave Tartus"]["channels"] == ["log"]
    assert rows["Frigates leave Tartus"]["kept_quiet_in_story"] is None
    assert rows["Frigates sail from Tartus"]["channels"] == []
    assert rows["Frigates sail from Tartus"]["kept_quiet_in_story"] == 1
    table = CliRunner().invoke(main, ["hits", "-c", str(config)]).output
    assert "delivered" in table.splitlines()[0] and "kept quiet: story 1 already alerted" in table


def test_backtest_shows_no_channels_for_a_later_article_of_the_same_story(config: Path) -> None:
    result = CliRunner().invoke(main, ["backtest", "russia-syria-bases", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["channels"] == ["log"] and "kept_quiet_as_story_of" not in first
    assert second["channels"] == [] and second["kept_quiet_as_story_of"] == first["id"]
    text = CliRunner().invoke(main, ["backtest", "russia-syria-bases", "-c", str(config)]).output
    assert f"→ kept quiet: same story as #{first['id']}" in text
    assert "russia-syria-bases: 1 would alert in 2 articles since 30d, 1 more kept quiet as the same story" in text
