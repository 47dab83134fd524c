"""The README and docs stay true: every command they list exists and has help; their config keys are real."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import ConfigFile

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def documented_commands() -> list[list[str]]:
    """Return the command words of every `monitor ...` row of the README's command table."""
    found = []
    for line in README.splitlines():
        cell = re.match(r"^\| `monitor ([a-z][a-z -]*?)(?: [A-Z\[\-`]|`)", line)
        if cell:
            found.append(cell.group(1).split())
    return found


def test_the_readme_lists_commands() -> None:
    assert len(documented_commands()) >= 15


@pytest.mark.parametrize("words", documented_commands(), ids=lambda w: " ".join(w))
def test_every_documented_command_exists_and_has_help(words: list[str]) -> None:
    command: click.Command = main
    for word in words:
        assert isinstance(command, click.Group), f"{' '.join(words)}: {word!r} is not a subcommand"
        sub = command.get_command(click.Context(command), word)
        assert sub is not None, f"README documents `monitor {' '.join(words)}`, which does not exist"
        command = sub
    result = CliRunner().invoke(main, [*words, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_every_top_level_key_in_readme_yaml_blocks_is_a_config_key() -> None:
    known = set(ConfigFile.model_json_schema(by_alias=True)["properties"])
    blocks = re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        data = yaml.safe_load(block)
        assert isinstance(data, dict)
        assert set(data) <= known, f"README yaml block uses unknown keys {set(data) - known}"


def _leaf_commands(command: click.Command, words: list[str]) -> list[list[str]]:
    if not isinstance(command, click.Group):
        return [words]
    found = []
    for name, sub in sorted(command.commands.items()):
        found.extend(_leaf_commands(sub, [*words, name]))
    return found


@pytest.mark.parametrize("words", _leaf_commands(main, []), ids=lambda w: " ".join(w))
def test_every_command_is_in_the_readme_table(words: list[str]) -> None:
    assert f"| `monitor {' '.join(words)}" in README, f"`monitor {' '.join(words)}` is missing from README.md"
