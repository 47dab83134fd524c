"""Which story a new article joins across languages, by embedding similarity and publication time (pure).

MinHash (monitor.dedup.signature) groups copies within a language; an English, a Russian and an Arabic report of one
event share no phrases, only meaning. Their headline-and-lead vectors (monitor.match.semantic) are close, but so are
two reports of different events on one subject: on benchmarks/topics' labelled set a different event in another
language scores up to 0.91 while the same event's median is 0.86. So a similarity alone is not enough; an article
joins a story only when, within the time window and among articles sharing one of its topics:

- its closest article in another language is at least ``min_similarity`` away (cosine),
- that article's story beats every other story's closest article by ``min_margin`` (no near tie),
- and no article in the new one's own language is closer to that article than the new one is (mutual best:
  the English report of another event that is closer to the Russian candidate claims it instead).

benchmarks/crosslang.py measures each signal; the defaults (monitor.config AcrossLanguages) were tuned on its dev
split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class StoredVector:
    """A stored article as the decision sees it: its story, language, time, topics hit and lead vector."""

    article_id: int
    story_id: int
    language: str
    at: datetime
    topics: frozenset[str]
    vector: Vector


@dataclass(frozen=True, slots=True)
class CrossJoin:
    """The story to join (None: none) with the closest article, its similarity, the margin, and why, in words."""

    story_id: int | None
    article_id: int | None
    similarity: float
    margin: float
    reason: str


def choose_across_languages(
    vector: Vector,
    language: str | None,
    at: datetime,
    topics: frozenset[str],
    stored: Sequence[StoredVector],
    *,
    min_similarity: float,
    min_margin: float,
    window: timedelta,
    mutual: bool = True,
) -> CrossJoin:
    """Return the story in another language that an article (``vector``, ``language``, time ``at``, ``topics``
    hit) joins, or none, with the reason (``mutual=False`` skips the mutual-best check: for the benchmark)."""
    if not language:
        return CrossJoin(None, None, 0.0, 0.0, "the article's language is unknown")
    near = [s for s in stored if abs(s.at - at) <= window and s.vector.shape == vector.shape]
    others = [s for s in near if s.language and s.language != language and s.topics & topics]
    if not others:
        return CrossJoin(None, None, 0.0, 0.0, "no article in another language with a shared topic nearby in time")
    sims = np.stack([s.vector for s in others]) @ vector
    order = np.argsort(-sims, kind="stable")
    best, similarity = others[int(order[0])], float(sims[order[0]])
    rivals = [float(sims[n]) for n in order if others[int(n)].story_id != best.story_id]
    margin = similarity - rivals[0] if rivals else 1.0
    closest = f"closest is #{best.article_id} ({best.language}, similarity {similarity:.3f}"
    if similarity < min_similarity:
        return CrossJoin(None, best.article_id, similarity, margin, f"{closest} < {min_similarity:g})")
    if margin < min_margin:
        return CrossJoin(
            None,
            best.article_id,
            similarity,
            margin,
            f"{closest}), but another story is as close (margin {margin:.3f})",
        )
    # Members of the candidate's own story count too: leaving them out let one wrong join pull in the next.
    peers = [s for s in near if s.language == language] if mutual else []
    if peers:
        peer_sims = np.stack([s.vector for s in peers]) @ best.vector
        strongest = int(np.argmax(peer_sims))
        if float(peer_sims[strongest]) > similarity:
            return CrossJoin(
                None,
                best.article_id,
                similarity,
                margin,
                f"{closest}), but #{peers[strongest].article_id} in {language} is closer to it"
                f" ({float(peer_sims[strongest]):.3f})",
            )
    return CrossJoin(
        best.story_id, best.article_id, similarity, margin, f"{closest}, margin {margin:.3f} over other stories)"
    )
