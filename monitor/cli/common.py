"""What every command shares: the config option, loading with exit codes, logging setup."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from monitor import store
from monitor.config import Settings, load_config, parse_duration
from monitor.errors import ConfigError, StoreError
from monitor.match import validate_topics
from monitor.store import Db

DEFAULT_CONFIG = "config/monitor.yaml"
EXIT_CONFIG = 2
EXIT_STORE = 3


def _config_path(ctx: click.Context, _: click.Parameter, value: Path | None) -> Path:
    """Return -c as given, else the -c of an enclosing group (``monitor sources -c FILE export``), else
    $MONITOR_CONFIG, else the default: so ``-c`` works the same after every command and subcommand."""
    if value is not None:
        return value
    parent = ctx.parent
    while parent is not None:
        found = parent.params.get("config_path")
        if isinstance(found, Path):
            return found
        parent = parent.parent
    return Path(os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


config_option = click.option(
    "-c",
    "--config",
    "config_path",
    default=None,
    show_default=DEFAULT_CONFIG,
    callback=_config_path,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The YAML config file (env MONITOR_CONFIG).",
)
verbose_option = click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")


def since_window(value: str) -> float:
    """Return the seconds of a --since window such as 24h or 7d; a bare number is refused, not read as seconds.

    Raises click.BadParameter, which click reports with the option's name.
    """
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        raise click.BadParameter(f"{value!r} has no unit: write e.g. {text}h or {text}d (units: s, m, h, d)")
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def open_store(settings: Settings) -> Db:
    """Open the config's database, exiting 3 with the reason when it is unusable."""
    try:
        return store.open_database(settings.database)
    except StoreError as exc:
        fail(f"error: {exc}", EXIT_STORE)


def load_settings(config_path: Path, *, delivers: bool = True) -> Settings:
    """Load the config and compile its topics, exiting 2 with every problem on failure.

    ``delivers=False``: the command sends nothing, so channels whose ``${VAR}`` is unset do not stop it.
    """
    if not config_path.exists():
        fail(
            f"{config_path}: config file not found (looked for {config_path.absolute()}); "
            "pass one with -c FILE or set MONITOR_CONFIG=FILE",
            EXIT_CONFIG,
        )
    try:
        settings = load_config(config_path, channels=delivers)
    except ConfigError as exc:
        fail("\n".join(exc.problems), EXIT_CONFIG)
    errors = validate_topics(settings.topics)
    if errors:
        fail("\n".join(str(e) for e in errors), EXIT_CONFIG)
    return settings


def setup_logging(level: str, verbose: bool, fmt: str = "auto", secrets: Iterable[str] = ()) -> None:
    """Log to stderr: JSON lines when it is not a terminal, text when it is (``fmt``), ``secrets`` masked."""
    from monitor.ops import configure_logging

    configure_logging(level, verbose, fmt, secrets)


def run_async(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except ConfigError as exc:
        fail("\n".join(exc.problems), EXIT_CONFIG)
    except StoreError as exc:  # locked by another process, disk full, corrupt: a clear message, not a traceback
        fail(f"error: {exc}", EXIT_STORE)
