"""One rule for `-c`: every command that reads the config takes `-c FILE` after its own name (subcommands of a
group too, or after the group), tested over the whole click command tree; a missing config says where we looked."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from monitor.cli import main

# Commands that read no config file: they take their inputs as arguments.
WITHOUT_CONFIG = {"match", "extract", "demo", "config schema"}


def _leaves(command: click.Command, words: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    if isinstance(command, click.Group):
        found = [(words, command)] if words and command.invoke_without_command else []
        for name, sub in sorted(command.commands.items()):
            found += _leaves(sub, (*words, name))
        return found
    return [(words, command)]


COMMANDS = _leaves(main)


def _required(command: click.Command) -> list[str]:
    """Arguments that let the command get as far as loading its config."""
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Option) and param.name == "retry_all":
            args.append("--all")  # `deliveries retry` wants IDs or --all before anything else
        elif param.required and isinstance(param, click.Option) and param.is_flag:
            args.append(param.opts[-1])
        elif param.required and isinstance(param, click.Option):
            args += [param.opts[-1], "x"]  # `db copy --to URL`
        elif param.required and isinstance(param, click.Argument):
            args.append("x")
    return args


def test_the_tree_is_walked() -> None:
    names = {" ".join(words) for words, _ in COMMANDS}
    assert {"deliveries retry", "stories backfill", "sources export", "db stats", "hits", "run"} <= names


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=[" ".join(w) for w, _ in COMMANDS])
def test_every_command_takes_c_after_its_name(words: tuple[str, ...], command: click.Command, tmp_path: Path) -> None:
    takes_config = any(p.name == "config_path" for p in command.params)
    assert takes_config is (" ".join(words) not in WITHOUT_CONFIG)
    if not takes_config:
        return
    missing = tmp_path / "nowhere.yaml"
    result = CliRunner().invoke(main, [*words, *_required(command), "-c", str(missing)])
    assert result.exit_code == 2, result.output
    assert f"looked for {missing}" in result.output, result.output


@pytest.mark.parametrize("group", ["sources", "deliveries", "stories"])
def test_c_given_to_the_group_reaches_its_subcommands(group: str, tmp_path: Path) -> None:
    sub = {"sources": ["export", "--opml"], "deliveries": ["retry", "--all"], "stories": ["backfill"]}[group]
    missing = tmp_path / "group.yaml"
    result = CliRunner().invoke(main, [group, "-c", str(missing), *sub])
    assert result.exit_code == 2 and f"looked for {missing}" in result.output, result.output


def test_a_missing_default_config_says_where_it_looked_and_how_to_pass_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["hits"])
    assert result.exit_code == 2
    assert f"looked for {tmp_path / 'config' / 'monitor.yaml'}" in result.output
    assert "-c FILE" in result.output and "MONITOR_CONFIG" in result.output
