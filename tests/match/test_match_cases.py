"""Table-driven matcher cases from tests/match_cases.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.match import Matcher
from monitor.models import MatchDocument, Topic

CASES: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "match_cases.yaml").read_text(encoding="utf-8")
)


def _topic(spec: str | dict[str, Any]) -> Topic:
    if isinstance(spec, str):
        spec = {"query": spec}
    aliases = {k: tuple(v) for k, v in spec.get("aliases", {}).items()}
    return Topic(id="t", title="t", query=spec["query"], aliases=aliases, min_score=spec.get("min_score", 0.0))


@pytest.mark.parametrize("name", list(CASES))
def test_case(name: str) -> None:
    case = CASES[name]
    doc = MatchDocument(
        title=case.get("title", ""), text=case["text"], source=case.get("source", ""), language=case.get("lang")
    )
    hits = Matcher([_topic(case["topic"])]).match(doc)
    assert bool(hits) is case["expect"], hits
    if "terms" in case:
        assert list(hits[0].terms) == case["terms"]
