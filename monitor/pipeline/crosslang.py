"""Stories across languages in the pipeline: which model, the lead vector of an article with hits, the join.

MinHash (monitor.pipeline.stories.place) goes first; only an article it leaves without a story is compared, by
meaning, with articles in other languages (monitor.dedup.crosslang decides). Every stored article with hits keeps
its vector, so a Russian report can later join the story an English one founded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from monitor.config import AcrossLanguages, Settings
from monitor.dedup import StoryChoice
from monitor.dedup.crosslang import StoredVector, choose_across_languages
from monitor.match import Matcher
from monitor.match.semantic import Embedder, Vectors, default_embedder, lead_text, semantic_available
from monitor.models import Match, MatchDocument
from monitor.runtime import Runtime
from monitor.store import Db
from monitor.store.stories import Membership
from monitor.store.vectors import save_vector, vectors_between

log = logging.getLogger("monitor.pipeline")


def story_embedder(across: AcrossLanguages, matcher: Matcher) -> Embedder | None:
    """Return the model stories across languages use, or None when they are off.

    ``auto`` takes the matcher's model only (loaded because topics match by meaning), so nobody pays for a model
    they did not ask for; ``true`` loads it (once per process) when the extra 'semantic' is installed.
    """
    if across.enabled is False:
        return None
    if matcher.embedder is not None:
        return matcher.embedder
    return default_embedder() if across.enabled is True else None


def lead_vector(embedder: Embedder, doc: MatchDocument) -> Vectors:
    """Return the lead vector of ``doc`` as matching computes it (headline + lead)."""
    vector: Vectors = embedder.passages([lead_text(doc)])[0]
    return vector


def published_at(published: datetime | None, now: datetime) -> datetime:
    """Return the time an article is compared by: its publication time, never later than ``now`` (when it was had)."""
    return min(published, now) if published is not None else now


async def story_vector(
    rt: Runtime, doc: MatchDocument, matches: Sequence[Match], vector: Vectors | None
) -> Vectors | None:
    """Return the lead vector stories across languages compare: the matcher's (``vector``) when it embedded ``doc``,
    else embedded now, off the event loop; None when they are off or ``doc`` has no hits."""
    embedder = story_embedder(rt.settings.stories.across_languages, rt.matcher) if matches else None
    if embedder is None:
        return None
    return vector if vector is not None else await asyncio.to_thread(lead_vector, embedder, doc)


def join_across_languages(
    db: Db,
    member: Membership,
    choice: StoryChoice,
    *,
    vector: Vectors | None,
    language: str | None,
    at: datetime,
    matches: Sequence[Match],
    across: AcrossLanguages,
) -> tuple[Membership, StoryChoice]:
    """Return ``member`` and ``choice`` (MinHash's, from ``place``) moved into the story in another language that
    the article joins, when MinHash found none; unchanged otherwise."""
    if member.story_id is not None or vector is None or not matches:
        return member, choice
    window = timedelta(seconds=across.window)
    stored = [
        StoredVector(r.article_id, r.story_id, r.language, r.at, r.topics, np.frombuffer(r.vector, dtype="<f4"))
        for r in vectors_between(db, at - window, at + window)
    ]
    joined = choose_across_languages(
        vector,
        language,
        at,
        frozenset(m.topic_id for m in matches),
        stored,
        min_similarity=across.min_similarity,
        min_margin=across.min_margin,
        window=window,
    )
    if joined.story_id is None:
        if joined.article_id is not None:
            log.debug("no story across languages: %s", joined.reason)
        return member, choice
    log.info("article joins story %s across languages: %s", joined.story_id, joined.reason)
    similarity = round(joined.similarity, 4)
    return replace(member, story_id=joined.story_id, similarity=similarity), StoryChoice(
        joined.story_id, similarity, joined.article_id
    )


def keep_vector(db: Db, article_id: int, language: str | None, at: datetime, vector: Vectors | None) -> None:
    """Store the lead vector of a new article with hits, so later articles in other languages can join its story."""
    if vector is not None and language:
        save_vector(db, article_id, language, at, np.asarray(vector, dtype="<f4").tobytes())


def across_languages_status(settings: Settings) -> str | None:
    """Return whether stories join across languages with this config, in words (for ``monitor check``); None when
    there is nothing to say (left on ``auto`` and no topic matches by meaning)."""
    across = settings.stories.across_languages
    meaning = any(t.semantic is not None for t in settings.topics)
    if across.enabled == "auto" and not meaning:
        return None
    if across.enabled is False:
        return "stories across languages: off (stories.across_languages.enabled: false)"
    if not semantic_available():
        return "stories across languages: off, as the optional extra 'semantic' is not installed"
    return (
        f"stories across languages: on (lead similarity >= {across.min_similarity:g}, published within"
        f" {across.window / 3600:g} h, a shared topic): one event reported in several languages alerts once"
    )
