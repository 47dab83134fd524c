"""feedparser's own test suite through monitor.parse: agreement per class (skipped when ../shared is absent).

The mapping of its ``Expect:`` clauses onto our fields, and the deliberate differences with their reasons,
live in tests/parse/feedparser_suite.py; ``python tests/parse/feedparser_suite.py`` prints the table.
"""

from __future__ import annotations

import ast
from collections import Counter
from datetime import UTC, datetime

import pytest
from feedparser_suite import DELIBERATE, SUITE, FileResult, run_file, share, suite_files, tally

from monitor.parse.dates import parse_date

pytestmark = pytest.mark.skipif(not SUITE.is_dir(), reason=f"feedparser suite not found at {SUITE} (needs ../shared)")

# Our targets (issue 18): overall, and classes that must agree clause for clause.
MIN_SHARE = 0.97
EXACT_CLASSES = ("encoding", "entities")
MIN_VALID_DATES = 44


@pytest.fixture(scope="module")
def results() -> list[FileResult]:
    files = suite_files()
    assert len(files) > 1700, "the suite is incomplete"
    return [run_file(path) for path in files]


@pytest.fixture(scope="module")
def counts(results: list[FileResult]) -> dict[str, Counter[str]]:
    return tally(results)


def differences(results: list[FileResult], prefix: str = "") -> list[str]:
    return [
        f"{result.name}: {clause.path}: expected {clause.expected!r}, ours {clause.ours!r}"
        for result in results
        if result.name.startswith(prefix)
        for clause in result.clauses
        if not clause.agrees and not clause.deliberate
    ]


def test_overall_agreement(results: list[FileResult], counts: dict[str, Counter[str]]) -> None:
    total = counts["total"]
    assert sum(total.values()) > 1000  # enough clauses were mapped for the share to mean something
    assert share(total) >= MIN_SHARE, "\n".join(differences(results))


@pytest.mark.parametrize("folder", EXACT_CLASSES)
def test_every_encoding_and_entity_clause_agrees(results: list[FileResult], folder: str) -> None:
    assert not differences(results, folder + "/")


def test_deliberate_differences_are_exactly_the_listed_ones(results: list[FileResult]) -> None:
    used = {clause.deliberate for result in results for clause in result.clauses if clause.deliberate}
    assert used == set(DELIBERATE)  # every listed difference still occurs, and no other


def test_entity_titles_are_not_cut(results: list[FileResult]) -> None:
    titles = [c for r in results if r.name.startswith("entities/") for c in r.clauses if c.path == "feed.title"]
    assert len(titles) > 200
    assert all(c.agrees for c in titles)


def date_vectors() -> list[tuple[str, tuple[int, ...] | None]]:
    """Return the (input, expected 9-tuple or None) pairs of the suite's test_date_parsers.py."""
    tree = ast.parse((SUITE / "test_date_parsers.py").read_text(encoding="utf-8"))
    vectors = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "parametrize":
            for case in node.args[1].elts:  # type: ignore[attr-defined]
                value, expected = ast.literal_eval(case.elts[1]), ast.literal_eval(case.elts[2])
                if value:  # the empty string is each handler's "nothing given" case
                    vectors.append((value, expected))
    return vectors


def test_date_vectors() -> None:
    vectors = date_vectors()
    valid = [(value, datetime(*expected[:6], tzinfo=UTC)) for value, expected in vectors if expected is not None]
    invalid = [value for value, expected in vectors if expected is None]
    assert len(valid) == 46 and len(invalid) >= 15
    wrong = [(value, parse_date(value), want) for value, want in valid if parse_date(value) != want]
    assert len(valid) - len(wrong) >= MIN_VALID_DATES, wrong
    assert [value for value in invalid if parse_date(value) is not None] == []
