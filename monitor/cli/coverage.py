"""``monitor coverage TOPIC --gdelt``: outlets that covered a story in GDELT which our sources do not deliver."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import click

from monitor.cli.common import EXIT_CONFIG, config_option, fail, load_settings, run_async
from monitor.config import Settings, parse_duration
from monitor.config.sourceurls import GDELT_DOC, gdelt_url
from monitor.errors import FetchError, ParseError


def _gdelt_query_url(settings: Settings, query: str | None, seconds: float) -> str:
    """Return the GDELT call: ``query`` (else the first gdelt source's) over the period, at the source's address."""
    configured = next((s.url for s in settings.sources if s.type == "gdelt"), None)
    if query is None and configured is None:
        fail("error: give --query, or configure a source of type gdelt whose query is used", EXIT_CONFIG)
    if query is None and configured is not None:
        query = dict(parse_qsl(urlsplit(configured).query)).get("query")
    parts = urlsplit(configured) if configured is not None else None
    endpoint = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts is not None else GDELT_DOC
    timespan = f"{max(15, round(seconds / 60))}min" if seconds < 86400 else f"{max(1, round(seconds / 86400))}d"
    return gdelt_url(endpoint, query, sourcelang=None, sourcecountry=None, timespan=timespan)


@click.command("coverage")
@config_option
@click.argument("topic")
@click.option("--gdelt", "use_gdelt", is_flag=True, required=True, help="Compare with GDELT (the only one for now).")
@click.option("--query", help="The GDELT query (default: that of the first gdelt source in the config).")
@click.option("--since", default="1d", show_default=True, help="The period to compare (GDELT looks back 3 months).")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def coverage(config_path: Path, topic: str, use_gdelt: bool, query: str | None, since: str, output: str) -> None:
    """List the outlets GDELT saw covering a story (its query) that none of our sources delivers, beside the
    outlets of TOPIC's hits in the same period: the sources worth adding."""
    from monitor.daemon import gdelt_coverage_report

    settings = load_settings(config_path, delivers=False)
    if topic not in {t.id for t in settings.topics}:
        fail(f"error: unknown topic {topic!r}", EXIT_CONFIG)
    try:
        seconds = parse_duration(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    url = _gdelt_query_url(settings, query, seconds)
    start = datetime.now(UTC) - timedelta(seconds=seconds)
    try:
        found = run_async(gdelt_coverage_report(settings, topic, url, start))
    except (FetchError, ParseError) as exc:
        fail(f"error: {exc}", 1)
    if output == "json":
        click.echo(json.dumps(asdict(found), ensure_ascii=False))
        return
    click.echo(
        f"GDELT: {found.gdelt_articles} articles from {found.gdelt_outlets} outlets ({found.stored} stored"
        f" by us too); {topic}: {sum(found.ours.values())} hits from {len(found.ours)} outlets since {since}"
    )
    if found.ours:
        click.echo("our outlets: " + ", ".join(f"{o} ({n})" for o, n in found.ours.items()))
    if not found.missing:
        click.echo("every outlet GDELT saw is one our sources deliver")
        return
    click.echo(f"{len(found.missing)} outlets GDELT saw that none of our sources delivers:")
    width = max(len(o.domain) for o in found.missing)
    for outlet in found.missing:
        click.echo(f"  {outlet.domain.ljust(width)}  {outlet.articles:>3}  {outlet.title[:80]}  {outlet.url}")
