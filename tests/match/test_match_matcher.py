"""Matcher behaviour: prefilter agrees with evaluating every topic, scores, terms, snippets, validation."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import QueryError
from monitor.match import AnalysedDocument, Matcher, prefilter, validate_topics
from monitor.models import MatchDocument, Topic

VOCAB = ["russia", "syria", "tartus", "base", "naval", "Москва", "Сирия", "طرطوس", "وطرطوس", "كرملين"]
QUERY_WORDS = ["russia", "syria*", "tartus", "base", "naval", "москв*", "сири*", "طرطوس", "الكرملين", '"naval base"']


def topic(n: int, query: str, **kw: object) -> Topic:
    return Topic(id=f"t{n}", title="T", query=query, **kw)  # type: ignore[arg-type]


@st.composite
def queries(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(QUERY_WORDS))
    op = draw(st.sampled_from([" AND ", " OR ", " NEAR/2 ", " ", " NOT "]))
    left, right = draw(queries(depth - 1)), draw(queries(depth - 1))
    if op == " NEAR/2 " and ("NOT" in left + right):
        op = " AND "
    return f"({left}{op}{right})"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(queries(), min_size=1, max_size=6),
    st.lists(st.sampled_from([*VOCAB, "the", "of"]), max_size=25),
    st.lists(st.sampled_from(VOCAB), max_size=4),
)
def test_prefilter_never_drops_a_hit(qs: list[str], words: list[str], title: list[str]) -> None:
    topics = [topic(n, q) for n, q in enumerate(qs) if not validate_topics([topic(n, q)])]
    doc = MatchDocument(title=" ".join(title), text=" ".join(words))
    matcher = Matcher(topics)
    analysed = AnalysedDocument(doc)
    naive = [h for h in (c.match(analysed) for c in matcher.compiled) if h is not None]
    assert matcher.match(doc) == naive


def test_prefilter_skips_unrelated_topics() -> None:
    matcher = Matcher([topic(1, "tartus AND russia"), topic(2, "gyumri OR armenia*"), topic(3, "x1 OR NOT y1")])
    analysed = AnalysedDocument(MatchDocument(title="", text="Armenian officials and Tartus"))
    assert matcher.candidates(analysed) == [1, 2]  # topic 0 needs both of its words
    analysed = AnalysedDocument(MatchDocument(title="Russia", text="Armenian officials and Tartus"))
    assert matcher.candidates(analysed) == [0, 1, 2]
    analysed = AnalysedDocument(MatchDocument(title="", text="nothing relevant"))
    assert matcher.candidates(analysed) == [2]


def test_score_rewards_title_frequency_and_proximity() -> None:
    matcher = Matcher([topic(1, "russia AND tartus")])
    far = matcher.match(MatchDocument(title="", text="Russia " + "x " * 20 + "Tartus"))[0]
    close = matcher.match(MatchDocument(title="", text="Russia in Tartus"))[0]
    titled = matcher.match(MatchDocument(title="Russia in Tartus", text=""))[0]
    repeated = matcher.match(MatchDocument(title="", text="Russia " + "x " * 20 + "Tartus Tartus Tartus"))[0]
    assert far.score == 2.0
    assert close.score == 4.0  # 1 + 1 + 2 (close)
    assert titled.score == 8.0  # two terms boosted in the title
    assert far.score < repeated.score < close.score


def test_a_term_written_twice_scores_once() -> None:
    aliases = {"tartus": ["tartus", "тартус*"]}
    once = topic(1, "russia AND @tartus", aliases=aliases)
    twice = topic(2, "(russia AND @tartus) OR (@tartus NEAR/3 base) OR russia", aliases=aliases)
    doc = MatchDocument(title="", text="Russia " + "x " * 20 + "Tartus")
    first, second = Matcher([once, twice]).match(doc)
    assert first.score == second.score == 2.0
    assert first.terms == second.terms == ("Russia", "Tartus")


def test_terms_and_snippets() -> None:
    filler = " ".join(f"word{i}" for i in range(80))
    text = f"Russia said. {filler} The port of Tartus was quiet. {filler} Tartus again."
    hit = Matcher([topic(1, "russia tartus")]).match(MatchDocument(title="Russia news", text=text))[0]
    assert hit.terms == ("Russia", "Tartus")
    assert len(hit.snippets) == 3
    assert hit.snippets[0].startswith("Russia said.")
    assert "The port of Tartus was quiet." in hit.snippets[1]
    assert hit.snippets[1].startswith("…") and hit.snippets[1].endswith("…")
    assert all(len(s) <= 170 for s in hit.snippets)


def test_title_only_hit_uses_title_as_snippet() -> None:
    hit = Matcher([topic(1, "tartus")]).match(MatchDocument(title="Ships in Tartus", text="Nothing here."))[0]
    assert hit.snippets == ("Ships in Tartus",)


def test_matcher_raises_first_error_and_validate_lists_all() -> None:
    topics = [topic(1, "ok1"), topic(2, "(bad"), topic(3, "a1 AND", origin="t3.yaml:2")]
    errors = validate_topics(topics)
    assert [e.source for e in errors] == ["t2", "t3.yaml:2"]
    try:
        Matcher(topics)
    except QueryError as exc:
        assert exc.source == "t2"
    else:
        raise AssertionError("Matcher accepted a bad query")


def test_random_text_never_raises() -> None:
    matcher = Matcher([topic(1, "russia* NEAR/3 tartus"), topic(2, '"naval base"~2 OR طرطوس')])
    junk = string.printable + "ـًٌٍَُِّْ\u200f\x00ё"
    for i in range(50):
        text = "".join(junk[(i * 7 + j * 13) % len(junk)] for j in range(200))
        matcher.match(MatchDocument(title=text[:20], text=text))


def test_prefilter_distributes_or_over_and() -> None:
    matcher = Matcher([topic(0, "(alpha beta) OR (gamma delta)")])
    assert matcher.candidates(AnalysedDocument(MatchDocument(title="", text="alpha gamma"))) == []
    assert matcher.candidates(AnalysedDocument(MatchDocument(title="", text="gamma x delta"))) == [0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prefilter_agrees_over_many_topics(seed: int) -> None:
    rng = random.Random(seed)
    queries_ = [
        f"({rng.choice(QUERY_WORDS)} OR {rng.choice(QUERY_WORDS)}) AND {rng.choice(QUERY_WORDS)}"
        + (f" NOT {rng.choice(QUERY_WORDS)}" if rng.random() < 0.3 else "")
        for _ in range(1300)
    ]
    matcher = Matcher([topic(n, q) for n, q in enumerate(queries_)])
    hit_topics: set[int] = set()
    for _ in range(30):
        words = rng.choices([*VOCAB, "the", "of"], k=rng.randint(0, 30))
        doc = MatchDocument(title=" ".join(words[:3]), text=" ".join(words))
        analysed = AnalysedDocument(doc)
        naive = [h for h in (c.match(analysed) for c in matcher.compiled) if h is not None]
        assert matcher.match(doc) == naive
        hit_topics.update(int(h.topic_id[1:]) for h in naive)
    assert {n // 512 for n in hit_topics} == {0, 1, 2}  # hits spread over the whole topic list


def test_prefilter_keys_sharing_a_hash_only_add_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every word hashes by its length alone: "tartus" and "russia" (and any 6-letter word) collide.
    monkeypatch.setattr(prefilter, "_hash", len)
    matcher = Matcher([topic(0, "tartus AND syria"), topic(1, "russia"), topic(2, "gyumri OR armenia*")])
    analysed = AnalysedDocument(MatchDocument(title="", text="Tartus in Syria"))
    assert matcher.candidates(analysed) == [0, 1, 2]  # 1 and 2 only share hashes with the document's words
    assert [h.topic_id for h in matcher.match(MatchDocument(title="", text="Tartus in Syria"))] == ["t0"]
    nothing = AnalysedDocument(MatchDocument(title="", text="a be"))
    assert matcher.candidates(nothing) == []
