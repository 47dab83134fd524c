"""``monitor hits``, ``monitor db stats|prune`` and ``monitor install-service`` on a real database."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from ops_peers import write_config

from monitor import store
from monitor.cli import main
from monitor.models import Article, Match
from monitor.pipeline.alerts import plan_hits


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "monitor.yaml", [], retention={"articles": "30d", "hits": "60d"})


def _fill(database: Path) -> None:
    db = store.open_database(database)
    now = datetime.now(UTC)
    for n, (days, topics) in enumerate([(0.1, ("bases",)), (3, ("bases", "government")), (90, ("bases",))]):
        url = f"https://news.example/{n}"
        store.save_article(
            db,
            Article(title=f"Story {n}", text="text " * 50, url=url),
            url=url,
            link=url,
            source_id="src-1",
            item_key=url,
            plan=plan_hits(
                url,
                [Match(topic_id=t, score=2.5, terms=("x",)) for t in topics],
                {},
                channels_for=lambda topic, score: ["log"],
            ),
            now=now - timedelta(days=days),
        )
    db.close()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_hits_in_every_format(config: Path) -> None:
    _fill(config.parent / "monitor.db")
    code, out = _run("hits", "-c", str(config))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "time", "topic", "score", "source", "delivered", "title"] and len(lines) == 5
    code, out = _run("hits", "-c", str(config), "--topic", "bases", "--since", "24h", "--format", "json")
    assert code == 0
    assert [json.loads(line)["title"] for line in out.splitlines()] == ["Story 0"]
    code, out = _run("hits", "-c", str(config), "--since", "7d", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 3 and {r["topic"] for r in rows} == {"bases", "government"}
    assert _run("hits", "-c", str(config), "--since", "soon")[0] == 2
    code, out = _run("hits", "-c", str(config), "--since", "2")  # a bare number is not read as 2 seconds
    assert code == 2 and "'2' has no unit: write e.g. 2h or 2d" in out
    code, out = _run("hits", "-c", str(config), "--topic", "nothing")
    assert code == 0 and "no hits for topic nothing" in out


def test_db_stats_and_prune(config: Path) -> None:
    _fill(config.parent / "monitor.db")
    code, out = _run("db", "stats", "-c", str(config))
    assert code == 0 and "auto_vacuum incremental" in out and "articles" in out
    code, out = _run("db", "stats", "-c", str(config), "--format", "json")
    assert json.loads(out)["tables"]["articles"]["rows"] == 3
    code, out = _run("db", "prune", "-c", str(config))
    assert code == 0 and "articles: 1" in out and "hits: 1" in out
    assert json.loads(_run("db", "stats", "-c", str(config), "--format", "json")[1])["tables"]["hits"]["rows"] == 3


def test_commands_refuse_a_missing_database(config: Path) -> None:
    code, out = _run("db", "stats", "-c", str(config))
    assert code == 3 and "no database at" in out
    assert not (config.parent / "monitor.db").exists()


def test_install_service_prints_or_writes_the_unit(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkout in pytest's tmp_path could not run as a service (tests/ops/test_ops_install.py): pretend it could.
    monkeypatch.setattr("monitor.cli.ops.unit_problems", lambda *args, **kwargs: [])
    code, out = _run("install-service", "-c", str(config))
    assert code == 0 and "Type=notify" in out and f"run -c {config}" in out
    assert f"ReadWritePaths={config.parent}" in out  # the database lives outside /var/lib/monitor
    target = tmp_path / "monitor.service"
    code, _ = _run("install-service", "-c", str(config), "-o", str(target))
    assert code == 0 and target.read_text().startswith("# monitor as a systemd service")
