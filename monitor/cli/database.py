"""``monitor db migrate`` and ``monitor db copy``: the schema of either backend, and moving a store between them."""

from __future__ import annotations

from pathlib import Path

import click

from monitor import store
from monitor.cli.common import EXIT_STORE, config_option, fail, load_settings
from monitor.cli.ops import db_group
from monitor.errors import StoreError
from monitor.store.copy import CopiedTable, copy_store
from monitor.textutil import plural


@db_group.command("migrate")
@config_option
def db_migrate(config_path: Path) -> None:
    """Bring the database's schema up to date (SQLite file or PostgreSQL) and list the steps applied."""
    settings = load_settings(config_path, delivers=False)
    try:
        db = store.open_database(settings.database, migrate=False)
        try:
            applied = db.migrate()
            known = db.schema_version()
        finally:
            db.close()
    except StoreError as exc:
        fail(f"error: {exc}", EXIT_STORE)
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"schema up to date: {plural(len(known), 'step')} applied ({db.name})")


def _target(value: str) -> Path | str:
    return value if "://" in value else Path(value)


@db_group.command("copy")
@config_option
@click.option("--from", "source", help="The database to copy from (a SQLite file or URL); default: the config's.")
@click.option("--to", "target", required=True, help="The database to copy into, e.g. postgresql://user@host/dbname.")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1), help="Rows per transaction.")
def db_copy(config_path: Path, source: str | None, target: str, batch: int) -> None:
    """Copy every table into another database (migrated first), skipping rows already there: safe to re-run after an
    interruption. Stop the daemon first; row counts are compared at the end."""
    origin = load_settings(config_path, delivers=False).database if source is None else _target(source)
    if isinstance(origin, Path) and not origin.exists():
        fail(f"error: no database at {origin}", EXIT_STORE)

    def report(table: CopiedTable) -> None:
        click.echo(f"{table.name}: {plural(table.copied, 'row')} copied, {table.target_rows} in all")

    try:
        src = store.open_database(origin)
        try:
            dst = store.open_database(_target(target))
            try:
                tables = copy_store(src, dst, batch=batch, on_table=report)
            finally:
                dst.close()
        finally:
            src.close()
    except StoreError as exc:
        fail(f"error: {exc}", EXIT_STORE)
    click.echo(f"verified: the row counts of {plural(len(tables), 'table')} are equal in {dst.name}")
