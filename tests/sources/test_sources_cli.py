"""``monitor sources``: the health table, --failing, JSON, OPML export and re-enabling."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from fetch_server import FeedServer, Reply
from sources_kit import RSS_TYPE, poll_kit, rss, write_config

from monitor.cli import main
from monitor.fetch.policy import is_silent


@pytest.fixture
def polled(server: FeedServer, tmp_path: Path) -> Path:
    """A config with one healthy, one failing, one moved and one gone source, each polled once."""
    import anyio

    server.routes["/ok.xml"] = Reply(200, RSS_TYPE, rss(3, newest=datetime.now(UTC)))
    server.routes["/broken.xml"] = Reply(500, {}, b"")
    server.routes["/old.xml"] = Reply(301, {"Location": server.url("/new.xml")})
    server.routes["/new.xml"] = Reply(200, RSS_TYPE, rss(2, prefix="moved"))
    server.routes["/gone.xml"] = Reply(410)
    names = {"/ok.xml": "Healthy", "/broken.xml": "Broken", "/old.xml": "Moved", "/gone.xml": "Gone"}
    settings = write_config(tmp_path, [{"name": n, "url": server.url(p)} for p, n in names.items()])

    async def poll_all() -> None:
        async with poll_kit(settings) as kit:
            kit.now = datetime.now(UTC)
            for source in settings.sources:
                await kit.poll(source)

    anyio.run(poll_all)
    return tmp_path / "monitor.yaml"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_table_shows_every_source_with_its_health(polled: Path, server: FeedServer) -> None:
    out = run("sources", "-c", str(polled))
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert out.splitlines()[0].startswith("SOURCE")
    assert " ok " in lines["Healthy"]
    assert " failing " in lines["Broken"] and "HTTP 500" in lines["Broken"]
    assert "moved: " in lines["Moved"] and server.url("/new.xml") in lines["Moved"]
    assert " disabled " in lines["Gone"] and "410" in lines["Gone"] and "never" in lines["Gone"]


def test_failing_shows_only_the_broken_ones(polled: Path) -> None:
    out = run("sources", "--failing", "-c", str(polled))
    assert sorted(line.split()[0] for line in out.splitlines()[1:]) == ["Broken", "Gone"]
    output = run("sources", "--failing", "--format", "json", "-c", str(polled))
    records = [json.loads(line) for line in output.splitlines()]
    assert {r["name"]: r["health"] for r in records} == {"Broken": "failing", "Gone": "disabled"}


def test_export_opml_uses_the_url_really_polled(polled: Path, server: FeedServer) -> None:
    tree = ElementTree.fromstring(run("sources", "export", "--opml", "-c", str(polled)).split("\n", 1)[1])
    urls = {o.get("text"): o.get("xmlUrl") for o in tree.iter("outline")}
    assert urls["Moved"] == server.url("/new.xml") and urls["Healthy"] == server.url("/ok.xml")
    assert len(urls) == 4


def test_enable_brings_a_gone_source_back(polled: Path) -> None:
    gone = next(
        r
        for r in map(json.loads, run("sources", "--format", "json", "-c", str(polled)).splitlines())
        if r["name"] == "Gone"
    )
    assert "enabled" in run("sources", "enable", gone["id"], "-c", str(polled))
    assert "Gone" not in run("sources", "--failing", "-c", str(polled))
    result = CliRunner().invoke(main, ["sources", "enable", "src-nope", "-c", str(polled)])
    assert result.exit_code == 1


def test_silent_flag() -> None:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    assert is_silent(now - timedelta(hours=4), 3600, now)
    assert not is_silent(now - timedelta(hours=2), 3600, now)
    assert not is_silent(None, 3600, now) and not is_silent(now - timedelta(days=9), None, now)
