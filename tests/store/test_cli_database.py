"""``monitor db migrate`` and ``monitor db copy`` on a config whose ``database:`` is a PostgreSQL URL from the
environment, and every store command on it answering as on SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from store_rows import NOW, PgSchema, save

from monitor.cli import main
from monitor.config import Source, load_config
from monitor.store import open_database, sync_sources
from monitor.store.pg_migrations import STEPS


def _config(tmp_path: Path, database: str) -> Path:
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({"database": database}), encoding="utf-8")
    return config


def test_database_url_comes_from_the_environment_and_paths_stay_paths(tmp_path: Path) -> None:
    url = "postgresql://ann@db.example/news"
    assert load_config(_config(tmp_path, "${DATABASE_URL}"), {"DATABASE_URL": url}).database == url
    settings = load_config(_config(tmp_path, "data/monitor.db"), {})
    assert settings.database == tmp_path / "data" / "monitor.db" and settings.database_file == settings.database


def test_migrate_lists_what_it_applied_then_nothing(
    tmp_path: Path, pg_url: PgSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url())
    config = _config(tmp_path, "${DATABASE_URL}")
    first = CliRunner().invoke(main, ["db", "migrate", "-c", str(config)])
    assert first.exit_code == 0, first.output
    assert [line for line in first.output.splitlines() if line.startswith("applied")] == [
        f"applied {step.__name__}" for step in STEPS
    ]
    again = CliRunner().invoke(main, ["db", "migrate", "-c", str(config)])
    assert again.exit_code == 0 and again.output.startswith(f"schema up to date: {len(STEPS)} steps applied")


def test_migrate_brings_a_sqlite_file_up_to_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "migrate", "-c", str(_config(tmp_path, "monitor.db"))])
    assert result.exit_code == 0, result.output
    assert "applied m001_initial" in result.output and "schema up to date" in result.output


def test_copy_then_the_same_answers_from_postgresql(tmp_path: Path, pg_url: PgSchema) -> None:
    sqlite = open_database(tmp_path / "monitor.db")
    sync_sources(sqlite, [Source(id="src-1", name="Wire", url="http://127.0.0.1:1/feed.xml", interval=60)], NOW)
    for n in range(3):
        save(sqlite, n, topics=("syria",), words="Tartus")
    sqlite.close()
    url = pg_url()
    (tmp_path / "pg").mkdir()
    on_sqlite, on_pg = _config(tmp_path, "monitor.db"), _config(tmp_path / "pg", url)
    copied = CliRunner().invoke(main, ["db", "copy", "-c", str(on_sqlite), "--to", url, "--batch", "2"])
    assert copied.exit_code == 0, copied.output
    assert "articles: 3 rows copied, 3 in all" in copied.output and "verified: the row counts" in copied.output
    commands = (["hits"], ["hits", "--format", "csv"], ["sources"], ["search", "tartus"], ["stories"], ["deliveries"])
    for command in (*commands, ["trace", "1"], ["db", "prune"]):
        there, here = (CliRunner().invoke(main, [*command, "-c", str(c)]) for c in (on_sqlite, on_pg))
        assert here.exit_code == 0, (command, here.output)
        assert here.output == there.output, command
    stats = [CliRunner().invoke(main, ["db", "stats", "--format", "json", "-c", str(c)]) for c in (on_sqlite, on_pg)]
    rows = [
        {t: v["rows"] for t, v in json.loads(s.output)["tables"].items() if t in ("articles", "hits")} for s in stats
    ]
    assert rows[0] == rows[1] == {"articles": 3, "hits": 3}


def test_check_names_a_database_url_without_its_password(tmp_path: Path) -> None:
    config = _config(tmp_path, "postgresql://ann:s3cret@db.example/news")
    result = CliRunner().invoke(main, ["check", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "database postgresql://ann@db.example/news" in result.output and "s3cret" not in result.output
