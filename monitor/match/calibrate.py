"""Pick a topic's ``min_similarity`` from what is known: its examples, its counter-examples and the archive.

No article in the archive is labelled, so the estimates lean on what the topic itself says: articles its boolean
query hits and its examples (each left out in turn) count as on topic, counter-examples as off topic. Articles the
query misses that would hit by meaning are unknown: the precision printed is a floor (as if every one were wrong),
and the command lists the closest ones for the analyst to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.match.document import AnalysedDocument
from monitor.match.semantic import Embedder, SemanticTopic, Vectors, lead_text
from monitor.models import MatchDocument

THRESHOLDS = (0.80, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.90)


@dataclass(frozen=True, slots=True)
class Scored:
    """One text's closeness to the topic: best similarity, closest counter-example, and whether ``must`` holds."""

    similarity: float
    counter: float
    guarded: bool
    title: str = ""

    def hits(self, threshold: float) -> bool:
        """Return whether this text would hit by meaning at ``threshold``."""
        return self.guarded and self.similarity >= threshold and self.counter < self.similarity


@dataclass(frozen=True, slots=True)
class Level:
    """What one threshold would do."""

    threshold: float
    recall: float  # of the known positives: query hits in the archive and the examples, each left out
    counters: int  # counter-examples that would hit were each left out: they lean on their own veto
    extra: int  # archive articles the query misses that would hit by meaning
    precision_floor: float  # known positives caught / all caught: the precision if every extra hit were wrong


def score_documents(sem: SemanticTopic, embedder: Embedder, docs: Sequence[MatchDocument]) -> list[Scored]:
    """Return how close each document (headline + lead) is to the topic; only guarded ones are embedded."""
    analysed = [AnalysedDocument(d) for d in docs]
    guarded = [sem.must_hold(a) for a in analysed]
    wanted = [n for n, g in enumerate(guarded) if g]
    vectors = embedder.passages([lead_text(docs[n]) for n in wanted]) if wanted else None
    out = [Scored(0.0, 0.0, False, d.title) for d in docs]
    for row, n in enumerate(wanted):
        assert vectors is not None
        near = sem.closest(vectors[row])
        out[n] = Scored(near.similarity, near.counter, True, docs[n].title)
    return out


def score_left_out(sem: SemanticTopic, own: Vectors, texts: Sequence[str], counter_rows: bool) -> list[Scored]:
    """Return how close each example (or counter-example) is to the topic without itself among the vectors."""
    out = []
    for n, text in enumerate(texts):
        guarded = sem.must_hold(AnalysedDocument(MatchDocument(text, "")))
        vector = own[n]
        topic = sem.vectors
        counters = sem.counters
        if counter_rows:
            counters = np.delete(counters, n, axis=0)
        else:
            topic = np.delete(topic, sem.labels.index(f"example {n + 1}"), axis=0)
        similarity = float(np.max(topic @ vector)) if len(topic) else 0.0
        counter = float(np.max(counters @ vector)) if len(counters) else 0.0
        out.append(Scored(round(similarity, 4), round(counter, 4), guarded, text[:80]))
    return out


def levels(
    known: Sequence[Scored], unknown: Sequence[Scored], counters: Sequence[Scored], thresholds: Sequence[float]
) -> list[Level]:
    """Return what each threshold would do (``known``: on topic; ``unknown``: query misses; ``counters``: off)."""
    out = []
    for threshold in thresholds:
        caught = sum(s.hits(threshold) for s in known)
        extra = sum(s.hits(threshold) for s in unknown)
        out.append(
            Level(
                threshold=threshold,
                recall=caught / len(known) if known else 0.0,
                counters=sum(s.hits(threshold) for s in counters),
                extra=extra,
                precision_floor=caught / (caught + extra) if caught + extra else 1.0,
            )
        )
    return out


def suggest(found: Sequence[Level], min_recall: float = 0.95) -> Level | None:
    """Return the highest threshold that keeps ``min_recall`` of the known positives (None when none does)."""
    # Not the counter-examples: each is there because nothing else keeps it out, so left out it often hits.
    fitting = [lv for lv in found if lv.recall >= min_recall]
    return max(fitting, key=lambda lv: lv.threshold) if fitting else None
