"""``monitor demo``: the whole product, offline, in a few seconds."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from monitor.config import load_config
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink, make_secret
from monitor.demo.site import NewsSite

SEED_TOPICS = Path(__file__).resolve().parents[2] / "seeds" / "topics"
DEMO_FEEDS = ("world/rss.xml", "region/atom.xml")


def demo_config(site: NewsSite, sink_url: str, workdir: Path, topics: Path = SEED_TOPICS) -> dict[str, object]:
    """Return a config (as data) polling the demo site and sending every hit to the webhook sink."""
    return {
        "database": str(workdir / "monitor.db"),
        "user_agent": "monitor-demo/0.1",
        "fetch": {"timeout": "10s", "allow_private_networks": True},
        "sources": [{"name": f"Demo news: {path}", "url": site.url(path)} for path in DEMO_FEEDS],
        "topics": [str(topics)],
        "channels": [{"id": "demo-hook", "type": "webhook", "url": sink_url, "secret": "${MONITOR_DEMO_SECRET}"}],
        "routes": [{"topics": ["*"], "channels": ["demo-hook"]}],
    }


def run_demo(*, keep: bool, echo: Callable[[str], object]) -> int:
    """Serve the demo site, poll it once, print the alerts the sink received; return the exit code."""
    if not SEED_TOPICS.is_dir():
        echo(f"the seed topics are not at {SEED_TOPICS}: run the demo from a clone of the repository")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="monitor-demo-"))
    secret = make_secret()
    try:
        with NewsSite() as site, WebhookSink(secret) as sink:
            config_path = workdir / "monitor.yaml"
            config_path.write_text(yaml.safe_dump(demo_config(site, sink.url, workdir), sort_keys=False))
            echo(f"news site:    {site.origin}  (feeds: {', '.join(DEMO_FEEDS)})")
            echo(f"webhook sink: {sink.url}  (verifies Standard Webhooks signatures)")
            echo(f"config:       {config_path}\n")
            settings = load_config(config_path, environ={"MONITOR_DEMO_SECRET": secret})
            stats = asyncio.run(run_once(settings))
            for line in stats.summary():
                echo(line)
            sink.wait_for(stats.sent, timeout=5)
            echo(f"\n{len(sink.received)} alerts arrived at the webhook sink:")
            for received in sink.received:
                data = received["payload"]["data"]
                mark = "signed ok" if received["verified"] else "BAD SIGNATURE"
                echo(
                    f"  [{data['topic']['id']}] {data['article']['title']}\n"
                    f"      {data['article']['url']}  score {data['match']['score']}, "
                    f"terms {', '.join(data['match']['terms'])}  ({mark})"
                )
            return 0 if sink.received else 1
    finally:
        if keep:
            echo(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
