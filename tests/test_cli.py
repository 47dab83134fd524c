"""The ``monitor`` command: every subcommand, its exit codes and its messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from local_peers import REPO, SEED_TOPICS

from monitor.cli import main
from monitor.demo.sink import WebhookSink
from monitor.demo.site import NewsSite

MONITOR = [sys.executable, "-m", "monitor"]


def run_cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str, name: str = "monitor.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def demo_config(tmp_path: Path, site: NewsSite, sink: WebhookSink, secret_var: str = "HOOK_SECRET") -> Path:
    config = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True},
        "defaults": {"interval": "1h"},
        "sources": [{"name": "Demo world", "url": site.url("world/rss.xml")}],
        "topics": [str(SEED_TOPICS)],
        "channels": [{"id": "hook", "type": "webhook", "url": sink.url, "secret": "${" + secret_var + "}"}],
        "routes": [{"topics": ["*"], "channels": ["hook"]}],
    }
    return write(tmp_path, yaml.safe_dump(config))


def test_every_command_has_help() -> None:
    for command in (["run"], ["once"], ["check"], ["match"], ["extract"], ["demo"], ["config", "schema"]):
        code, out, _ = run_cli(*command, "--help")
        assert code == 0 and "Usage:" in out and len(out.splitlines()) > 3, command


def test_check_accepts_the_shipped_config() -> None:
    code, out, err = run_cli("check", "-c", str(REPO / "config" / "monitor.yaml"))
    assert (code, err) == (0, "")
    assert "OK" in out and "topics" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("database: [unclosed\n", ":2: invalid YAML"),
        ("databse: x.db\n", ":1: databse: unknown key"),
        (
            "channels:\n  - {id: desk, type: log}\nroutes:\n  - topics: ['*']\n    channels: [desk, deskk]\n",
            ":5: routes[0].channels[1]: unknown channel 'deskk'",
        ),
        (
            "channels:\n  - id: hook\n    type: webhook\n    url: http://127.0.0.1:1/\n"
            "    secret: ${NOT_SET_ANYWHERE}\n",
            ":5: channels[0].secret: environment variable NOT_SET_ANYWHERE is not set",
        ),
    ],
    ids=["bad-yaml", "unknown-key", "unknown-channel", "missing-env-var"],
)
def test_check_reports_config_errors_with_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    code, out, err = run_cli("check", "-c", str(path), env={"NOT_SET_ANYWHERE": None})  # type: ignore[dict-item]
    assert code == 2 and out == ""
    assert err.strip() == f"{path}{expected}" or err.startswith(f"{path}{expected}")


def test_check_missing_file_exit_2(tmp_path: Path) -> None:
    code, _, err = run_cli("check", "-c", str(tmp_path / "absent.yaml"))
    assert code == 2 and err.strip() == (
        f"{tmp_path / 'absent.yaml'}: config file not found (looked for {tmp_path / 'absent.yaml'}); "
        "pass one with -c FILE or set MONITOR_CONFIG=FILE"
    )


def test_check_reports_a_bad_topic_query_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "topics").mkdir()
    write(tmp_path, "id: broken\ntitle: Broken\nquery: '(tartus AND'\n", "topics/broken.yaml")
    path = write(tmp_path, "topics: [topics/]\n")
    code, _, err = run_cli("check", "-c", str(path))
    assert code == 2
    assert "broken.yaml" in err and "position" in err


def test_unusable_database_exits_3(tmp_path: Path) -> None:
    (tmp_path / "db").write_bytes(b"not a database" * 200)
    path = write(tmp_path, "database: db\n")
    code, _, err = run_cli("once", "-c", str(path))
    assert code == 3 and "unusable" in err


def test_match_reads_json_lines_and_writes_hits(tmp_path: Path) -> None:
    articles = [
        {
            "id": "a1",
            "url": "http://x/1",
            "title": "Russia and Syria discuss the Tartus naval base",
            "text": "Moscow wants to keep its naval base at Tartus and the Khmeimim air base in Syria.",
        },
        {"id": "a2", "url": "http://x/2", "title": "A weekend in Tartu", "text": "Estonia's university town."},
    ]
    stdin = "\n".join(json.dumps(a) for a in articles) + "\n"
    code, out, _ = run_cli("match", "--topics", str(SEED_TOPICS / "russia-syria-bases.yaml"), stdin=stdin)
    assert code == 0
    hits = [json.loads(line) for line in out.splitlines()]
    assert [(h["id"], h["topic"]) for h in hits] == [("a1", "russia-syria-bases")]
    assert hits[0]["score"] > 0 and "Tartus" in hits[0]["terms"]


def test_match_rejects_invalid_json_with_its_line(tmp_path: Path) -> None:
    code, _, err = run_cli("match", "--topics", str(SEED_TOPICS), stdin='{"id": 1, "text": "x"}\n{oops\n')
    assert code == 1 and ":2: invalid JSON" in err


def test_extract_prints_the_article_as_json(tmp_path: Path) -> None:
    page = write(
        tmp_path,
        "<html lang='en'><head><title>Tartus talks resume | Demo</title>"
        "<meta property='article:published_time' content='2025-02-17T10:00:00Z'></head><body><article>"
        "<h1>Tartus talks resume</h1>"
        + "<p>Russian and Syrian officials met again on the future of the base.</p>" * 8
        + "</article></body></html>",
        "page.html",
    )
    code, out, _ = run_cli("extract", str(page))
    assert code == 0
    article = json.loads(out)
    assert article["title"] == "Tartus talks resume"
    assert article["published"].startswith("2025-02-17T10:00:00")
    assert "Russian and Syrian officials" in article["text"]
    assert {"authors", "language", "canonical_url"} <= set(article)


def test_config_schema_is_json_schema() -> None:
    code, out, _ = run_cli("config", "schema")
    schema = json.loads(out)
    assert code == 0 and schema["title"] == "monitor config" and "channels" in schema["properties"]


@pytest.mark.slow
def test_once_as_a_process_prints_one_line_per_stage(tmp_path: Path, news_site: NewsSite) -> None:
    with WebhookSink() as sink:
        path = demo_config(tmp_path, news_site, sink)
        done = subprocess.run(
            [*MONITOR, "once", "-c", str(path)],
            env={**os.environ, "HOOK_SECRET": ""},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    stages = [line.split(":")[0] for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert stages == ["fetch", "extract", "match", "store", "items", "deliver"]
    assert len(sink.received) > 0


@pytest.mark.slow
def test_run_polls_then_stops_cleanly_on_sigterm(tmp_path: Path, news_site: NewsSite, webhook_secret: str) -> None:
    with WebhookSink(webhook_secret) as sink:
        path = demo_config(tmp_path, news_site, sink)
        daemon = subprocess.Popen(
            [*MONITOR, "run", "-c", str(path)],
            env={**os.environ, "HOOK_SECRET": webhook_secret},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            received = sink.wait_for(1, timeout=30)
            assert received and all(r["verified"] for r in received)
            daemon.send_signal(signal.SIGTERM)
            started = time.monotonic()
            code = daemon.wait(timeout=10)
            assert time.monotonic() - started < 10
        finally:
            if daemon.poll() is None:
                daemon.kill()
        _, err = daemon.communicate()
    assert code == 0, err
    assert "monitor running" in err and "monitor stopped" in err


def test_check_probe_follows_a_page_to_its_feed_and_reports_failures(tmp_path: Path, news_site: NewsSite) -> None:
    news_site.fail("broken.xml", 500)
    config = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True},
        "sources": [
            {"name": "World feed", "url": news_site.url("world/rss.xml")},
            {"name": "Home page", "url": news_site.url("index.html")},
            {"name": "Broken", "url": news_site.url("broken.xml")},
        ],
    }
    path = write(tmp_path, yaml.safe_dump(config))
    code, out, _ = run_cli("check", "-c", str(path), "--probe")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith("3 sources, 0 topics, 0 channels, 0 routes; database " + str(tmp_path / "monitor.db"))
    assert "  ok   World feed: 9 entries" in lines
    assert (
        f"  ok   Home page: {news_site.url('index.html')} is a page; it announces the feed "
        f"{news_site.url('world/rss.xml')} (9 entries), which will be polled"
    ) in lines
    assert any(line.startswith("  FAIL Broken: ") and "500" in line for line in lines)
    assert not (tmp_path / "monitor.db").exists()  # a probe stores nothing
