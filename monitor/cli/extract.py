"""`monitor extract`: one page (file or URL) as JSON or text, or a folder of pages as JSON Lines."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from monitor import __version__
from monitor.cli.common import fail
from monitor.errors import MonitorError
from monitor.extract import extract
from monitor.models import Article

# What --batch reads from a folder: saved pages, whatever their nesting.
PAGE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
# The CLI fetches one page for a person at a terminal: the same cap as the extractor's.
MAX_DOWNLOAD = 20_000_000


@click.command("extract")
@click.argument("target", required=False)
@click.option("--format", "output", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.option(
    "--batch",
    "batch_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Extract every .html/.htm file under this folder; write JSON Lines with the file name.",
)
def extract_command(target: str | None, output: str, batch_dir: Path | None) -> None:
    """Extract the article from an HTML file or an http(s) URL and print it.

    With --batch DIR, every page under DIR becomes one JSON line {"file": ..., <article>} on stdout,
    with a progress bar on stderr when it is a terminal.
    """
    if batch_dir is not None:
        if target is not None:
            raise click.UsageError("give either FILE_OR_URL or --batch DIR, not both")
        if output != "json":
            raise click.UsageError("--batch writes JSON Lines; --format text applies to one page")
        _extract_batch(batch_dir)
        return
    if target is None:
        raise click.UsageError("missing FILE_OR_URL (or --batch DIR)")
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


def find_pages(folder: Path) -> list[Path]:
    """Return the saved pages under ``folder``, sorted so that runs are reproducible."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in PAGE_SUFFIXES and p.is_file())


def batch_records(folder: Path, pages: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Yield one record per page: its file name (relative to ``folder``) and the article, or the read error."""
    for page in pages:
        name = page.relative_to(folder).as_posix()
        try:
            body = page.read_bytes()
        except OSError as exc:
            # One unreadable file is a line saying so, not the end of a long batch.
            yield {"file": name, "error": exc.strerror or str(exc)}
            continue
        yield {"file": name, **article_json(extract(body))}


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def _extract_batch(folder: Path) -> None:
    pages = find_pages(folder)
    if not pages:
        fail(f"{folder}: no .html/.htm files found", 1)
    if not _stderr_is_tty():
        for record in batch_records(folder, pages):
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    # The bar goes to stderr so that stdout stays pure JSON Lines, ready for a pipe or a file.
    with click.progressbar(pages, label="extracting", file=sys.stderr, show_pos=True) as bar:
        for record in batch_records(folder, bar):
            click.echo(json.dumps(record, ensure_ascii=False))


def _download(url: str) -> tuple[bytes, str]:
    from monitor.fetch import build_client, fetch_page

    async def get() -> tuple[bytes, str]:
        async with build_client(user_agent=f"monitor/{__version__}", timeout=20, concurrency=1) as client:
            page = await fetch_page(client, url, max_bytes=MAX_DOWNLOAD, allow_private=True)
            return page.body, page.url

    try:
        result: tuple[bytes, str] = asyncio.run(get())
    except MonitorError as exc:
        fail(f"error: {exc}", 1)
    return result
