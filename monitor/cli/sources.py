"""``monitor sources``: the health of every source, OPML export, re-enabling a disabled source."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import click

from monitor import store
from monitor.cli.common import EXIT_CONFIG, config_option, fail, load_settings, open_store
from monitor.config import Source
from monitor.lookup import source_health as health
from monitor.pipeline import PollPlan, plan_next_poll
from monitor.store import SourceState, items


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    seconds = (when - now).total_seconds()
    amount = abs(seconds)
    text = (
        f"{amount:.0f}s"
        if amount < 90
        else f"{amount / 60:.0f}m"
        if amount < 5400
        else f"{amount / 3600:.0f}h"
        if amount < 172_800
        else f"{amount / 86400:.0f}d"
    )
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _record(source: Source, state: SourceState, plan: PollPlan, now: datetime) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "type": source.type,
        "url": source.url,
        "current_url": state.current_url,
        "discovered_from": state.discovered_from,
        "health": health(state, now),
        "consecutive_failures": state.consecutive_failures,
        "last_status": state.last_status,
        "last_error": state.last_error,
        "disabled_reason": state.disabled_reason,
        "last_success_at": state.last_success_at.isoformat() if state.last_success_at else None,
        "last_new_item_at": state.last_new_item_at.isoformat() if state.last_new_item_at else None,
        "next_poll_at": plan.at.isoformat() if plan.at else None,
        "next_poll_reason": plan.reason,
        "interval_seconds": source.interval,
        "interval_explicit": source.interval_explicit,
        "average_gap_seconds": state.average_gap_seconds,
    }


@click.group(invoke_without_command=True)
@config_option
@click.option("--failing", is_flag=True, help="Only sources that are failing or disabled.")
@click.option(
    "--items",
    "by_item",
    is_flag=True,
    help="How each source's items ended (new, duplicate, not an article, failed) and where their text came "
    "from (page, feed, headline).",
)
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def sources(ctx: click.Context, config_path: Path, failing: bool, by_item: bool, output: str) -> None:
    """Print every configured source with its health: last success, failures, last error, next poll."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings(config_path, delivers=False)
    db = open_store(settings)
    now = datetime.now(UTC)
    rows = [(s, store.source_state(db, s.id)) for s in settings.sources]
    outcomes, origins = items.outcome_counts(db), items.text_origin_counts(db)
    db.close()
    if failing:
        rows = [(s, st) for s, st in rows if st.disabled or st.consecutive_failures]
    # What the daemon will do under this config (it re-plans at start and reload), not what an older config said.
    plans = [plan_next_poll(settings.fetch, s, st) for s, st in rows]
    if output == "json":
        for (source, state), plan in zip(rows, plans, strict=True):
            record = _record(source, state, plan, now)
            record["items"] = outcomes.get(source.id, {})
            record["text_from"] = origins.get(source.id, {})
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    if by_item:
        _item_table(rows, outcomes, origins)
        return
    _table(rows, plans, now)


def _echo_columns(lines: Sequence[Sequence[str]]) -> None:
    """Print rows as aligned columns; the last column runs free (URLs and problems are long)."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]) - 1)]
    for line in lines:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[-1])


def _item_table(
    rows: list[tuple[Source, SourceState]], outcomes: dict[str, dict[str, int]], origins: dict[str, dict[str, int]]
) -> None:
    """Print each source's item outcomes and text origins: every item it listed ends in exactly one outcome."""
    shown = [o for o in items.OUTCOMES if o != "unchanged"]
    header = ("SOURCE", *(o.replace("_", " ").upper() for o in shown), "TEXT FROM")
    lines = [header]
    for source, _state in rows:
        counts, text = outcomes.get(source.id, {}), origins.get(source.id, {})
        lines.append(
            (
                source.name[:32],
                *(str(counts.get(o, 0)) for o in shown),
                ", ".join(f"{origin} {n}" for origin, n in sorted(text.items(), key=lambda kv: -kv[1])) or "-",
            )
        )
    _echo_columns(lines)


def _table(rows: list[tuple[Source, SourceState]], plans: list[PollPlan], now: datetime) -> None:
    header = ("SOURCE", "HEALTH", "FAILS", "LAST OK", "NEW ITEM", "NEXT POLL", "WHY", "URL / PROBLEM")
    lines = [header]
    for (source, state), plan in zip(rows, plans, strict=True):
        if state.disabled:
            detail = f"{state.disabled_reason}"
        elif state.consecutive_failures:
            detail = f"{state.last_error}"
        elif state.current_url and state.current_url != source.url:
            how = "discovered" if state.discovered_from else "moved"
            detail = f"{how}: {source.url} -> {state.current_url}"
        else:
            detail = source.url
        lines.append(
            (
                source.name[:32],
                health(state, now),
                str(state.consecutive_failures),
                _ago(state.last_success_at, now),
                _ago(state.last_new_item_at, now),
                "never" if state.disabled else _ago(plan.at, now) if plan.at else "at start",
                "" if state.disabled else plan.reason,
                detail,
            )
        )
    _echo_columns(lines)


@sources.command("export")
@config_option
@click.option("--opml", "as_opml", is_flag=True, required=True, help="Write OPML 2.0 (the only format for now).")
def export(config_path: Path, as_opml: bool) -> None:
    """Print every source as OPML, with the URL it is really polled at (after moves and discovery)."""
    settings = load_settings(config_path, delivers=False)
    db = open_store(settings)
    opml = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(opml, "head")
    ElementTree.SubElement(head, "title").text = "monitor sources"
    ElementTree.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ElementTree.SubElement(opml, "body")
    for source in settings.sources:
        state = store.source_state(db, source.id)
        url = state.current_url or source.url
        kind = "rss" if source.type == "feed" else source.type
        attributes = {"type": kind, "text": source.name, "title": source.name, "xmlUrl": url}
        if state.discovered_from:
            attributes["htmlUrl"] = state.discovered_from
        ElementTree.SubElement(body, "outline", attributes)
    db.close()
    ElementTree.indent(opml)
    click.echo('<?xml version="1.0" encoding="UTF-8"?>')
    click.echo(ElementTree.tostring(opml, encoding="unicode"))


@sources.command("enable")
@config_option
@click.argument("source_id")
def enable(config_path: Path, source_id: str) -> None:
    """Re-enable a source disabled by a 410 Gone (by id, as `monitor sources --format json` shows it)."""
    settings = load_settings(config_path, delivers=False)
    db = open_store(settings)
    found = store.enable_source(db, source_id)
    db.close()
    if not found:
        fail(f"no source with id {source_id!r}", 1)
    click.echo(f"{source_id}: enabled, polled at the next start or cycle")


@sources.command("add")
@config_option
@click.argument("url")
@click.option("--name", help="The source's name (default: made from the address).")
@click.option("--dry-run", is_flag=True, help="Print the entry that would be added; change nothing.")
def add(config_path: Path, url: str, name: str | None, dry_run: bool) -> None:
    """Append a source to the config, its type guessed from URL: a feed (or a page announcing one), a news sitemap,
    a Telegram channel (t.me/NAME), a YouTube channel, a Mastodon account, a Bluesky profile, a Google News search
    or a GDELT query. The file's comments and layout are kept; `monitor check --probe` then reads it once."""
    from monitor.config.addsource import add_source, guess_source
    from monitor.errors import ConfigError

    load_settings(config_path, delivers=False)  # a missing or broken config is said as everywhere, not appended to
    if not url.startswith(("http://", "https://")):
        url = "https://" + url  # "t.me/NAME" as people paste it
    entry, taken_for = guess_source(url, name)
    if dry_run:
        click.echo(f"would add to {config_path} ({taken_for}):\n  - {json.dumps(entry, ensure_ascii=False)}")
        return
    try:
        line = add_source(config_path, entry)
    except (ConfigError, OSError) as exc:
        fail(f"error: {exc}", EXIT_CONFIG)
    click.echo(f"added to {config_path} ({taken_for}):\n  - {line}")
