"""An archive filled by the real pipeline (the demo news site, polled once) and ``monitor ui`` serving it.

Built once per session: the pipeline poll takes seconds, and every ui test only reads.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from monitor import store
from monitor.config import Settings, load_config
from monitor.daemon import run_once
from monitor.demo.run import demo_config
from monitor.demo.sink import WebhookSink, make_secret
from monitor.demo.site import NewsSite
from monitor.models import Article, Match
from monitor.pipeline.alerts import plan_hits
from monitor.store import notices, stories
from monitor.store.deliveries import HitPlan

MONITOR = [sys.executable, "-m", "monitor"]
HOSTILE_TITLE = '<script>alert("x")</script> Tartus & <b>bases</b>'
HOSTILE_URL = "javascript:alert(1)//tartus"


@dataclass(frozen=True)
class Archive:
    config: Path
    settings: Settings
    hostile_article: int
    env: dict[str, str]  # what loading the config needs (the demo's webhook secret)


def _fill(workdir: Path) -> Archive:
    secret = make_secret()
    with NewsSite() as site, WebhookSink(secret) as sink:
        data = demo_config(site, sink.url, workdir)
        data["fetch"] = {**data["fetch"], "min_delay": "0"}  # type: ignore[dict-item]  # one local host: no politeness
        # A source that fails, so the health pages have something to show.
        data["sources"] = [*data["sources"], {"name": "Broken wire", "url": site.url("no/such/feed.xml")}]  # type: ignore[list-item]
        config = workdir / "monitor.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        settings = load_config(config, environ={"MONITOR_DEMO_SECRET": secret})
        asyncio.run(run_once(settings))
    db = store.open_database(settings.database)
    try:
        now = datetime.now(UTC)
        # A hostile article: markup in the title and a javascript: link must come out inert.
        saved = store.save_article(
            db,
            Article(title=HOSTILE_TITLE, text="Russia keeps its bases in Tartus. " * 20, url=HOSTILE_URL),
            url=HOSTILE_URL,
            link=HOSTILE_URL,
            source_id=settings.sources[0].id,
            item_key=HOSTILE_URL,
            plan=plan_hits(
                HOSTILE_URL,
                [Match(topic_id="russia-syria-bases", score=3.0, terms=("<b>Tartus</b>",), snippets=("<i>x</i>",))],
                {},
                channels_for=lambda topic, score: ["demo-hook"],
            ),
            now=now,
        )
        # Two more outlets report the Russian story later, so a story has several lanes.
        story = db.execute(
            "SELECT sa.story_id FROM story_articles sa JOIN articles a ON a.id = sa.article_id"
            " WHERE a.url LIKE '%/ru/%'"
        ).fetchone()[0]
        for hours, outlet in ((2, "tass.ru"), (5, "reuters.com")):
            url = f"https://{outlet}/tartus-{hours}"
            stories.save_in_story(
                db,
                Article(title=f"{outlet}: Russia and Syria talk about Tartus", text="Тартус база " * 30, url=url),
                url=url,
                link=url,
                source_id=settings.sources[1].id,
                item_key=url,
                plan=HitPlan(()),
                member=stories.Membership(story, outlet, url, f"fp-{outlet}", b"", similarity=0.8),
                now=now + timedelta(hours=hours),
            )
        delivery = db.execute("SELECT id FROM deliveries ORDER BY id LIMIT 1").fetchone()[0]
        store.mark_delivery_failed(db, delivery, error="HTTP 410 Gone", permanent=True, retry_at=None)
        notices.start_condition(db, "disk.low", "disk.low", "data", "only 3% free on the data disk", now)
        article_id = saved.article_id
    finally:
        db.close()
    return Archive(config, settings, article_id, {"MONITOR_DEMO_SECRET": secret})


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """Return a config whose database the pipeline filled from the demo site, plus a few store-made rows."""
    return _fill(tmp_path_factory.mktemp("ui-archive"))


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[str]
    tmpdir: Path
    log: list[str] = field(default_factory=list)  # its stderr, read all along so the pipe never fills
    reader: threading.Thread | None = None  # ends when the process has closed its stderr


def start_ui(archive: Archive, tmpdir: Path) -> Served:
    """Start ``monitor ui --port 0`` with its own empty TMPDIR; return once it printed its address."""
    env = {**os.environ, **archive.env, "TMPDIR": str(tmpdir)}
    proc = subprocess.Popen(
        [*MONITOR, "ui", "-c", str(archive.config), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        for line in list(lines):
            found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if found:
                return Served(found.group(1), proc, tmpdir, lines, reader)
        time.sleep(0.05)
    proc.kill()
    proc.wait(5)
    raise AssertionError(f"monitor ui did not start: {''.join(lines)!r}, exit {proc.poll()}")


@pytest.fixture(scope="session")
def served(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Return ``monitor ui`` running in a subprocess on the archive (stopped with SIGTERM at the end)."""
    served = start_ui(archive, tmp_path_factory.mktemp("ui-tmp"))
    yield served
    served.proc.terminate()
    served.proc.wait(10)
