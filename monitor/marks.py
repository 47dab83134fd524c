"""Relevance feedback as the matcher and backtest use it: marks read from the store, turned into examples.

Its own module at the runtime layer because it joins the store (where marks live) and the matcher (which takes
them as examples); ``monitor feedback`` writes marks, the daemon reads them when it builds its matcher.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.match import Matcher
from monitor.match.semantic import Embedder, Marked, lead_text
from monitor.models import MatchDocument, Topic
from monitor.store import Db
from monitor.store.feedback import Mark, topic_marks


def as_marked(mark: Mark) -> Marked:
    """Return a stored mark as the matcher takes it: labelled by its hit, its text as headline and lead."""
    return Marked(f"marked hit #{mark.hit_id}", mark.relevant, lead_text(MatchDocument(mark.title, mark.text)))


def topic_marks_for(topics: Sequence[Topic], db: Db) -> dict[str, list[Marked]]:
    """Return the marks the matcher takes for ``topics``: none unless some topic matches by meaning."""
    return matcher_marks(db) if any(t.semantic is not None for t in topics) else {}


def matcher_marks(db: Db) -> dict[str, list[Marked]]:
    """Return every topic's marks, oldest first, for ``Matcher(marks=...)``."""
    found: dict[str, list[Marked]] = defaultdict(list)
    for mark in topic_marks(db):
        found[mark.topic_id].append(as_marked(mark))
    return dict(found)


@dataclass(frozen=True, slots=True)
class MarkScore:
    """How a topic does on its marked hits: without the marks as examples, and with them (each left out in turn)."""

    relevant: int
    not_relevant: int
    precision_before: float | None
    recall_before: float | None
    precision_after: float | None
    recall_after: float | None


def score_marks(topic: Topic, marks: Sequence[Mark], embedder: Embedder | None) -> MarkScore:
    """Return precision and recall of ``topic`` on its marked articles, before and with the marks as examples.

    "After" leaves each mark out of the examples when it is judged, so a mark never vouches for itself: the
    figures say what the marks teach about articles not yet seen, not how well the matcher remembers.
    """
    marked = [as_marked(m) for m in marks]
    docs = [MatchDocument(m.title, m.text) for m in marks]
    labels = [m.relevant for m in marks]
    plain = Matcher([topic], embedder) if embedder is not None else Matcher([topic], semantic=False)
    before = [bool(plain.match(doc)) for doc in docs]
    after = before
    if embedder is not None and topic.semantic is not None:
        after = [
            bool(Matcher([topic], embedder, marks={topic.id: marked[:n] + marked[n + 1 :]}).match(doc))
            for n, doc in enumerate(docs)
        ]
    return MarkScore(sum(labels), len(labels) - sum(labels), *_rates(before, labels), *_rates(after, labels))


def _rates(predicted: Sequence[bool], labels: Sequence[bool]) -> tuple[float | None, float | None]:
    hits = sum(predicted)
    right = sum(p and y for p, y in zip(predicted, labels, strict=True))
    positives = sum(labels)
    return (right / hits if hits else None), (right / positives if positives else None)
