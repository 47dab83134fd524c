"""Config loading: valid files load, every kind of mistake names file, line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.config import config_schema, load_config, parse_duration, parse_size
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

BASE = """\
database: data/test.db
sources:
  - name: Local
    url: http://127.0.0.1:1/feed.xml
topics:
  - id: tartus-port
    title: Port of Tartus
    query: 'tartus AND port'
channels:
  - id: hook
    type: webhook
    url: http://127.0.0.1:1/hook
    secret: ${HOOK_SECRET}
  - id: desk
    type: email
    from: monitor@example.org
    to: [desk@example.org]
    smtp: {host: 127.0.0.1, port: 2525, starttls: false}
routes:
  - topics: [tartus-port]
    channels: [hook, desk]
"""
ENV = {"HOOK_SECRET": "whsec_c2VjcmV0"}


def write(tmp_path: Path, text: str, name: str = "monitor.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=ENV if environ is None else environ)
    return caught.value.problems


def test_valid_config_loads_with_resolved_paths_and_env(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, BASE), environ=ENV)
    assert settings.database == tmp_path / "data" / "test.db"
    assert [s.url for s in settings.sources] == ["http://127.0.0.1:1/feed.xml"]
    assert settings.sources[0].interval == 600
    assert settings.topics[0].id == "tartus-port"
    hook = settings.channels["hook"]
    assert hook.type == "webhook" and hook.secret == "whsec_c2VjcmV0"
    assert settings.channels_for("tartus-port", 1.0) == ["hook", "desk"]
    assert settings.channels_for("other", 1.0) == []


def test_shipped_config_is_valid() -> None:
    settings = load_config(REPO / "config" / "monitor.yaml", environ={})
    assert settings.database == REPO / "data" / "monitor.db"
    assert len(settings.sources) >= 10
    assert {"russia-syria-bases", "russia-syria-government"} <= {t.id for t in settings.topics}
    assert all(settings.channels_for(t.id, 100.0) == ["log"] for t in settings.topics)


def test_unknown_channel_in_route_names_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("channels: [hook, desk]", "channels: [hook, deskk]"))
    assert problems(path) == [f"{path}:21: routes[0].channels[1]: unknown channel 'deskk'"]


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("sources:", "fetchh: {timeout: 5s}\nsources:"))
    assert problems(path) == [f"{path}:2: fetchh: unknown key (did you mean 'fetch'?)"]


def test_unknown_nested_key_is_an_error(tmp_path: Path) -> None:
    text = BASE.replace("    url: http://127.0.0.1:1/feed.xml", "    url: http://127.0.0.1:1/f\n    intervall: 5m")
    path = write(tmp_path, text)
    assert problems(path) == [f"{path}:5: sources[0].intervall: unknown key (did you mean 'interval'?)"]


def test_missing_env_var_names_variable_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    assert problems(path, environ={}) == [f"{path}:13: channels[0].secret: environment variable HOOK_SECRET is not set"]


def test_missing_file(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_bad_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "database: x.db\nsources:\n  - name: [unclosed\n")
    (message,) = problems(path)
    assert message.startswith(f"{path}:4: invalid YAML")


def test_bad_duration_and_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("    url: http://127.0.0.1:1/feed.xml", "    interval: soon"))
    found = problems(path)
    assert f"{path}:4: sources[0].interval: invalid duration 'soon': use a number with s, m, h or d, e.g. 10m" in found
    assert f"{path}:3: sources[0].url: required key is missing" in found


def test_unknown_channel_type(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("type: webhook", "type: pager"))
    assert problems(path) == [f"{path}:10: channels[0]: unknown channel type 'pager': expected webhook, email or log"]


def test_unknown_topic_in_route_and_duplicate_channel(tmp_path: Path) -> None:
    text = BASE.replace("topics: [tartus-port]", "topics: [tartus-prot]").replace("id: desk", "id: hook")
    path = write(tmp_path, text)
    found = problems(path)
    assert f"{path}:14: channels[1].id: duplicate channel id 'hook'" in found
    assert f"{path}:20: routes[0].topics[0]: unknown topic 'tartus-prot'" in found


def test_topic_file_errors_name_the_topic_file(tmp_path: Path) -> None:
    (tmp_path / "topics").mkdir()
    write(tmp_path, "id: a\ntitle: A\nquery: x\n", "topics/a.yaml")
    bad = write(tmp_path, "id: b\ntitle: B\nquery: x\nmin_scor: 2\n", "topics/b.yaml")
    path = write(tmp_path, "topics: [topics/]\n")
    assert problems(path) == [f"{bad}:4: min_scor: unknown key (did you mean 'min_score'?)"]


def test_opml_sources_are_expanded(tmp_path: Path) -> None:
    (tmp_path / "feeds.opml").write_text(
        '<opml version="2.0"><body><outline text="group">'
        '<outline text="One" xmlUrl="http://127.0.0.1:1/one.xml"/>'
        '<outline title="Two" xmlUrl="http://127.0.0.1:1/two.xml"/>'
        "</outline></body></opml>"
    )
    settings = load_config(write(tmp_path, "sources:\n  - opml: feeds.opml\n    interval: 2m\n"), environ={})
    assert [(s.name, s.interval) for s in settings.sources] == [("One", 120.0), ("Two", 120.0)]
    assert len({s.id for s in settings.sources}) == 2


def test_missing_opml_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - opml: feeds.opml\n")
    (message,) = problems(path)
    assert message.startswith(f"{path}:2: sources[0].opml: cannot read OPML file 'feeds.opml'")


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), (45, 45)])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "size"), [("5MB", 5_000_000), ("512KiB", 524_288), (1000, 1000), ("2 gb", 2e9)])
def test_sizes(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["", "0s", "-5m", "ten", True])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_schema_describes_every_top_level_key() -> None:
    schema = config_schema()
    assert set(schema["properties"]) >= {
        "database",
        "user_agent",
        "log_level",
        "fetch",
        "defaults",
        "sources",
        "topics",
        "channels",
        "routes",
    }
    assert schema["additionalProperties"] is False


def test_unquoted_env_var_in_a_flow_mapping_gets_a_hint(tmp_path: Path) -> None:
    flow = "{id: hook, type: webhook, url: http://127.0.0.1:1/, secret: ${HOOK_SECRET}}"
    path = write(tmp_path, f"channels:\n  - {flow}\n")
    (message,) = problems(path)
    assert message.startswith(f"{path}:2: invalid YAML") and 'write ${VAR} in quotes: "${VAR}"' in message


def test_quoted_env_var_in_a_flow_mapping_is_read(tmp_path: Path) -> None:
    flow = '{id: hook, type: webhook, url: http://127.0.0.1:1/, secret: "${HOOK_SECRET}"}'
    path = write(tmp_path, f"channels:\n  - {flow}\n")
    assert load_config(path, environ=ENV).channels["hook"].secret == "whsec_c2VjcmV0"  # type: ignore[union-attr]
