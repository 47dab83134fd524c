"""Parser: every operator builds the right tree; every error names its position and what was expected."""

from __future__ import annotations

import pytest

from monitor.errors import QueryError
from monitor.match import compile_topic
from monitor.match.nodes import And, Meta, Near, Node, Not, Or, Phrase
from monitor.match.parser import parse_query
from monitor.models import Topic

ALIASES = {"ru": ("russia*", "москв*", "naval base"), "empty": ()}


def parse(query: str) -> Node:
    return parse_query(query, ALIASES)


def words(node: Node) -> list[str]:
    assert isinstance(node, Phrase)
    return [w.text + ("*" if w.prefix else "") for w in node.words]


def test_implicit_and_equals_explicit() -> None:
    for query in ("a1 b1", "a1 AND b1"):
        node = parse(query)
        assert isinstance(node, And)
        assert [words(n) for n in node.items] == [["a1"], ["b1"]]


def test_or_is_loosest() -> None:
    node = parse("a1 b1 OR c1")
    assert isinstance(node, Or)
    assert isinstance(node.items[0], And)
    assert words(node.items[1]) == ["c1"]


def test_parentheses_override() -> None:
    node = parse("a1 (b1 OR c1)")
    assert isinstance(node, And)
    assert isinstance(node.items[1], Or)


@pytest.mark.parametrize("query", ["a1 NOT b1", "a1 -b1", "a1 AND NOT b1"])
def test_not_forms(query: str) -> None:
    node = parse(query)
    assert isinstance(node, And)
    assert isinstance(node.items[1], Not)
    assert words(node.items[1].item) == ["b1"]


def test_near_binds_tighter_than_and() -> None:
    node = parse("a1 b1 NEAR/5 c1")
    assert isinstance(node, And)
    near = node.items[1]
    assert isinstance(near, Near)
    assert near.distance == 5
    assert words(near.left) == ["b1"]


def test_phrase_slop_prefix_and_hyphen() -> None:
    phrase = parse('"Naval  Base"~2')
    assert isinstance(phrase, Phrase)
    assert (words(phrase), phrase.slop) == (["naval", "base"], 2)
    assert words(parse("Syria*")) == ["syria*"]
    assert words(parse("al-Sharaa")) == ["al", "sharaa"]


def test_fields() -> None:
    title = parse("title:tartus")
    assert isinstance(title, Phrase)
    assert title.fields == (0,)
    group = parse("text:(a1 OR b1)")
    assert isinstance(group, Or)
    assert all(isinstance(n, Phrase) and n.fields == (1,) for n in group.items)
    meta = parse("x1 lang:ru")
    assert isinstance(meta, And)
    assert isinstance(meta.items[1], Meta)
    assert meta.items[1].field == "lang"


def test_alias_expands_entries() -> None:
    node = parse("@RU")
    assert isinstance(node, Or)
    assert [words(n) for n in node.items] == [["russia*"], ["москв*"], ["naval", "base"]]


def test_lowercase_operators_are_words() -> None:
    node = parse("war and peace")
    assert isinstance(node, And)
    assert [words(n) for n in node.items] == [["war"], ["and"], ["peace"]]


ERRORS = [
    ("", 0, "the query is empty"),
    ("   ", 0, "the query is empty"),
    ("(a1 OR b1", 9, "expected ')' to close the '(' at 0 but the query ended"),
    ("(a1 b1]", 7, "expected ')'"),
    ("a1 b1)", 5, "unexpected ')' without a matching '('"),
    ("AND a1", 0, "expected a term at the start of the query but found 'AND'"),
    ("a1 AND", 6, "expected a term after 'AND' but found the end of the query"),
    ("a1 OR AND b1", 6, "expected a term after 'OR' but found 'AND'"),
    ("a1 NOT", 6, "expected a term after 'NOT'"),
    ("()", 1, "expected a term but found ')'"),
    ('"naval base', 11, "expected a closing '\"' but the query ended"),
    ('a1 ""', 3, "empty phrase"),
    ('"naval base"~x', 13, "expected a number after '~'"),
    ("a1 NEAR b1", 3, "expected 'NEAR/n' with a number of words"),
    ("a1 NEAR/x b1", 3, "expected 'NEAR/n'"),
    ("a1 NEAR/0 b1", 3, "NEAR distance must be at least 1 word"),
    ("a1 NEAR/3", 9, "expected a term after 'NEAR/3' but found the end of the query"),
    ("a1 NEAR/3 NOT b1", 3, "NEAR needs words or phrases on both sides, not NOT"),
    ("a1 NEAR/3 lang:ru", 3, "NEAR needs words or phrases on both sides, not lang:"),
    ("@khmeimm", 0, "unknown alias '@khmeimm' (this topic defines: @empty, @ru)"),
    ("a1 @", 3, "expected an alias name after '@'"),
    ("a1 @empty", 3, "alias '@empty' has no entries"),
    ("body:x1", 0, "unknown field 'body:'"),
    ("title:", 6, "expected a term after 'title:' but found the end of the query"),
    ("title:text:x1", 6, "field 'text:' inside field 'title:'"),
    ("sy*ria", 2, "wildcard '*' is only allowed at the end of a word"),
    ('"naval ba*se"', 9, "wildcard '*' is only allowed at the end of a word"),
    ("sy*", 0, "a wildcard needs at least 3 letters before '*'"),
    ("a1 &&", 3, "'&&' has no letters or digits to match"),
    ("a1 - b1", 3, "expected a term right after '-'"),
    ("NOT a1", 0, "the query has no word to match outside NOT"),
    ("lang:ru", 0, "the query has no word to match outside NOT"),
]


@pytest.mark.parametrize(("query", "position", "message"), ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_errors(query: str, position: int, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse(query)
    assert info.value.position == position
    assert message in info.value.message
    assert info.value.query == query


def test_alias_entry_error_points_at_alias() -> None:
    with pytest.raises(QueryError) as info:
        parse_query("a1 @bad", {"bad": ("ok", "x*")})
    assert info.value.position == 3
    assert "alias '@bad' entry 'x*'" in info.value.message


def test_compile_topic_names_origin() -> None:
    topic = Topic(id="t1", title="T", query="(tartus", origin="seeds/topics/t1.yaml:4")
    with pytest.raises(QueryError) as info:
        compile_topic(topic)
    assert info.value.source == "seeds/topics/t1.yaml:4"
    assert str(info.value).startswith("seeds/topics/t1.yaml:4: query error at position 7: expected ')'")
    without_origin = Topic(id="t1", title="T", query="(tartus")
    with pytest.raises(QueryError, match=r"^t1: "):
        compile_topic(without_origin)
