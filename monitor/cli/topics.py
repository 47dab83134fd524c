"""Topic tools on the stored archive: ``monitor search``, ``monitor backtest`` and ``monitor explain``.

Every command here confirms each article with the same compiled matcher the daemon uses, on the same
``MatchDocument`` (stored title and text, source name, language), so the archive answers as the live
pipeline would. SQLite FTS5 only narrows which rows are read (see ``monitor.match.fts``).
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from monitor.cli.common import EXIT_CONFIG, config_option, fail, load_settings, open_store, since_window
from monitor.config import Settings, load_topics
from monitor.errors import ConfigError, QueryError
from monitor.lookup import ScanStats, archive_hits, document, search_topic
from monitor.match import CompiledTopic, compile_topic
from monitor.match.explain import Clause, Explanation, explain
from monitor.match.semantic import Embedder, SemanticTopic, compile_semantic, default_embedder
from monitor.models import Match, MatchDocument, Topic
from monitor.store import Db
from monitor.store.archive import StoredArticle, count_articles, get_article
from monitor.store.hits import has_hit
from monitor.store.story_queries import story_id_of


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.now(UTC) - timedelta(seconds=since_window(value))
    except click.BadParameter as exc:
        exc.param_hint = "--since"
        raise


def _compile(topic: Topic) -> CompiledTopic:
    try:
        return compile_topic(topic)
    except QueryError as exc:
        fail(str(exc), EXIT_CONFIG)


def _hit_json(article: StoredArticle, hit: Match, **extra: Any) -> str:
    data = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "source": article.source,
        "published": article.published,
        "fetched_at": article.fetched_at,
        "topic": hit.topic_id,
        "score": hit.score,
        "terms": list(hit.terms),
        "snippets": list(hit.snippets),
        **extra,
    }
    return json.dumps(data, ensure_ascii=False)


def _hit_lines(article: StoredArticle, hit: Match, note: str = "") -> list[str]:
    # The date shown is when the article was stored, the order both commands list in (a feed's publication
    # dates can be missing, late or wrong); the publication date follows when it is another day.
    stored = (article.fetched_at or "")[:16].replace("T", " ")
    published = (article.published or "")[:10]
    when = f"{stored} (published {published})" if published and published != stored[:10] else stored
    head = f"#{article.id}  {when}  {article.source or '-'}  score {hit.score:g}  {article.title}"
    lines = [head, f"    {article.url}", f"    terms: {', '.join(hit.terms)}{note}"]
    lines.extend(f"    {s}" for s in hit.snippets[:1])  # a snippet carries its own ellipses
    return lines


def _on_terminal() -> bool:
    return sys.stderr.isatty()


def _progress(total: int, label: str) -> Any:
    """Return a click progress bar on a terminal, and a silent stand-in elsewhere."""
    if _on_terminal():
        return click.progressbar(length=total, label=label, file=sys.stderr)
    return nullcontext(None)


@click.command()
@click.argument("query")
@config_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Stop after N hits.")
@click.option("--since", help="Only articles stored in this window, e.g. 30d, 12h.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
def search(query: str, config_path: Path, limit: int, since: str | None, as_json: bool) -> None:
    """Search stored articles with the topic query language, most recently stored first.

    `@name` uses the alias of that name from the config's topics (the first topic defining it).
    """
    settings = load_settings(config_path, delivers=False)
    compiled = _compile(search_topic(query, settings.topics))
    db = open_store(settings)
    stats = ScanStats()
    for article, hit in archive_hits(db, compiled, since=_since(since), newest_first=True, stats=stats):
        if as_json:
            click.echo(_hit_json(article, hit))
        else:
            click.echo("\n".join(_hit_lines(article, hit)))
        if stats.hits >= limit:
            break
    more = " (limit reached)" if stats.hits >= limit else ""
    click.echo(f"{stats.hits} hits{more}; read {stats.read} of {stats.total} articles", err=True)


def _resolve_topics(settings: Settings, name: str) -> list[Topic]:
    path = Path(name)
    if path.exists():
        try:
            return load_topics(path)
        except ConfigError as exc:
            fail("\n".join(exc.problems), EXIT_CONFIG)
    for topic in settings.topics:
        if topic.id == name:
            return [topic]
    known = ", ".join(sorted(t.id for t in settings.topics)) or "none"
    fail(f"unknown topic '{name}': not a topic id of {settings.path} ({known}) nor a topic file", EXIT_CONFIG)


@click.command()
@click.argument("topic")
@config_option
@click.option("--since", default="30d", show_default=True, help="Only articles stored in this window.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per would-be alert.")
def backtest(topic: str, config_path: Path, since: str, as_json: bool) -> None:
    """Run TOPIC (an id from the config, or a topic file) over stored articles: what would it have alerted?"""
    settings = load_settings(config_path, delivers=False)
    db = open_store(settings)
    window = _since(since)
    for item in _resolve_topics(settings, topic):
        compiled = _compile(item)
        stats, alerted, quiet, lines = ScanStats(), 0, 0, []
        first_in_story: dict[int, int] = {}  # story id → the article that alerted for it, oldest first
        with _progress(count_articles(db, since=window), f"backtest {item.id}") as bar:
            tick = bar.update if bar is not None else None
            for article, hit in archive_hits(db, compiled, since=window, stats=stats, progress=tick):
                channels = settings.channels_for(
                    item.id, hit.score, language=article.language, source=(article.source_id, article.source)
                )
                # As the pipeline does: one alert per story and topic; later articles of the story stay quiet.
                story = story_id_of(db, article.id)
                same = first_in_story.setdefault(story, article.id) if story is not None else article.id
                if same != article.id:
                    channels, quiet = [], quiet + 1
                known = has_hit(db, item.id, article.id)
                alerted += known
                if as_json:
                    extra = {"kept_quiet_as_story_of": same} if same != article.id else {}
                    lines.append(_hit_json(article, hit, channels=channels, already_hit=known, **extra))
                else:
                    where = f"kept quiet: same story as #{same}" if same != article.id else ", ".join(channels)
                    note = f"\n    → {where or 'no route'}" + ("  (already a hit)" if known else "")
                    lines.extend(_hit_lines(article, hit, note))
        for line in lines:
            click.echo(line)
        kept = f", {quiet} more kept quiet as the same story" if quiet else ""
        click.echo(
            f"{item.id}: {stats.hits - quiet} would alert in {stats.total} articles since {since}{kept}"
            f" ({alerted} already hits, {stats.hits - alerted} new); read {stats.read} after the prefilter",
            err=as_json,
        )


def _load_document(db: Db | None, target: str) -> tuple[MatchDocument, str]:
    path = Path(target)
    if path.is_file():
        data = path.read_bytes()
        if path.suffix.lower() in (".html", ".htm"):
            from monitor.extract import extract

            article = extract(data)
            return MatchDocument(title=article.title, text=article.text, language=article.language), str(path)
        text = data.decode("utf-8", errors="replace")
        if path.suffix.lower() == ".json":
            record = json.loads(text)
            return (
                MatchDocument(
                    title=str(record.get("title") or ""),
                    text=str(record.get("text") or ""),
                    source=str(record.get("source") or ""),
                    language=record.get("language"),
                ),
                str(path),
            )
        title, _, body = text.partition("\n")
        return MatchDocument(title=title.strip(), text=body.strip()), str(path)
    if target.isdigit() and db is not None:
        stored = get_article(db, int(target))
        if stored is not None:
            return document(stored), f"article #{stored.id} {stored.url}"
        fail(f"no stored article with id {target}", 1)
    fail(f"{target}: neither an article id nor a file (.json, .html, or text: first line title)", 1)


def render(exp: Explanation) -> list[str]:
    """Return an explanation as lines for a terminal."""
    lines = [f"topic {exp.topic_id} (min_score {exp.min_score:g}): {exp.reason}", "", "clauses:"]

    def walk(clause: Clause, depth: int) -> None:
        mark, pad = ("✓" if clause.matched else "✗"), "  " * depth
        leaves = bool(clause.children) and all(not c.children for c in clause.children)
        if leaves and clause.label.startswith("OR"):
            # A long alias reads best as its matching entries, then the others on one line.
            misses = [c.label for c in clause.children if not c.matched]
            if not clause.matched:
                lines.append(f"{pad}{mark} {clause.label}: {' | '.join(misses)}")
                return
            lines.append(f"{pad}{mark} {clause.label}")
            for child in clause.children:
                if child.matched:
                    walk(child, depth + 1)
            if misses:
                lines.append(f"{pad}  ✗ {' | '.join(misses)}")
            return
        where = "; ".join(
            f"{p.field}[{p.start}{'-' + str(p.end) if p.end != p.start else ''}] {p.surface!r}"
            for p in clause.places[:8]
        )
        more = f" (+{len(clause.places) - 8} more)" if len(clause.places) > 8 else ""
        lines.append(f"{pad}{mark} {clause.label}" + (f"  {where}{more}" if where else ""))
        for child in clause.children:
            walk(child, depth + 1)

    walk(exp.tree, 1)
    if exp.meaning is not None:
        lines += ["", "meaning (headline + lead):", f"  {exp.meaning.describe()}"]
        if exp.meaning.must is not None:
            lines.append("  must:")
            walk(exp.meaning.must, 2)
    if exp.terms:
        lines += ["", "score:"]
        for term in exp.terms:
            bonus = f" + title {term.title_bonus:g}" if term.title_bonus else ""
            lines.append(f"  {term.term}: tf {term.tf} → 1 + ln {term.tf} = {term.base:g}{bonus}")
        gap = "-" if exp.closest_gap is None else f"{exp.closest_gap} words between two terms"
        lines.append(f"  proximity: {exp.proximity:g} (closest: {gap})")
        lines.append(f"  total: {exp.score:g}")
    for snippet in exp.snippets:
        lines.append(f"  {snippet}")
    return lines


@click.command("explain")
@click.argument("topic")
@click.argument("article")
@config_option
def explain_command(topic: str, article: str, config_path: Path) -> None:
    """Explain TOPIC on ARTICLE (a stored article id, or a .json/.html/text file): clauses, places, score."""
    settings = load_settings(config_path, delivers=False)
    needs_db = not Path(article).is_file()
    db = open_store(settings) if needs_db else None
    doc, shown = _load_document(db, article)
    for item in _resolve_topics(settings, topic):
        click.echo(f"{shown}:")
        meaning, embedder = _meaning(item)
        click.echo("\n".join(render(explain(_compile(item), doc, meaning, embedder))))
        if item.semantic is not None and embedder is None:
            click.echo("(this topic also has a meaning; install the extra 'semantic' to match and explain by it)")


def _meaning(topic: Topic) -> tuple[SemanticTopic | None, Embedder | None]:
    """Return the topic's compiled meaning and the model, or (None, None) without one of them."""
    embedder = default_embedder() if topic.semantic is not None else None
    if embedder is None:
        return None, None
    try:
        return compile_semantic(topic, 0, embedder), embedder
    except QueryError as exc:
        fail(str(exc), EXIT_CONFIG)
