"""The ``monitor`` command: parse arguments, call one function, turn errors into exit codes.

Exit codes: 0 success, 1 other failure, 2 invalid config or topics, 3 database unusable.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import click

from monitor import __version__
from monitor.cli.common import (
    EXIT_CONFIG,
    config_option,
    fail,
    load_settings,
    run_async,
    setup_logging,
    verbose_option,
)
from monitor.config import config_schema, load_topics
from monitor.errors import ConfigError, MonitorError
from monitor.extract import extract
from monitor.match import Matcher
from monitor.models import Article, MatchDocument


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """Media monitoring: poll news sources, match watch-topics, alert by webhook and email."""


@main.command()
@config_option
@verbose_option
def run(config_path: Path, verbose: bool) -> None:
    """Run the daemon: poll each source at its interval until SIGTERM or SIGINT."""
    from monitor.daemon import run_daemon

    settings = load_settings(config_path)
    setup_logging(settings.log_level, verbose)
    run_async(run_daemon(settings))


@main.command()
@config_option
@verbose_option
def once(config_path: Path, verbose: bool) -> None:
    """Poll every source once, store, match and deliver, then print a summary line per stage."""
    from monitor.daemon import run_once

    settings = load_settings(config_path)
    setup_logging("warning", verbose)
    stats = run_async(run_once(settings))
    for line in stats.summary():
        click.echo(line)


@main.command()
@config_option
def check(config_path: Path) -> None:
    """Validate a config and its topics; exit 0 if valid, 2 with file:line: key: reason for each problem."""
    settings = load_settings(config_path)
    click.echo(
        f"{config_path}: OK: {len(settings.sources)} sources, {len(settings.topics)} topics, "
        f"{len(settings.channels)} channels, {len(settings.routes)} routes; database {settings.database}"
    )


@main.command()
@click.option(
    "--topics",
    "topics_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="A topic file or a folder of topic files.",
)
@click.argument("articles", required=False, type=click.File("r", encoding="utf-8"), default="-")
def match(topics_path: Path, articles: TextIO) -> None:
    """Match articles (JSON Lines of {"id", "url", "title", "text"}; stdin by default) against topics.

    Writes one JSON line per hit: {"id", "topic", "score", "terms"}.
    """
    try:
        matcher = Matcher(load_topics(topics_path))
    except ConfigError as exc:
        fail("\n".join(exc.problems), EXIT_CONFIG)
    for number, record in _json_lines(articles):
        if not isinstance(record, dict) or "id" not in record:
            fail(f"{articles.name}:{number}: expected an object with id, title and text", 1)
        doc = MatchDocument(
            title=str(record.get("title") or ""),
            text=str(record.get("text") or ""),
            source=str(record.get("source") or ""),
            language=record.get("language"),
        )
        for hit in matcher.match(doc):
            line = {"id": record["id"], "topic": hit.topic_id, "score": hit.score, "terms": list(hit.terms)}
            click.echo(json.dumps(line, ensure_ascii=False))


def _json_lines(stream: TextIO) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{stream.name}:{number}: invalid JSON: {exc.msg}", 1)


@main.command("extract")
@click.argument("target")
@click.option("--format", "output", type=click.Choice(["json", "text"]), default="json", show_default=True)
def extract_command(target: str, output: str) -> None:
    """Extract the article from an HTML file or an http(s) URL and print it."""
    if target.startswith(("http://", "https://")):
        body, url = _download(target)
    else:
        try:
            body, url = Path(target).read_bytes(), None
        except OSError as exc:
            fail(f"{target}: {exc.strerror or exc}", 1)
    article = extract(body, url=url)
    if output == "text":
        click.echo(article.title)
        click.echo()
        click.echo(article.text)
    else:
        click.echo(json.dumps(article_json(article), ensure_ascii=False, indent=2))


def article_json(article: Article) -> dict[str, Any]:
    """Return an article as JSON-ready data (dates as ISO 8601)."""
    data = asdict(article)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
        elif isinstance(value, tuple):
            data[key] = list(value)
    return data


def _download(url: str) -> tuple[bytes, str]:
    from monitor.fetch import build_client, fetch_page

    async def get() -> tuple[bytes, str]:
        async with build_client(user_agent=f"monitor/{__version__}", timeout=20, concurrency=1) as client:
            page = await fetch_page(client, url, max_bytes=20_000_000, allow_private=True)
            return page.body, page.url

    try:
        result: tuple[bytes, str] = asyncio.run(get())
    except MonitorError as exc:
        fail(f"error: {exc}", 1)
    return result


@main.command()
@click.option("--keep", is_flag=True, help="Keep the demo's temporary folder (config and database) and print it.")
def demo(keep: bool) -> None:
    """Run the product offline: a local news site, a webhook sink, one poll cycle, the alerts that arrived."""
    from monitor.demo.run import run_demo

    setup_logging("warning", False)
    sys.exit(run_demo(keep=keep, echo=click.echo))


@main.group()
def config() -> None:
    """Config helpers."""


@config.command("schema")
def schema() -> None:
    """Print the JSON Schema of the config file, for editors to validate and complete it."""
    click.echo(json.dumps(config_schema(), indent=2))
