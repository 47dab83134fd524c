"""`monitor check` warns on likely mistakes in queries that parse: lower-case operators between terms (matched as
words, silently dropping articles without them), typographic quotes, aliases the query never uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.match import query_warnings

ALIASES = {"russia": ["russia*", "росси*"], "bases": ["base*", "баз*"], "military": ["military", "воен*"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("@russia and @bases and @military", ["position 8: 'and'", "did you mean AND?", "position 19: 'and'"]),
        ("tartus or tartous", ["'or' between terms", "did you mean OR?"]),
        ("not syria", ["did you mean NOT?"]),
        ("explosion near tartus", ["did you mean NEAR/10"]),
        ("(tartus Or tartous) AND port", ["did you mean OR?"]),
        ("“naval base” AND tartus", ["typographic quotes", 'straight quotes: "naval base"']),
    ],
)
def test_likely_mistakes_are_named_with_the_fix(query: str, expected: list[str]) -> None:
    warnings = " | ".join(query_warnings(query, ALIASES if "@" in query else None))
    for part in expected:
        assert part in warnings


@pytest.mark.parametrize(
    "query", ["@russia AND @bases AND @military", 'tartus AND "and so on"', "tartus NEAR/5 port", "tartus and"]
)
def test_correct_queries_get_no_warning(query: str) -> None:
    assert query_warnings(query, ALIASES if "@" in query else None) == []


def test_unused_alias_is_named() -> None:
    assert query_warnings("@russia AND @bases", ALIASES) == [
        "alias 'military' is defined but the query never uses it (did you mean to write @military?)"
    ]


def test_check_prints_the_warnings_and_still_exits_0(tmp_path: Path) -> None:
    topic = {"id": "bases", "title": "Bases", "aliases": ALIASES, "query": "@russia and @bases and @military"}
    (tmp_path / "bases.yaml").write_text(yaml.safe_dump(topic, allow_unicode=True), encoding="utf-8")
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({"topics": ["bases.yaml"]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "-c", str(config)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"warning: {tmp_path / 'bases.yaml'}:") and "topic 'bases'" in warnings[0]
    assert "did you mean AND?" in warnings[0]
