"""``monitor stories``: stories (groups of articles about one event) with their size and outlets."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from monitor.cli.common import EXIT_STORE, config_option, fail, load_settings, since_window
from monitor.errors import StoreError
from monitor.pipeline import backfill_stories
from monitor.store import open_database
from monitor.store.story_queries import list_stories


def _since(value: str) -> float:
    try:
        return since_window(value)
    except click.BadParameter as exc:
        exc.param_hint = "--since"
        raise


@click.group("stories", invoke_without_command=True)
@config_option
@click.option("--topic", help="Only stories with a hit on this topic id.")
@click.option("--since", "since", default="24h", show_default=True, help="Only stories that grew within this period.")
@click.option("--min-size", type=click.IntRange(min=1), default=1, show_default=True, help="Only stories this big.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def stories(
    ctx: click.Context, config_path: Path, topic: str | None, since: str, min_size: int, limit: int, output: str
) -> None:
    """List stories, largest first: articles, outlets, first title and the topics they hit."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings(config_path, delivers=False)
    window = _since(since)
    try:
        db = open_database(settings.database)
    except StoreError as exc:
        fail(f"error: {exc}", EXIT_STORE)
    try:
        rows = list_stories(
            db, since=datetime.now(UTC) - timedelta(seconds=window), topic=topic, min_size=min_size, limit=limit
        )
    finally:
        db.close()
    if output == "json":
        for row in rows:
            click.echo(json.dumps(asdict(row), ensure_ascii=False))
        return
    if not rows:
        click.echo("no stories")
        return
    click.echo(f"{'story':>6} {'size':>4} {'outlets':>7}  {'updated':<16}  title / outlets")
    for row in rows:
        click.echo(f"{row.id:>6} {row.size:>4} {len(row.outlets):>7}  {row.updated_at[:16]:<16}  {row.title[:80]}")
        click.echo(f"{'':>37}{', '.join(row.outlets)}" + (f"  [{', '.join(row.topics)}]" if row.topics else ""))


@stories.command("backfill")
@click.option("--batch", type=click.IntRange(min=1), default=500, show_default=True, help="Articles per transaction.")
@config_option
def backfill(batch: int, config_path: Path) -> None:
    """Group articles stored before stories existed into stories (no alerts); safe to run again or interrupt."""
    settings = load_settings(config_path, delivers=False)
    try:
        db = open_database(settings.database)
    except StoreError as exc:
        fail(f"error: {exc}", EXIT_STORE)
    try:
        done = backfill_stories(
            db, datetime.now(UTC), batch=batch, progress=lambda n: click.echo(f"{n} grouped", err=True)
        )
    finally:
        db.close()
    click.echo(f"{done} articles grouped into stories" if done else "every stored article is in a story already")
