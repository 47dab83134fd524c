"""``monitor trace``: why did I (not) get an alert for this?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from monitor.cli.common import EXIT_CONFIG, config_option, fail, load_settings, open_store
from monitor.errors import QueryError
from monitor.match import compile_topic
from monitor.pipeline.trace import Trace, trace_item


@click.command("trace")
@click.argument("target")
@config_option
@click.option("--json", "as_json", is_flag=True, help="The whole trace as one JSON object.")
def trace(target: str, config_path: Path, as_json: bool) -> None:
    """Say why an item did or did not alert: TARGET is its URL (as the feed linked it, or canonical) or an
    article id. Shows every stage's recorded decision (poll, page fetch, extraction, outcome), the topics
    re-evaluated now on the stored text (with the first clause that failed), routes, story and deliveries."""
    settings = load_settings(config_path, delivers=False)
    try:
        compiled = [compile_topic(t) for t in settings.topics]
    except QueryError as exc:
        fail(str(exc), EXIT_CONFIG)
    db = open_store(settings)
    found = trace_item(db, settings, compiled, target)
    db.close()
    if as_json:
        click.echo(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(render_trace(found)))
    if not found.items and found.article is None:
        raise SystemExit(1)


def _item_lines(item: dict[str, Any]) -> list[str]:
    lines = [
        f"  seen by {item['source']} (item {item['key']}), first {item['first_seen_at']}, "
        f"last processed {item['updated_at'] or '-'}"
    ]
    outcome = (item["outcome"] or "processed before outcomes were recorded").replace("_", " ")
    lines.append(f"    outcome: {outcome}" + (f": {item['detail']}" if item["detail"] else ""))
    if item["page_status"] is not None or item["page_error"]:
        size = f", {item['page_bytes']:,} bytes" if item["page_bytes"] is not None else ""
        status = f"HTTP {item['page_status']}" if item["page_status"] is not None else "no answer"
        lines.append(f"    page: {status}{size}" + (f", at {item['page_url']}" if item["page_url"] else ""))
    if item["page_error"]:
        lines.append(f"    page failed: {item['page_error']}")
    if item["skip_reason"]:
        lines.append(f"    extraction: {item['skip_reason']}")
    if item["text_from"]:
        lines.append(f"    text from: {item['text_from']} ({item['text_chars'] or 0:,} characters)")
    if item["retry_at"]:
        lines.append(f"    page fetched again at {item['retry_at']} (attempt {item['attempts']})")
    return lines


def render_trace(found: Trace) -> list[str]:
    """Return a trace as lines for a terminal."""
    lines = [found.target]
    if not found.items and found.article is None:
        return [
            *lines,
            "  never seen: no source's feed listed this URL, and no stored article has it",
            "  (is the source in the config and polled? `monitor sources` shows each one's last poll)",
        ]
    for item in found.items:
        lines.extend(_item_lines(item))
    article = found.article
    if article is None:
        return [*lines, "  no article stored for it"]
    lines.append(
        f"  article #{article['id']}: {article['title']!r} ({article['language'] or 'language unknown'}, "
        f"{article['text_chars']:,} characters, stored {article['stored_at']})"
    )
    lines.append(f"    {article['url']}")
    lines.append("  topics, matched again now on the stored text:")
    for topic in found.topics:
        mark = "✓" if topic.hit else "✗"
        stored = "; a hit was stored" if topic.stored_hit else ""
        lines.append(f"    {mark} {topic.topic_id}: {topic.reason}{stored}")
        if topic.terms:
            lines.append(f"        terms: {', '.join(topic.terms)}")
        if topic.first_failed:
            lines.append(f"        first clause that failed: {topic.first_failed}")
    for topic_id, verdicts in found.routes.items():
        lines.append(f"  routes for {topic_id}:")
        for v in verdicts:
            lines.append(
                f"    route {v.route} ({v.key}) → {', '.join(v.channels)}: " + (v.why if v.taken else f"no: {v.why}")
            )
    if found.story is not None:
        story = found.story
        lines.append(
            f"  story {story['id']}: {story['articles']} article(s) from {len(story['outlets'])} outlet(s) "
            f"({', '.join(story['outlets'])})"
        )
    if found.channels:
        lines.append("  alerts:")
        lines.extend(f"    {fate.topic_id} → {fate.channel_id}: {fate.fate}" for fate in found.channels)
    return lines
