"""``monitor ui``: Datasette metadata with canned queries that run on a real database; Datasette when installed."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from ops_peers import MONITOR, free_port, http_get, write_config

from monitor import store
from monitor.cli import main
from monitor.config import load_config
from monitor.models import Article, Match, Notice
from monitor.ops import ui
from monitor.store import notices

NOW = datetime.now(UTC)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    sources = [
        {"name": "Good wire", "url": "https://good.example/rss"},
        {"name": "Bad wire", "url": "https://bad.example/rss"},
    ]
    path = write_config(tmp_path / "monitor.yaml", sources)
    settings = load_config(path)
    db = store.open_database(settings.database)
    store.sync_sources(db, settings.sources, NOW)
    bad = next(s for s in settings.sources if s.name == "Bad wire")
    store.record_poll_failure(db, bad.id, error="HTTP 500", status=500, now=NOW)
    for n, (hours, topic) in enumerate([(1, "bases"), (2, "bases"), (50, "government")]):
        url = f"https://news.example/{n}"
        store.save_article(
            db,
            Article(title=f"Story {n}", text="text " * 50, url=url),
            url=url,
            link=url,
            source_id=bad.id,
            item_key=url,
            matches=[Match(topic_id=topic, score=2.0, terms=("x",))],
            topic_titles={},
            channels_for=lambda topic, score: ["log"],
            now=NOW - timedelta(hours=hours),
        )
    notices.start_condition(db, "source.failing:x", "source.failing", bad.id, "source Bad wire is failing", NOW)
    notices.queue_notice(
        db,
        Notice(
            id="ntc_1",
            topic_id="monitor.health",
            topic_title="Monitor health",
            condition="source.failing",
            subject=bad.id,
            state="started",
            title="source Bad wire is failing",
            text="...",
            created_at=NOW,
        ),
        ["log"],
        NOW,
    )
    db.close()
    return path


def test_canned_queries_run_on_the_real_schema(config: Path) -> None:
    settings = load_config(config)
    metadata = ui.datasette_metadata(settings.database)
    queries = metadata["databases"]["monitor"]["queries"]
    assert {"recent_hits", "hits_per_topic", "source_health", "monitor_health"} <= set(queries)
    db = store.open_database(settings.database)
    results = {}
    for name, query in queries.items():
        params = {"topic": ""} if ":topic" in query["sql"] else {}
        results[name] = db.execute(query["sql"], params).fetchall()
    assert len(results["recent_hits"]) == 3
    assert [r[1] for r in db.execute(queries["recent_hits"]["sql"], {"topic": "government"})] == ["government"]
    # hits_per_topic: topic, title, last_24h, last_7d, total
    assert [(r[0], r[2], r[3], r[4]) for r in results["hits_per_topic"]] == [
        ("bases", 2, 2, 2),
        ("government", 0, 1, 1),
    ]
    assert [(r[0], r[2]) for r in results["source_health"]] == [("Bad wire", "failing"), ("Good wire", "new")]
    assert [r[0] for r in results["monitor_health"]] == ["active", "started"]
    assert results["failed_deliveries"] == []


def test_ui_metadata_flag_and_missing_datasette(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(main, ["ui", "-c", str(config), "--metadata"])
    assert result.exit_code == 0
    assert "recent_hits" in json.loads(result.output)["databases"]["monitor"]["queries"]
    monkeypatch.setattr(ui, "datasette_available", lambda: False)
    result = CliRunner().invoke(main, ["ui", "-c", str(config)])
    assert result.exit_code == 1
    assert "monitor ui needs Datasette: pip install 'monitor[ui]'" in result.output


@pytest.mark.slow
def test_ui_serves_the_canned_queries(config: Path) -> None:
    if not ui.datasette_available():
        pytest.skip("Datasette is not installed (the optional extra: pip install 'monitor[ui]')")
    port = free_port()
    proc = subprocess.Popen(
        [*MONITOR, "ui", "-c", str(config), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, body = http_get(f"http://127.0.0.1:{port}/monitor/recent_hits.json?topic=&_shape=array")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert status == 200
        rows = json.loads(body)
        assert [r["title"] for r in rows] == ["Story 0", "Story 1", "Story 2"]
        status, _, body = http_get(f"http://127.0.0.1:{port}/monitor/source_health.json?_shape=array")
        assert [r["health"] for r in json.loads(body)] == ["failing", "new"]
    finally:
        proc.terminate()
        proc.wait(10)
