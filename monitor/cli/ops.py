"""Operations commands: ``monitor hits``, ``monitor db stats|prune``, ``monitor install-service``, ``monitor ui``."""

from __future__ import annotations

import csv
import json
import shutil
import sys
import webbrowser
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from monitor import ops
from monitor.cli.common import EXIT_STORE, config_option, fail, load_settings, open_store, run_async, since_window
from monitor.config import Settings
from monitor.ops.unit import unit_problems
from monitor.store import Db
from monitor.store.hits import recent_hits
from monitor.textutil import plural


def _open(settings: Settings) -> Db:
    """Open the existing database (never create one: a typo in the path would show an empty archive)."""
    if settings.database_file is not None and not settings.database_file.exists():
        fail(f"error: no database at {settings.database} (has `monitor run` or `monitor once` run yet?)", EXIT_STORE)
    return open_store(settings)


def _duration(_: click.Context, __: click.Parameter, value: str | None) -> float | None:
    return None if value is None else since_window(value)


@click.command()
@config_option
@click.option("--topic", help="Only hits of this topic id.")
@click.option("--since", callback=_duration, help="Only hits newer than this, e.g. 24h or 7d.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1), help="At most this many hits.")
@click.option("--format", "output", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def hits(config_path: Path, topic: str | None, since: float | None, limit: int, output: str) -> None:
    """List stored hits, newest first (json: one object per line)."""
    settings = load_settings(config_path, delivers=False)
    db = _open(settings)
    after = datetime.now(UTC) - timedelta(seconds=since) if since else None
    rows = recent_hits(db, topic=topic, since=after, limit=limit)
    db.close()
    if output == "json":
        for row in rows:
            click.echo(json.dumps(row.as_dict(), ensure_ascii=False))
    elif output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["id", "created_at", "topic", "score", "title", "url", "source", "delivered"])
        for row in rows:
            writer.writerow(
                [row.hit_id, row.created_at, row.topic, row.score, row.title, row.url, row.source, row.delivery]
            )
    else:
        _table(
            ["id", "time", "topic", "score", "source", "delivered", "title"],
            [
                [
                    str(r.hit_id),
                    r.created_at[:16].replace("T", " "),
                    r.topic,
                    f"{r.score:g}",
                    r.source,
                    r.delivery,
                    r.title,
                ]
                for r in rows
            ],
        )
        if not rows:
            click.echo("no hits" + (f" for topic {topic}" if topic else "") + (" in that period" if since else ""))


def _table(header: list[str], rows: list[list[str]], widest: int = 60) -> None:
    cells = [header, *[[c if len(c) <= widest else c[: widest - 1] + "…" for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@click.group("db")
def db_group() -> None:
    """Database maintenance: sizes and row counts, retention pruning, schema steps, copying to another database."""


@db_group.command("stats")
@config_option
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
def db_stats(config_path: Path, output: str) -> None:
    """Show file sizes, free pages, and rows and bytes per table."""
    settings = load_settings(config_path, delivers=False)
    db = _open(settings)
    stats = ops.database_stats(db, settings.database_file)
    db.close()
    if output == "json":
        click.echo(json.dumps(stats, indent=2))
        return
    click.echo(f"database:   {stats['path']}")
    for name, size in stats["files"].items():
        click.echo(f"  {name}: {_size(size)}")
    free = stats["free_pages"] * stats["page_size"]
    click.echo(
        f"pages:      {stats['pages']} of {stats['page_size']} bytes, {stats['free_pages']} free ({_size(free)});"
        f" auto_vacuum {stats['auto_vacuum']}, journal {stats['journal_mode']}"
    )
    click.echo(f"articles:   {stats['articles_from'] or '-'} .. {stats['articles_to'] or '-'}")
    click.echo(f"heartbeat:  {stats['last_heartbeat'] or 'never (no daemon has run)'}")
    _table(
        ["table", "rows", "size"],
        [
            [name, str(t["rows"]), _size(t["bytes"]) if t["bytes"] is not None else "?"]
            for name, t in stats["tables"].items()
        ],
    )


@db_group.command("prune")
@config_option
def db_prune(config_path: Path) -> None:
    """Delete articles and hits older than the config's retention now (the daemon does this daily)."""
    settings = load_settings(config_path, delivers=False)
    db = _open(settings)
    result = ops.prune(
        db, articles_age=settings.retention.articles, hits_age=settings.retention.hits, now=datetime.now(UTC)
    )
    db.close()
    # Rows per table as "table: n": table names are plural already ("1 articles" read wrong).
    deleted = ", ".join(f"{t}: {n}" for t, n in sorted(result.deleted.items())) or "nothing"
    click.echo(f"deleted {deleted}; {plural(result.freed_pages, 'page')} given back")


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


@click.command("install-service")
@config_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the unit here (e.g. /etc/systemd/system/monitor.service); default: print it.",
)
def install_service(config_path: Path, output: Path | None) -> None:
    """Write a hardened systemd unit (Type=notify, watchdog, reload) that runs this installation."""
    settings = load_settings(config_path, delivers=False)
    executable = Path(sys.executable).parent / "monitor"
    if not executable.exists():
        executable = Path(shutil.which("monitor") or executable)
    unit = ops.render_unit(executable.absolute(), settings.path, settings.database_file)
    problems = unit_problems(executable.absolute(), settings.path, settings.database_file)
    if output is None:
        click.echo(unit, nl=False)
    else:
        try:
            output.write_text(unit, encoding="utf-8")
        except OSError as exc:
            fail(f"error: cannot write {output}: {exc.strerror or exc}", 1)
    name = output.stem if output is not None else "monitor"
    where = f"wrote {output}" if output is not None else "unit printed"
    if not problems:
        if output is not None:
            click.echo(f"{where}; now: systemctl daemon-reload && systemctl enable --now {name}", err=True)
        return
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    fail(
        f"{where}, but the service would not start until the problems above are fixed; fix them and run "
        f"install-service again before `systemctl enable --now {name}`",
        1,
    )


@click.command("ui")
@config_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (the pages have no login: keep it local).",
)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free).")
@click.option("--open", "open_browser", is_flag=True, help="Open a browser on it.")
def ui(config_path: Path, host: str, port: int, open_browser: bool) -> None:
    """Browse the archive: hits per topic over time, stories, search and explain, sources, deliveries, health.

    Serves until SIGTERM or Ctrl-C; reads the database only, so it can run beside the daemon.
    """
    from monitor.ui import UiApp, serve_ui

    settings = load_settings(config_path)
    db = _open(settings)  # exists: a typo in the path must not show an empty archive

    def ready(url: str) -> None:
        click.echo(f"monitor ui on {url} ; Ctrl-C or SIGTERM stops it", err=True)
        if open_browser:
            webbrowser.open(url)

    try:
        run_async(serve_ui(UiApp(settings, db, lambda: datetime.now(UTC)), host, port, ready))
    except OSError as exc:
        fail(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", 1)
    finally:
        db.close()
