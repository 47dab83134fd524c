"""`monitor config schema` describes the YAML users write: the shipped config, every config in README.md and
docs/*.md and every topic file validate against it with jsonschema, and what the loader refuses the schema refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from local_peers import REPO

from monitor.cli import main

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = CliRunner().invoke(main, ["config", "schema"])
    assert result.exit_code == 0
    published: dict[str, Any] = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(published)
    return published


def _validator(schema: dict[str, Any], definition: str | None = None) -> jsonschema.Draft202012Validator:
    if definition is not None:
        schema = {**schema, "$ref": f"#/$defs/{definition}"}
        schema.pop("properties"), schema.pop("additionalProperties", None)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def _documented_blocks() -> list[tuple[str, Any]]:
    found = []
    for doc in DOCS:
        for number, block in enumerate(re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL)):
            found.append((f"{doc.name}#{number + 1}", yaml.safe_load(block)))
    return found


CONFIGS = [
    ("config/monitor.yaml", yaml.safe_load((REPO / "config/monitor.yaml").read_text(encoding="utf-8"))),
    *_documented_blocks(),
]


@pytest.mark.parametrize(("name", "data"), CONFIGS, ids=[name for name, _ in CONFIGS])
def test_shipped_and_documented_configs_validate_against_the_published_schema(
    schema: dict[str, Any], name: str, data: Any
) -> None:
    # A documented topic file (id, title, query) is checked against the topic definition, a config against the root.
    is_topic = isinstance(data, dict) and "query" in data
    assert _errors(_validator(schema, "TopicConfig" if is_topic else None), data) == []


TOPIC_FILES = sorted((REPO / "seeds" / "topics").glob("*.yaml"))


@pytest.mark.parametrize("path", TOPIC_FILES, ids=[p.name for p in TOPIC_FILES])
def test_seed_topic_files_validate(schema: dict[str, Any], path: Path) -> None:
    assert _errors(_validator(schema, "TopicConfig"), yaml.safe_load(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    ("fetch", "ok"),
    [
        ({"timeout": "10m", "min_delay": "0", "max_bytes": "5MB", "max_interval": 7200}, True),
        ({"timeout": "1.5h", "max_bytes": "512KiB", "min_interval": "90s"}, True),
        ({"timeout": "10 minutes"}, False),
        ({"max_bytes": "5 megabytes"}, False),
        ({"timeout": True}, False),
    ],
)
def test_durations_and_sizes_are_strings_or_numbers(schema: dict[str, Any], fetch: dict[str, Any], ok: bool) -> None:
    assert (_errors(_validator(schema), {"fetch": fetch}) == []) is ok
