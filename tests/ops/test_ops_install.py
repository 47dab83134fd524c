"""`monitor install-service` says when the unit could not start here (a checkout under /tmp, hidden by
PrivateTmp; a database folder the dynamic user cannot write; files it cannot read) and what to do, instead of
printing `systemctl enable --now` as if all were fine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.ops.unit import STATE_DIR, unit_problems


def test_a_usual_installation_has_no_problem() -> None:
    assert unit_problems(Path("/bin/sh"), Path("/etc/passwd"), STATE_DIR / "monitor.db") == []


def test_a_checkout_under_a_private_tmp_is_named_with_the_fix(tmp_path: Path) -> None:
    problems = unit_problems(
        tmp_path / "bin" / "monitor", tmp_path / "monitor.yaml", tmp_path / "data" / "m.db", hidden=(tmp_path,)
    )
    assert len(problems) == 3
    assert f"the program {tmp_path / 'bin' / 'monitor'} is under {tmp_path}" in problems[0]
    assert "PrivateTmp=yes" in problems[0] and "move the checkout" in problems[0]


def test_a_database_folder_the_dynamic_user_cannot_write(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    problems = unit_problems(Path("/bin/sh"), Path("/etc/passwd"), data / "monitor.db", hidden=())
    assert problems == [
        f"the database folder {data} is not writable by the service's dynamic user (only by its owner): set "
        f"`database: {STATE_DIR}/monitor.db` in /etc/passwd (systemd creates {STATE_DIR} for the service and "
        "moves it along), or give the folder to a fixed User= in the unit"
    ]
    data.chmod(0o777)
    assert unit_problems(Path("/bin/sh"), Path("/etc/passwd"), data / "monitor.db", hidden=()) == []
    missing = unit_problems(Path("/bin/sh"), Path("/etc/passwd"), tmp_path / "nowhere" / "m.db", hidden=())
    assert len(missing) == 1 and "does not exist" in missing[0]


def test_a_config_in_a_private_folder(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0o700)
    config = private / "monitor.yaml"
    config.write_text("{}\n", encoding="utf-8")
    problems = unit_problems(Path("/bin/sh"), config, STATE_DIR / "monitor.db", hidden=())
    assert len(problems) == 1 and "cannot be read by the service's dynamic user" in problems[0]
    assert "chmod o+rx" in problems[0]


def test_install_service_under_tmp_says_what_to_do_and_does_not_say_enable(tmp_path: Path) -> None:
    if not tmp_path.resolve().is_relative_to("/tmp"):
        pytest.skip(f"pytest's tmp_path {tmp_path} is not under /tmp here")
    (tmp_path / "data").mkdir()
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({"database": "data/monitor.db"}), encoding="utf-8")
    unit = tmp_path / "monitor.service"
    result = CliRunner().invoke(main, ["install-service", "-c", str(config), "-o", str(unit)])
    assert result.exit_code == 1
    assert unit.exists(), "the unit is still written, for after the fix"
    assert f"problem: the config {config} is under /tmp" in result.stderr
    assert "now: systemctl daemon-reload" not in result.stderr
    assert "would not start until the problems above are fixed" in result.stderr
    assert str(Path(sys.executable).parent) in unit.read_text(encoding="utf-8")
