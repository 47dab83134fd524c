"""Read the archive with the live rules: search and backtest with the compiled matcher, a source's health word.

Its own layer above the stages, so ``monitor search`` (the CLI) and ``monitor ui`` (the browser pages) answer
alike: both confirm every article with the same compiled matcher the daemon uses, on the same ``MatchDocument``
(stored title and text, source name, language). SQLite FTS5 only narrows which rows are read (see
``monitor.match.fts``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.fetch.policy import is_silent
from monitor.match import CompiledTopic
from monitor.match.fts import alphabet_for, candidate_chars, plan_query
from monitor.models import Match, MatchDocument, Topic
from monitor.store import Db, SourceState
from monitor.store.archive import StoredArticle, count_articles, fts_chars, iter_articles


@dataclass
class ScanStats:
    """How much of the archive a scan read."""

    total: int = 0  # articles in the time window
    read: int = 0  # articles the prefilter let through to the matcher
    hits: int = 0


def document(article: StoredArticle) -> MatchDocument:
    """Return what the live pipeline matched for a stored article."""
    return MatchDocument(title=article.title, text=article.text, source=article.source, language=article.language)


def search_topic(query: str, topics: Sequence[Topic]) -> Topic:
    """Return the ad-hoc topic of a search: ``query`` with the aliases of ``topics`` (the first defining each)."""
    aliases: dict[str, tuple[str, ...]] = {}
    for topic in topics:
        for name, entries in topic.aliases.items():
            aliases.setdefault(name, entries)
    return Topic(id="search", title="search", query=query, aliases=aliases, origin="query")


def archive_hits(
    db: Db,
    compiled: CompiledTopic,
    *,
    since: datetime | None = None,
    newest_first: bool = False,
    stats: ScanStats | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[StoredArticle, Match]]:
    """Yield every stored article the topic hits, with the hit, exactly as the live matcher would.

    ``progress`` is called with 1 for every stored article examined (``count_articles`` of the window).
    """
    stats = stats if stats is not None else ScanStats()
    plan = plan_query(compiled, alphabet_for(fts_chars(db, candidate_chars())))
    stats.total = count_articles(db, since=since)
    tick = None if progress is None else (lambda: progress(1))
    for article in iter_articles(
        db, since=since, exotic=plan.exotic, clauses=plan.clauses, newest_first=newest_first, on_row=tick
    ):
        stats.read += 1
        hit = compiled.match(document(article))
        if hit is not None:
            stats.hits += 1
            yield article, hit


def source_health(state: SourceState, now: datetime) -> str:
    """Return one word for a source's health: new, ok, failing, disabled or silent."""
    if state.disabled:
        return "disabled"
    if state.consecutive_failures:
        return "failing"
    if state.last_success_at is None:
        return "new"
    if is_silent(state.last_new_item_at, state.average_gap_seconds, now):
        return "silent"
    return "ok"
