"""Which story a new article joins, and which routes want a story-update alert (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from monitor.dedup.signature import SAME_STORY, Signature


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored article that shares at least one LSH band with the new one."""

    article_id: int
    story_id: int
    values: bytes


@dataclass(frozen=True, slots=True)
class StoryChoice:
    """The story to join (None: start a new one) and the similarity to its closest member."""

    story_id: int | None
    similarity: float = 0.0
    article_id: int | None = None


def choose_story(new: Signature, candidates: Iterable[Candidate], threshold: float = SAME_STORY) -> StoryChoice:
    """Return the story of the most similar candidate at or above ``threshold``, else a new story."""
    if not new.comparable:
        return StoryChoice(None)
    found = [c for c in candidates if len(c.values) == len(new.values)]
    if not found or not new.values:
        return StoryChoice(None)
    # One comparison for all candidates: a wire story on forty sites gives forty candidates, each checked alone
    # cost more than the rest of the stage.
    stored = np.frombuffer(b"".join(c.values for c in found), dtype="<u4").reshape(len(found), -1)
    scores = np.count_nonzero(stored == np.frombuffer(new.values, dtype="<u4"), axis=1) / stored.shape[1]
    best = StoryChoice(None)
    for candidate, score in zip(found, scores.tolist(), strict=True):
        # Ties go to the older article (lower id): the story it founded is the one alerts already went out for.
        better = score > best.similarity or (
            score == best.similarity and best.article_id is not None and candidate.article_id < best.article_id
        )
        if score >= threshold and better:
            best = StoryChoice(candidate.story_id, score, candidate.article_id)
    return best
