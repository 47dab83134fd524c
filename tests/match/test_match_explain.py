"""``explain``: the clause tree says what matched where, and the score parts add up to the hit's score."""

from __future__ import annotations

import pytest

from monitor.match import compile_topic
from monitor.match.explain import explain
from monitor.models import MatchDocument, Topic

TOPIC = Topic(
    id="bases",
    title="Bases",
    query='@tartus AND (russia* OR title:kremlin) NOT "naval drill"~1',
    aliases={"tartus": ("tartus", "طرطوس")},
    min_score=3,
)


def test_tree_places_and_score_parts() -> None:
    doc = MatchDocument(title="Russia in Tartus", text="Russian ships at Tartus and at وطرطوس.")
    exp = explain(compile_topic(TOPIC), doc)
    assert exp.hit is not None and exp.reason.startswith("hit: score")
    alias = exp.tree.children[0]
    assert (alias.label, alias.matched) == ("OR @tartus", True)
    assert [(p.field, p.start, p.surface) for p in alias.children[0].places] == [
        ("title", 2, "Tartus"),
        ("text", 3, "Tartus"),
    ]
    assert [p.surface for p in alias.children[1].places] == ["وطرطوس"]  # the clitic is stripped
    assert exp.tree.children[2].label == "NOT" and exp.tree.children[2].matched
    assert exp.tree.children[2].children[0].label == '"naval drill"~1'
    parts = sum(t.base + t.title_bonus for t in exp.terms) + exp.proximity
    assert round(parts, 3) == exp.score == exp.hit.score
    assert {t.term: t.tf for t in exp.terms} == {"tartus": 2, "طرطوس": 1, "russia*": 2}


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (MatchDocument(title="", text="Tartus is quiet."), "the query does not match"),
        (MatchDocument(title="", text="Tartus " + "x " * 30 + "Russia"), "below min_score 3"),
    ],
)
def test_misses_say_why(doc: MatchDocument, reason: str) -> None:
    exp = explain(compile_topic(TOPIC), doc)
    assert exp.hit is None and reason in exp.reason
