"""``monitor calibrate TOPIC``: estimate precision and recall of a topic's meaning at several thresholds."""

from __future__ import annotations

import re
from pathlib import Path

import click

from monitor.cli.common import EXIT_CONFIG, config_option, fail, load_settings, open_store
from monitor.cli.topics import _compile, _resolve_topics, _since
from monitor.lookup import archive_hits, document
from monitor.match import calibrate as cal
from monitor.match.semantic import SemanticTopic, compile_semantic, default_embedder
from monitor.models import Topic
from monitor.store.archive import iter_articles

_MIN_SIMILARITY = re.compile(r"^(\s*min_similarity:\s*)([0-9.]+)(.*)$", re.MULTILINE)


@click.command()
@click.argument("topic")
@config_option
@click.option("--since", default="30d", show_default=True, help="Only articles stored in this window.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Embed at most this many stored articles the query misses (newest first).",
)
@click.option(
    "--min-recall",
    type=click.FloatRange(0, 1),
    default=0.95,
    show_default=True,
    help="The suggestion keeps at least this share of the known positives.",
)
@click.option("--write", is_flag=True, help="Write the suggested min_similarity into the topic's file.")
def calibrate(topic: str, config_path: Path, since: str, limit: int, min_recall: float, write: bool) -> None:
    """Estimate what TOPIC's meaning would catch at several min_similarity values; writes nothing without --write.

    Known positives: stored articles the topic's query hits, and its examples (each left out in turn); known
    negatives: its counter-examples ("counter": how many would hit were each left out, i.e. how many only their
    own veto keeps out). Stored articles the query misses are unlabelled: the precision shown is a floor (as if
    every one of them were wrong), and the closest of them are listed for you to read.
    """
    settings = load_settings(config_path)
    embedder = default_embedder()
    if embedder is None:
        fail("calibrate needs the optional extra 'semantic': pip install 'monitor[semantic]'", EXIT_CONFIG)
    db = open_store(settings)
    window = _since(since)
    for item in _resolve_topics(settings, topic):
        sem = compile_semantic(item, 0, embedder) if item.semantic is not None else None
        if sem is None:
            fail(f"{item.id}: has no about: or examples: to calibrate", EXIT_CONFIG)
        hit_ids, known_docs = set(), []
        for article, _ in archive_hits(db, _compile(item), since=window):
            hit_ids.add(article.id)
            known_docs.append(document(article))
        unknown_docs = []
        for article in iter_articles(db, since=window, newest_first=True):
            if article.id not in hit_ids:
                unknown_docs.append(document(article))
                if len(unknown_docs) >= limit:
                    break
        known = cal.score_documents(sem, embedder, known_docs)
        assert item.semantic is not None
        examples = list(item.semantic.examples)
        counters = list(item.semantic.counter_examples)
        known += cal.score_left_out(sem, embedder.examples(examples), examples, False) if examples else []
        counter_scores = cal.score_left_out(sem, embedder.examples(counters), counters, True) if counters else []
        unknown = cal.score_documents(sem, embedder, unknown_docs)
        found = cal.levels(known, unknown, counter_scores, cal.THRESHOLDS)
        _report(item, sem, len(known_docs), len(examples), len(unknown_docs), found, unknown)
        best = cal.suggest(found, min_recall)
        if best is None:
            click.echo(f"no threshold keeps {min_recall:.0%} of the known positives: add examples, or loosen must:")
            continue
        click.echo(f"suggested min_similarity: {best.threshold:.2f}")
        if write:
            click.echo(_write_threshold(item, best.threshold))


def _report(
    topic: Topic,
    sem: SemanticTopic,
    hits: int,
    examples: int,
    unknown: int,
    found: list[cal.Level],
    scored: list[cal.Scored],
) -> None:
    now = sem.min_similarity
    click.echo(
        f"{topic.id}: known positives: {hits} query hits in the archive + {examples} examples; "
        f"{unknown} other stored articles scored; min_similarity now {now:g}"
    )
    click.echo(f"{'threshold':>9} {'recall':>7} {'counter':>7} {'extra':>6} {'precision ≥':>11}")
    for lv in found:
        mark = "  ← now" if abs(lv.threshold - now) < 1e-9 else ""
        click.echo(
            f"{lv.threshold:>9.2f} {lv.recall:>7.2f} {lv.counters:>7} {lv.extra:>6} {lv.precision_floor:>11.2f}{mark}"
        )
    closest = sorted((s for s in scored if s.guarded and s.counter < s.similarity), key=lambda s: -s.similarity)
    if closest:
        click.echo("closest articles the query misses (read them: are they on topic?):")
        for s in closest[:8]:
            click.echo(f"  {s.similarity:.3f}  {s.title[:90]}")


def _write_threshold(topic: Topic, value: float) -> str:
    """Set ``semantic.min_similarity`` in the topic's own file; return what was done, in words."""
    origin = (topic.origin or "").rsplit(":", 1)[0]
    path = Path(origin)
    if not origin or not path.is_file():
        return f"not written: {topic.id} has no file of its own"
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith(("database:", "sources:")) or "\ntopics:" in text:
        return f"not written: {topic.id} is inline in {path}; set semantic: {{min_similarity: {value:.2f}}} there"
    if _MIN_SIMILARITY.search(text):
        text = _MIN_SIMILARITY.sub(lambda m: f"{m.group(1)}{value:.2f}{m.group(3)}", text, count=1)
    elif re.search(r"^semantic:", text, re.MULTILINE):
        return f"not written: edit semantic: in {path} by hand (min_similarity: {value:.2f})"
    else:
        text = text.rstrip("\n") + f"\nsemantic:\n  min_similarity: {value:.2f}\n"
    path.write_text(text, encoding="utf-8")
    return f"wrote min_similarity: {value:.2f} to {path}"
