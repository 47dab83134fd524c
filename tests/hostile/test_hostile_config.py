"""Fuzz the config loader and the query parser: every failure is exit 2 with a message, never a traceback."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hostile_kit import monitor_cli, no_traceback
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.cli import main
from monitor.errors import QueryError
from monitor.match import validate_topics
from monitor.match.parser import parse_query
from monitor.models import Topic

Defence = Callable[[str], None]
EXAMPLES = 150
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
KEYS = [
    "database",
    "sources",
    "topics",
    "channels",
    "routes",
    "fetch",
    "defaults",
    "name",
    "url",
    "id",
    "type",
    "query",
    "title",
    "interval",
    "timeout",
    "max_bytes",
    "secret",
    "smtp",
    "opml",
    "aliases",
    "min_score",
    "channels",
    "digest",
    "quiet_hours",
    "timezone",
    "health",
    "retention",
    "log",
    "user_agent",
    "concurrency",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(["10m", "5MB", "-1s", "http://127.0.0.1/x", "${NOPE}", "*", "webhook", "0"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)


def check(text: str | bytes) -> tuple[int, str, BaseException | None]:
    """Run ``monitor check`` in-process on a config with this content."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "monitor.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        result = CliRunner().invoke(main, ["check", "-c", str(path)])
    return result.exit_code, result.output, result.exception


def assert_clean(code: int, output: str, exception: BaseException | None) -> None:
    assert code in (0, 2), (code, output, exception)
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert no_traceback(output)
    if code == 2:
        assert output.strip(), "exit 2 without a message"


@FUZZ
@given(text=st.text(max_size=300))
def test_fuzz_yaml_text(text: str, defence: Defence) -> None:
    assert_clean(*check(text))
    defence(f"{EXAMPLES} random texts as the config file: each exit 0 or 2 with a message, no traceback")


@FUZZ
@given(data=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8))
def test_fuzz_config_structure(data: dict[str, Any], defence: Defence) -> None:
    assert_clean(*check(yaml.safe_dump(data, allow_unicode=True)))
    defence(f"{EXAMPLES} random structures of real and made-up keys and values: exit 0 or 2, never a traceback")


def _config_with_query(query: str) -> str:
    return yaml.safe_dump({"database": "x.db", "topics": [{"id": "t", "title": "T", "query": query}]})


QUERY_PARTS = st.sampled_from(
    [
        '"',
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "-",
        "NEAR/",
        "NEAR/3",
        "*",
        "title:",
        "text:",
        "lang:",
        "source:",
        "@",
        "@a",
        "~2",
        "tartus",
        "тартус",
        "طرطوس",
        " ",
        "ё",
        "\u202e",
    ]
)


@FUZZ
@given(query=st.lists(QUERY_PARTS, max_size=20).map("".join) | st.text(max_size=60))
def test_fuzz_query_parser(query: str, defence: Defence) -> None:
    try:
        parse_query(query, {"a": ["x", "y*"]})
    except QueryError as exc:
        assert str(exc)
    assert_clean(*check(_config_with_query(query)))
    defence(
        f"{EXAMPLES} random queries (operators, fields, aliases, three scripts, U+202E): QueryError or a "
        "tree, and `monitor check` exit 0 or 2"
    )


@pytest.mark.parametrize(
    ("label", "content"),
    [
        (
            "alias-bomb",
            "\n".join(
                ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
                + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
                + ["sources: *a8"]
            ),
        ),
        ("deep-brackets", "sources: " + "[" * 20_000 + "]" * 20_000),
        ("deep-mapping", "x: " + "{a: " * 5000 + "1" + "}" * 5000),
        ("invalid-utf8", b"database: \xff\xfe.db\n"),
        ("nul-byte", b"database: a\x00.db\n"),
        ("not-a-mapping", "- 1\n- 2\n"),
        ("huge-number", "fetch: {timeout: 1e400, max_bytes: 99999999999999999999999999}\n"),
        ("deep-query", _config_with_query("(" * 5000 + "tartus" + ")" * 5000)),
        ("not-chain", _config_with_query("NOT " * 3000 + "tartus")),
        ("python-tag", "database: !!python/object/apply:os.system ['echo pwned']\n"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else "",
)
def test_hostile_config_files(label: str, content: str | bytes, defence: Defence) -> None:
    code, output, exception = check(content)
    assert_clean(code, output, exception)
    assert code == 2 and "pwned" not in output
    defence(f"{label}: exit 2, `{output.strip().splitlines()[0].split('monitor.yaml', 1)[-1][:80]}`")


@pytest.mark.slow
def test_real_process_exit_code_for_a_deep_config(tmp_path: Path, defence: Defence) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("sources: " + "[" * 50_000 + "]" * 50_000, encoding="utf-8")
    done = monitor_cli("check", "-c", str(path))
    assert done.returncode == 2 and no_traceback(done.stderr + done.stdout), done.stderr[-500:]
    defence("`python -m monitor check` on 50,000 nested brackets: exit 2, no traceback")


def test_topics_validate_without_recursion_errors(defence: Defence) -> None:
    topics = [Topic(id="t", title="T", query="(" * 200 + "x" + ")" * 200), Topic(id="u", title="U", query="x " * 5000)]
    errors = validate_topics(topics)
    assert len(errors) == 1 and "nested more than" in str(errors[0])
    defence("200 nested parentheses: a QueryError naming the position (was a RecursionError); 5,000 terms compile")
