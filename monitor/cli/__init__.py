"""The ``monitor`` command: parse arguments, call one function, turn errors into exit codes.

Exit codes: 0 success, 1 other failure, 2 invalid config or topics, 3 database unusable.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from monitor import __version__, store
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
from monitor.errors import ConfigError
from monitor.match import Matcher, topic_warnings
from monitor.match.semantic import semantic_status
from monitor.models import MatchDocument
from monitor.textutil import plural


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
    from monitor.ops import config_secrets

    settings = load_settings(config_path)
    setup_logging(settings.log_level, verbose, settings.log.format, config_secrets(settings))
    for warning in topic_warnings(settings.topics):  # as `monitor check` prints them, for who never ran it
        logging.getLogger("monitor").warning("topic query: %s", warning)
    run_async(run_daemon(settings))


@main.command()
@config_option
@verbose_option
def once(config_path: Path, verbose: bool) -> None:
    """Poll every source once, store, match and deliver, then print a summary line per stage."""
    from monitor.daemon import run_once
    from monitor.ops import config_secrets

    settings = load_settings(config_path)
    # The config's level: at info the log channel's alerts show (secrets masked here too: hostile suite).
    setup_logging(settings.log_level, verbose, settings.log.format, config_secrets(settings))
    stats = run_async(run_once(settings))
    for line in stats.summary():
        click.echo(line)


@main.command()
@config_option
@click.option("--probe", is_flag=True, help="Also fetch every source once (storing nothing) and say what it is.")
def check(config_path: Path, probe: bool) -> None:
    """Validate a config and its topics; exit 0 if valid, 2 with file:line: key: reason for each problem.

    With --probe, also read every source as a poll would: a page that announces a feed says which feed
    it leads to; a source that fails says why (exit 1 if any fails); a charset that lies or dates that look
    wrong are reported as warnings.
    """
    settings = load_settings(config_path)
    click.echo(
        f"{config_path}: OK: {plural(len(settings.sources), 'source')}, {plural(len(settings.topics), 'topic')}, "
        f"{plural(len(settings.channels), 'channel')}, {plural(len(settings.routes), 'route')}; "
        f"database {store.database_name(settings.database)}"
    )
    meaning = semantic_status(settings.topics)
    if meaning:
        click.echo(f"  {meaning}")
    for warning in topic_warnings(settings.topics):
        click.echo(f"warning: {warning}")
    if not probe:
        return
    from monitor.daemon import probe_sources
    from monitor.ops import config_secrets

    setup_logging("error", False, secrets=config_secrets(settings))
    failed = 0
    for found in run_async(probe_sources(settings)):
        if not found.ok:
            failed += 1
            click.echo(f"  FAIL {found.source.name}: {found.error}")
        elif found.found_as:
            click.echo(
                f"  ok   {found.source.name}: {found.source.url} is a {found.found_as}; its feed is "
                f"{found.feed_url} ({found.entries} entries), which will be polled"
            )
        elif found.discovered:
            click.echo(
                f"  ok   {found.source.name}: {found.source.url} is a page; it announces the feed "
                f"{found.feed_url} ({found.entries} entries), which will be polled"
            )
        elif found.feed_url:
            click.echo(f"  ok   {found.source.name}: moved permanently to {found.feed_url} ({found.entries} entries)")
        else:
            click.echo(f"  ok   {found.source.name}: {found.entries} entries")
        for problem in found.problems:
            click.echo(f"  warn {found.source.name}: {problem}")
    if failed:
        sys.exit(1)


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

    Writes one JSON line per hit: {"id", "topic", "score", "terms"}, and "semantic" {"similarity", "nearest"}
    when the topic matched by meaning.
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
            line: dict[str, Any] = {
                "id": record["id"],
                "topic": hit.topic_id,
                "score": hit.score,
                "terms": list(hit.terms),
            }
            if hit.semantic is not None:
                line["semantic"] = {"similarity": hit.semantic.similarity, "nearest": hit.semantic.nearest}
            click.echo(json.dumps(line, ensure_ascii=False))


def _json_lines(stream: TextIO) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{stream.name}:{number}: invalid JSON: {exc.msg}", 1)


@main.command()
@click.option("--keep", is_flag=True, help="Keep the demo's temporary folder (config and database) and print it.")
def demo(keep: bool) -> None:
    """Run the product offline: a local news site, a webhook sink, one poll cycle, the alerts that arrived."""
    from monitor.demo.run import run_demo

    # The demo's articles are dated February 2025, so its sources look "silent" to the health checks: only
    # errors are worth a newcomer's attention here.
    setup_logging("error", False)
    sys.exit(run_demo(keep=keep, echo=click.echo))


@main.group()
def config() -> None:
    """Config helpers."""


@config.command("schema")
def schema() -> None:
    """Print the JSON Schema of the config file, for editors to validate and complete it."""
    click.echo(json.dumps(config_schema(), indent=2))


from monitor.cli.coverage import coverage as _coverage  # noqa: E402
from monitor.cli.sources import sources as _sources  # noqa: E402

main.add_command(_sources)
main.add_command(_coverage)

from monitor.cli.deliveries import deliveries as _deliveries  # noqa: E402
from monitor.cli.deliveries import test_alert as _test_alert  # noqa: E402

main.add_command(_deliveries)
main.add_command(_test_alert)

from monitor.cli.stories import stories as _stories  # noqa: E402

main.add_command(_stories)

from monitor.cli.topics import backtest as _backtest  # noqa: E402
from monitor.cli.topics import explain_command as _explain  # noqa: E402
from monitor.cli.topics import search as _search  # noqa: E402

main.add_command(_search)
main.add_command(_backtest)
main.add_command(_explain)

from monitor.cli.calibrate import calibrate as _calibrate  # noqa: E402
from monitor.cli.feedback import feedback as _feedback  # noqa: E402

main.add_command(_calibrate)
main.add_command(_feedback)

from monitor.cli import database as _database  # noqa: E402, F401 (adds db migrate and db copy)
from monitor.cli.ops import db_group as _db  # noqa: E402
from monitor.cli.ops import hits as _hits  # noqa: E402
from monitor.cli.ops import install_service as _install_service  # noqa: E402

main.add_command(_hits)
main.add_command(_db)
main.add_command(_install_service)

from monitor.cli.extract import extract_command as _extract_command  # noqa: E402

main.add_command(_extract_command)

from monitor.cli.ops import ui as _ui  # noqa: E402
from monitor.cli.trace import trace as _trace  # noqa: E402

main.add_command(_trace)

main.add_command(_ui)
