"""``monitor feedback HIT_ID yes|no``: mark a hit relevant or not; ``--list`` shows the marks and what they teach."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from monitor.cli.common import EXIT_CONFIG, config_option, fail, load_settings, open_store
from monitor.marks import score_marks
from monitor.match.semantic import default_embedder
from monitor.models import Topic
from monitor.notify.feedback import VERDICTS
from monitor.runtime import utc_now
from monitor.store import Db
from monitor.store.feedback import mark_hit, topic_marks


@click.command()
@click.argument("hit_id", type=int, required=False)
@click.argument("verdict", type=click.Choice(sorted(VERDICTS)), required=False)
@config_option
@click.option("--list", "listing", is_flag=True, help="List the marks per topic and how each topic does on them.")
def feedback(hit_id: int | None, verdict: str | None, config_path: Path, listing: bool) -> None:
    """Mark hit HIT_ID (as `monitor hits` lists them) relevant (yes) or not (no).

    A topic that matches by meaning (about:/examples:) takes hits marked yes as examples and hits marked no as
    counter-examples, from the daemon's next start or reload. Every topic's marks are scored with --list.
    """
    settings = load_settings(config_path, delivers=False)
    db = open_store(settings)
    if listing:
        _list(settings.topics, db)
        return
    if hit_id is None or verdict is None:
        fail("usage: monitor feedback HIT_ID yes|no   (or --list)", EXIT_CONFIG)
    mark = mark_hit(db, hit_id, VERDICTS[verdict], via="cli", now=utc_now())
    if mark is None:
        fail(f"no hit #{hit_id}: `monitor hits` lists them (old hits are pruned by retention)", 1)
    topic = next((t for t in settings.topics if t.id == mark.topic_id), None)
    said = "relevant" if mark.relevant else "not relevant"
    click.echo(f"hit #{hit_id} ({mark.topic_id}: {mark.title[:80]}) marked {said}")
    if topic is None:
        click.echo(f"  topic {mark.topic_id} is not in {settings.path} any more: the mark is kept")
    elif topic.semantic is None:
        click.echo(f"  {topic.id} matches by its query only (no about:/examples:): the mark counts in --list scores")
    else:
        kind = "an example" if mark.relevant else "a counter-example"
        click.echo(f"  {topic.id} matches by meaning: the article is {kind} from the daemon's next start or reload")


def _list(topics: Sequence[Topic], db: Db) -> None:
    marks = topic_marks(db)
    if not marks:
        click.echo("no marks yet: `monitor feedback HIT_ID yes|no`, or the links under alerts")
        return
    embedder = default_embedder() if any(t.semantic is not None for t in topics) else None
    for topic in topics:
        mine = [m for m in marks if m.topic_id == topic.id]
        if not mine:
            continue
        score = score_marks(topic, mine, embedder)
        line = f"{topic.id}: {score.relevant} marked relevant, {score.not_relevant} not"
        line += f"; on them: precision {_rate(score.precision_before)}, recall {_rate(score.recall_before)}"
        if topic.semantic is not None and embedder is not None:
            line += (
                f"; with the marks as examples (each left out in turn): precision {_rate(score.precision_after)},"
                f" recall {_rate(score.recall_after)}"
            )
        click.echo(line)


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
