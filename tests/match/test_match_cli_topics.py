"""``monitor search``, ``backtest`` and ``explain`` on a real archive file filled through the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from match_archive_helpers import open_archive, save

from monitor.cli import main
from monitor.models import Match

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "topics"
RECENT = datetime.now(UTC) - timedelta(days=2)
OLD = datetime.now(UTC) - timedelta(days=90)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    db = open_archive(tmp_path / "archive.db")
    save(
        db, [("Russia and Syria agree on Tartus", "Moscow keeps the naval base at Tartus in Syria.", "en", 0)], now=OLD
    )
    save(
        db,
        [("Hmeimim flights resume", "Russian planes land at Hmeimim air base near Latakia, Syria.", "en", 0)],
        now=RECENT,
        matches=[Match("russia-syria-bases", 5.0, ("Hmeimim",))],
    )
    save(
        db,
        [
            ("Weekend in Tartu", "Tartu in Estonia is lovely in spring.", "en", 1),
            ("Россия сохранит базу в Тартусе", "Москва договорилась с Сирией о базе Тартус.", "ru", 0),
            ("روسيا وسوريا", "اتفاق على بقاء القاعدة البحرية الروسية في طرطوس بسوريا", "ar", 1),
        ],
        now=RECENT,
    )
    db.close()
    data = {
        "database": "archive.db",
        "sources": [{"name": "TASS wire", "url": "http://127.0.0.1:1/tass.xml"}],
        "topics": [str(SEEDS), {"id": "tartu", "title": "Tartu", "query": "tartu AND estonia"}],
        "channels": [{"id": "log", "type": "log"}],
        "routes": [{"topics": ["*"], "channels": ["log"]}],
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_search_finds_every_script_newest_first(config: Path) -> None:
    code, out, err = run("search", "@tartus", "-c", str(config), "--json")
    assert code == 0, err
    hits = [json.loads(line) for line in out.splitlines()]
    assert [h["title"][:6] for h in hits] == ["روسيا ", "Россия", "Russia"]  # not the Tartu page
    assert hits[1]["terms"] == ["Тартусе", "Тартус"]
    assert "3 hits; read" in err


def test_search_limit_since_and_errors(config: Path) -> None:
    code, out, err = run("search", "tartus OR tartu", "-c", str(config), "--since", "30d", "--limit", "1")
    assert code == 0 and out.startswith("#3  ") and "1 hits (limit reached)" in err
    code, _, err = run("search", "(tartus", "-c", str(config))
    assert code == 2 and "query error at position 7: expected ')'" in err
    code, _, err = run("search", "x", "-c", str(config), "--since", "soon")
    assert code == 2 and "invalid duration" in err


def test_backtest_prints_would_be_alerts_with_channels(config: Path) -> None:
    code, out, err = run("backtest", "russia-syria-bases", "-c", str(config))
    assert code == 0, err
    assert "Hmeimim flights resume" in out and "→ log  (already a hit)" in out
    assert "Russia and Syria agree" not in out  # older than the default 30 days
    assert "Weekend in Tartu" not in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("russia-syria-bases: 3 would alert in 4 articles since 30d (1 already hits, 2 new)")
    code, out, _ = run("backtest", "russia-syria-bases", "-c", str(config), "--since", "365d", "--json")
    assert code == 0 and len(out.splitlines()) == 4
    assert {json.loads(line)["channels"][0] for line in out.splitlines()} == {"log"}


def test_backtest_a_topic_file_and_unknown_topics(config: Path, tmp_path: Path) -> None:
    topic = tmp_path / "draft.yaml"
    topic.write_text("id: draft\ntitle: Draft\nquery: 'hmeimim OR тартус*'\n", encoding="utf-8")
    code, out, _ = run("backtest", str(topic), "-c", str(config))
    assert code == 0 and out.strip().splitlines()[-1].startswith("draft: 2 would alert")
    code, _, err = run("backtest", "nope", "-c", str(config))
    assert code == 2 and "unknown topic 'nope'" in err and "russia-syria-bases" in err


def test_explain_a_stored_article_and_a_file(config: Path, tmp_path: Path) -> None:
    code, out, err = run("explain", "russia-syria-bases", "2", "-c", str(config))
    assert code == 0, err
    assert "hit: score" in out and "✓ OR @khmeimim" in out
    assert "title[0] 'Hmeimim'" in out and "text[4] 'Hmeimim'" in out
    assert "total:" in out and "proximity:" in out
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"title": "Weekend in Tartu", "text": "Tartu, Estonia"}), encoding="utf-8")
    code, out, _ = run("explain", "russia-syria-bases", str(page), "-c", str(config))
    assert code == 0 and "the query does not match" in out and "✗ OR @tartus: tartus | tartous" in out
    code, _, err = run("explain", "russia-syria-bases", "999", "-c", str(config))
    assert code == 1 and "no stored article with id 999" in err


def test_backtest_shows_a_progress_bar_on_a_terminal(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitor.cli.topics._on_terminal", lambda: True)
    code, out, err = run("backtest", "russia-syria-bases", "-c", str(config))
    assert code == 0 and "backtest russia-syria-bases" in err  # click draws the bar itself on a real tty
    assert "Hmeimim flights resume" in out
