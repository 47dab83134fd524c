"""Stories across languages, the decision alone: closeness, time, topics, margin and mutual best (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from monitor.dedup.crosslang import CrossJoin, StoredVector, choose_across_languages
from monitor.match.semantic import Vectors

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# Words of three languages that mean one thing map to one concept: a tiny stand-in for a multilingual model.
CONCEPTS = {
    "frigates": "ship", "фрегаты": "ship", "فرقاطات": "ship",
    "left": "leave", "покинули": "leave", "غادرت": "leave",
    "tartus": "tartus", "тартус": "tartus", "طرطوس": "tartus",
    "talks": "talks", "переговоры": "talks", "محادثات": "talks",
    "base": "base", "базы": "base", "القاعدة": "base",
    "airfield": "air", "аэродром": "air", "المطار": "air",
    "troops": "troops", "военные": "troops", "القوات": "troops",
}  # fmt: skip


class ConceptEmbedder:
    """Bag of concepts, L2-normalised: texts saying the same things in any of the three languages are close."""

    def passages(self, texts: list[str]) -> Vectors:
        names = sorted(set(CONCEPTS.values()))
        rows = np.zeros((len(texts), len(names)), dtype=np.float32)
        for n, text in enumerate(texts):
            for word in text.lower().split():
                if word in CONCEPTS:
                    rows[n, names.index(CONCEPTS[word])] += 1.0
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


EMBED = ConceptEmbedder()


def vec(text: str) -> Vectors:
    return EMBED.passages([text])[0]


def stored(
    article_id: int, story_id: int, language: str, text: str, hours_ago: float = 1, topics: tuple[str, ...] = ("bases",)
) -> StoredVector:
    return StoredVector(article_id, story_id, language, NOW - timedelta(hours=hours_ago), frozenset(topics), vec(text))


def decide(
    text: str, language: str | None, candidates: list[StoredVector], topics: tuple[str, ...] = ("bases",)
) -> CrossJoin:
    return choose_across_languages(
        vec(text),
        language,
        NOW,
        frozenset(topics),
        candidates,
        min_similarity=0.85,
        min_margin=0.01,
        window=timedelta(hours=12),
    )


EN = "frigates left tartus base talks"
RU = "фрегаты покинули тартус базы переговоры"
AR = "فرقاطات غادرت طرطوس القاعدة محادثات"


def test_a_report_in_another_language_joins_the_closest_story_and_says_why() -> None:
    found = decide(RU, "ru", [stored(1, 10, "en", EN), stored(2, 20, "en", "airfield troops talks")])
    assert (found.story_id, found.article_id) == (10, 1)
    assert found.similarity == pytest.approx(1.0) and found.margin > 0.3
    assert "closest is #1 (en, similarity 1.000" in found.reason and "margin" in found.reason


def test_the_third_language_joins_the_story_the_first_two_share() -> None:
    assert decide(AR, "ar", [stored(1, 10, "en", EN), stored(2, 10, "ru", RU)]).story_id == 10


def test_only_other_languages_are_compared_here_minhash_groups_within_one() -> None:
    found = decide(EN, "en", [stored(1, 10, "en", EN)])
    assert found.story_id is None and found.reason.startswith("no article in another language")


@pytest.mark.parametrize(
    ("candidate", "why"),
    [
        (stored(1, 10, "en", EN, hours_ago=13), "no article in another language"),  # outside the window
        (stored(1, 10, "en", EN, topics=("other",)), "no article in another language with a shared topic"),
        (stored(1, 10, "en", "frigates left airfield troops"), "< 0.85"),  # not close enough
    ],
    ids=["too-far-in-time", "no-shared-topic", "not-close-enough"],
)
def test_no_story_when_time_topic_or_closeness_is_missing(candidate: StoredVector, why: str) -> None:
    found = decide(RU, "ru", [candidate])
    assert found.story_id is None and why in found.reason


def test_an_article_published_later_within_the_window_is_a_candidate_too() -> None:
    assert decide(RU, "ru", [stored(1, 10, "en", EN, hours_ago=-11)]).story_id == 10


def test_no_story_when_two_stories_are_as_close() -> None:
    found = decide(RU, "ru", [stored(1, 10, "en", EN), stored(2, 20, "ar", AR)])
    assert found.story_id is None and "another story is as close" in found.reason


def test_no_story_when_an_article_of_the_same_language_is_closer_to_the_candidate() -> None:
    # The Russian report of another event (RU itself, stored) is closer to the English candidate than the new one.
    near_miss = RU + " аэродром"
    found = decide(near_miss, "ru", [stored(1, 10, "en", EN), stored(2, 30, "ru", RU)])
    assert found.similarity >= 0.85 and found.story_id is None
    assert "#2 in ru is closer to it" in found.reason


def test_an_article_of_unknown_language_joins_nothing() -> None:
    assert decide(RU, None, [stored(1, 10, "en", EN)]).story_id is None
