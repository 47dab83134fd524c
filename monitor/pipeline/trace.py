"""Why did an item (not) alert? Every stage's recorded decision for one URL or article, and a fresh re-evaluation.

``trace_item`` reads what each stage recorded (which source and poll saw the item, the page fetch, extraction and
where the text came from, the outcome), re-matches the stored article against every topic now (explaining the
first clause that failed for the topics it misses), and walks each hit through the routes, story suppression and
its deliveries. The result is plain data: ``monitor trace`` prints it as text or JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from monitor import dedup
from monitor.config import Settings
from monitor.match import CompiledTopic
from monitor.match.explain import Clause, explain
from monitor.models import MatchDocument
from monitor.store import Db, items
from monitor.store import trace as reads
from monitor.store.archive import StoredArticle, get_article


@dataclass
class TopicVerdict:
    """A topic re-evaluated on the stored article."""

    topic_id: str
    hit: bool
    score: float
    reason: str
    terms: list[str] = field(default_factory=list)
    first_failed: str | None = None  # the first clause, depth first, that did not match
    stored_hit: bool = False  # a hit row exists (it matched when the article was stored)


@dataclass
class RouteVerdict:
    """What one route did with a hit."""

    route: int  # its position in the config
    key: str  # its stable identity, as stored with the deliveries it decided
    channels: list[str]
    taken: bool
    why: str  # the route's timing when taken, the filter that refused it otherwise


@dataclass
class ChannelFate:
    """What became of a hit on one channel: delivered, pending, kept quiet by its story, or never queued."""

    topic_id: str
    channel_id: str
    fate: str


@dataclass
class Trace:
    """Everything ``monitor trace`` knows about one item."""

    target: str
    items: list[dict[str, Any]] = field(default_factory=list)
    article: dict[str, Any] | None = None
    topics: list[TopicVerdict] = field(default_factory=list)
    routes: dict[str, list[RouteVerdict]] = field(default_factory=dict)
    story: dict[str, Any] | None = None
    channels: list[ChannelFate] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def trace_item(db: Db, settings: Settings, compiled: list[CompiledTopic], target: str) -> Trace:
    """Return the trace of ``target``: a URL (as a feed linked it, or canonical) or a stored article id."""
    result = Trace(target)
    article_ids: list[int]
    if target.isdigit():
        article_ids = [int(target)]
        url_key = None
    else:
        url_key = dedup.url_key(target)
        article_ids = reads.find_traced_articles(db, url=target, url_key=url_key)
    names = {s.id: s.name for s in settings.sources}
    trails = items.item_trails(db, link_key=url_key, article_id=article_ids[0] if article_ids else None)
    for trail in trails:
        row = asdict(trail)
        row["source"] = names.get(trail.source_id, trail.source_id)
        result.items.append(row)
    if not article_ids:
        return result
    stored = get_article(db, article_ids[0])
    if stored is None:
        return result
    result.article = {
        "id": stored.id,
        "url": stored.url,
        "title": stored.title,
        "source": stored.source,
        "language": stored.language,
        "published": stored.published,
        "stored_at": stored.fetched_at,
        "text_chars": len(stored.text),
    }
    hits = {h.topic_id: h for h in reads.hits_of(db, stored.id)}
    _topics(result, stored, compiled, hits)
    _routes_and_fates(result, db, settings, stored, hits)
    return result


def _topics(
    result: Trace, stored: StoredArticle, compiled: list[CompiledTopic], hits: dict[str, reads.TracedHit]
) -> None:
    doc = MatchDocument(title=stored.title, text=stored.text, source=stored.source, language=stored.language)
    for topic in compiled:
        exp = explain(topic, doc)
        failed = None if exp.hit is not None else _first_failed(exp.tree)
        result.topics.append(
            TopicVerdict(
                topic.topic.id,
                exp.hit is not None,
                exp.hit.score if exp.hit else exp.score,
                exp.reason,
                list(exp.hit.terms) if exp.hit else [],
                failed,
                topic.topic.id in hits,
            )
        )


def _first_failed(tree: Clause) -> str | None:
    """Return the first clause, depth first, that failed and that a user would change: an alias or OR group none of
    whose terms occurs is named as a whole; a NEAR whose parts occur too far apart is named itself."""
    if tree.matched:
        return None
    if tree.label.startswith("OR"):
        group = tree.label.removeprefix("OR").strip()
        if group or all(not child.children for child in tree.children):
            return f"{group or 'OR group'} (none of its terms occurs)"
        # Alternatives of their own: say what failed in each.
        return "neither " + " nor ".join(f"[{_first_failed(child)}]" for child in tree.children)
    for child in tree.children:
        if not child.matched:
            return _first_failed(child)
    return tree.label if tree.children else f"{tree.label} (does not occur)"


def _routes_and_fates(
    result: Trace, db: Db, settings: Settings, stored: StoredArticle, hits: dict[str, reads.TracedHit]
) -> None:
    source = (stored.source_id, stored.source)
    deliveries = reads.deliveries_of(db, stored.id)
    story = reads.story_of(db, stored.id)
    if story is not None:
        result.story = {
            "id": story.id,
            "articles": story.articles,
            "outlets": list(story.outlets),
            "similarity": story.similarity,
        }
    result.deliveries.extend(asdict(d) for d in deliveries)
    sent_to = {(d.topic_id, d.channel_id): d for d in deliveries}
    for topic_id, hit in hits.items():
        verdicts = []
        for index, route in enumerate(settings.routes):
            refusal = route.refusal(topic_id, hit.score, stored.language, source)
            verdicts.append(
                RouteVerdict(index, route.key, list(route.channels), refusal is None, refusal or route.timing())
            )
        result.routes[topic_id] = verdicts
        wanted = settings.channels_for(topic_id, hit.score, language=stored.language, source=source)
        for channel in wanted:
            queued = sent_to.get((topic_id, channel))
            if queued is not None:
                fate = _delivery_fate(queued)
            elif story is not None and (topic_id, channel) in story.alerted_by:
                fate = (
                    f"kept quiet: article #{story.alerted_by[(topic_id, channel)]} of story {story.id} "
                    "already alerted this topic there"
                )
            else:
                fate = "no delivery queued (the route may have changed since the hit was stored)"
            result.channels.append(ChannelFate(topic_id, channel, fate))
        if not wanted:
            result.channels.append(ChannelFate(topic_id, "-", "no route takes this hit"))


def _delivery_fate(delivery: reads.TracedDelivery) -> str:
    kind = "story update " if delivery.story_update else ""
    if delivery.status == "sent":
        how = f" in digest {delivery.digest_id}" if delivery.digest_id else ""
        return f"{kind}sent {delivery.sent_at}{how} ({delivery.outcome or 'ok'}), {delivery.attempts} attempt(s)"
    if delivery.status == "held":
        return f"{kind}held for a digest until {delivery.hold_until} (route {delivery.route})"
    if delivery.status == "bundled":
        return f"{kind}in digest {delivery.digest_id}, waiting to be sent"
    if delivery.status == "pending":
        retry = f", next attempt {delivery.next_attempt_at}" if delivery.next_attempt_at else ""
        last = f"; last error: {delivery.last_error}" if delivery.last_error else ""
        return f"{kind}pending after {delivery.attempts} attempt(s){retry}{last}"
    return f"{kind}{delivery.status} after {delivery.attempts} attempt(s): {delivery.last_error or '-'}"
