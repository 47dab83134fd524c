"""``monitor deliveries``: the outbox (failed and dead-lettered deliveries, requeueing) and ``monitor test-alert``."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click

from monitor import __version__
from monitor.cli.common import config_option, fail, load_settings, open_store
from monitor.errors import NotifyError
from monitor.fetch import build_client
from monitor.models import Alert
from monitor.notify import Digest, deliver
from monitor.store import deliveries as outbox


@click.group(invoke_without_command=True)
@config_option
@click.option("--failed", is_flag=True, help="Only deliveries refused for good (failed) or given up on (dead).")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of a table.")
@click.pass_context
def deliveries(ctx: click.Context, config_path: Path, failed: bool, limit: int, as_json: bool) -> None:
    """List deliveries and their status (pending, held, sent, failed, dead), newest first."""
    if ctx.invoked_subcommand is not None:
        return
    db = open_store(load_settings(config_path, delivers=False))
    rows = outbox.list_deliveries(db, failed_only=failed, limit=limit)
    counts = outbox.delivery_counts(db)
    db.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(asdict(row), ensure_ascii=False))
        return
    click.echo("  ".join(f"{status} {count}" for status, count in sorted(counts.items())) or "no deliveries")
    for row in rows:
        line = f"{row.id:>6}  {row.status:<7}  {row.channel_id:<14}  {row.topic_id:<24}  tries {row.attempts:<3}"
        detail = row.last_error if row.status in ("failed", "dead", "pending") and row.last_error else row.outcome
        click.echo(f"{line}  {row.article_url}" + (f"\n        {detail}" if detail else ""))


@deliveries.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Requeue every failed and dead delivery.")
@config_option
def retry(ids: tuple[int, ...], retry_all: bool, config_path: Path) -> None:
    """Put failed or dead deliveries (by ID, or --all) back in the queue; the daemon or `monitor once` sends them."""
    if bool(ids) == retry_all:
        fail("give delivery IDs or --all (not both)", 2)
    db = open_store(load_settings(config_path, delivers=False))
    count = outbox.requeue_deliveries(db, None if retry_all else list(ids), datetime.now(UTC))
    db.close()
    click.echo(f"requeued {count} deliveries")
    if ids and count < len(ids):
        fail(f"{len(ids) - count} of the IDs are not failed or dead deliveries", 1)


SAMPLE = Alert(
    id="msg_test",
    topic_id="test-alert",
    topic_title="Test alert",
    article_url="https://example.org/monitor/test-alert",
    article_title="This is a test alert from monitor",
    source="monitor",
    score=1.0,
    terms=("test",),
    snippets=("… if you can read this, the channel works …",),
    created_at=datetime.now(UTC),
    summary="Sent by `monitor test-alert` to check a channel's settings.",
)


@click.command("test-alert")
@config_option
@click.argument("channel_id")
@click.option("--digest", is_flag=True, help="Send a sample digest (two alerts) instead of one alert.")
def test_alert(config_path: Path, channel_id: str, digest: bool) -> None:
    """Send a sample alert through CHANNEL_ID and print the receiver's answer (exit 1 if it refused)."""
    settings = load_settings(config_path)
    channel = settings.channels.get(channel_id)
    if channel is None:
        fail(f"unknown channel {channel_id!r}: configured are {', '.join(settings.channels) or 'none'}", 2)
    now = datetime.now(UTC)
    # A fresh id each time: receivers that drop repeated webhook-ids must not drop the second test.
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    alert = Alert(**{**asdict(SAMPLE), "id": f"msg_test_{stamp}", "created_at": now})
    message: Alert | Digest = alert
    if digest:
        second = Alert(**{**asdict(alert), "id": f"msg_test2_{stamp}", "article_title": "A second test alert"})
        message = Digest(f"dig_test_{stamp}", (alert, second), now, reason="test digest")

    async def send() -> str:
        async with build_client(user_agent=f"monitor/{__version__}", timeout=30, concurrency=1) as client:
            return await deliver(message, channel, client=client, config_dir=settings.path.parent)

    try:
        outcome = asyncio.run(send())
    except NotifyError as exc:
        kind = "permanent" if exc.permanent else "temporary"
        fail(f"{channel_id}: {kind} failure: {exc}", 1)
    click.echo(f"{channel_id}: {outcome}")
