"""Small things a new user trips on: dates `search` prints match the order it lists in, snippets carry one
ellipsis, counts are pluralised, a URL without a scheme says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor import store
from monitor.cli import main
from monitor.config import Source, load_config
from monitor.errors import ConfigError
from monitor.models import Alert, Article
from monitor.notify.templates import build_email
from monitor.runtime import CycleStats
from monitor.store.deliveries import HitPlan
from monitor.textutil import plural

STORED = datetime.now(UTC) - timedelta(days=1)
SOURCE = Source(id="src-wire", name="Wire", url="http://127.0.0.1:1/wire.xml", interval=60)


def test_search_prints_the_stored_time_it_sorts_by_and_the_publication_day_beside(tmp_path: Path) -> None:
    db = store.open_database(tmp_path / "monitor.db")
    store.sync_sources(db, [SOURCE], STORED)
    # Stored in this order; the first one is a late find of an old article.
    for n, published in enumerate([STORED - timedelta(days=9), STORED - timedelta(hours=1)]):
        url = f"http://127.0.0.1:1/a/{n}"
        store.save_article(
            db,
            Article(title=f"Tartus report {n}", text="Russia and Syria talk about Tartus.", published=published),
            url=url,
            link=url,
            source_id=SOURCE.id,
            item_key=url,
            plan=HitPlan([]),
            now=STORED + timedelta(minutes=n),
        )
    db.close()
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({"database": "monitor.db"}), encoding="utf-8")
    result = CliRunner().invoke(main, ["search", "tartus", "-c", str(config)])
    assert result.exit_code == 0, result.output
    heads = [line for line in result.stdout.splitlines() if line.startswith("#")]
    stored = [(STORED + timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M") for n in (1, 0)]
    assert heads[0].startswith(f"#2  {stored[0]}  Wire")  # published the same day: no second date
    assert heads[1].startswith(f"#1  {stored[1]} (published {(STORED - timedelta(days=9)):%Y-%m-%d})  Wire")


def test_snippets_carry_one_ellipsis_in_email() -> None:
    alert = Alert(
        id="a-1",
        topic_id="bases",
        topic_title="Bases",
        article_url="https://news.example.org/a",
        article_title="Talks resume",
        source="Example",
        score=2.0,
        terms=("tartus",),
        snippets=("…the naval base lease…",),
        created_at=STORED,
    )
    email = build_email(alert, sender="m@example.org", recipients=["d@example.org"])
    for part in email.iter_parts():
        body = part.get_content()
        assert "…the naval base lease…" in body and "… …" not in body


def test_counts_are_pluralised() -> None:
    assert [plural(n, "topic") for n in (0, 1, 2)] == ["0 topics", "1 topic", "2 topics"]
    assert plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"
    stats = CycleStats(sources=1, sources_ok=1, entries=1, matched=1, hits=1, articles_new=1, queued=1)
    text = "\n".join(stats.summary())
    for wrong in ("1 sources", "1 entries", "1 articles", "1 hits", "1 new articles", "1 deliveries"):
        assert wrong not in text


def test_check_says_1_topic_not_1_topics(tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        yaml.safe_dump(
            {"topics": [{"id": "t", "title": "T", "query": "tartus"}], "channels": [{"id": "log", "type": "log"}]}
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "-c", str(config)])
    assert "0 sources, 1 topic, 1 channel, 0 routes" in result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "news.example.org/rss.xml",
            "invalid URL 'news.example.org/rss.xml': it needs a scheme, e.g. 'https://news.example.org/rss.xml'",
        ),
        ("ftp://news.example.org/rss.xml", "use an http:// or https:// URL"),
    ],
)
def test_a_url_without_a_scheme_says_what_is_wrong(tmp_path: Path, url: str, expected: str) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({"sources": [{"name": "A", "url": url}]}), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.problems == [f"{config}:2: sources[0].url: {expected}"] or expected in caught.value.problems[0]


def test_unknown_keys_get_a_did_you_mean_from_their_own_section(tmp_path: Path) -> None:
    config = tmp_path / "monitor.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "channels": [{"id": "hook", "type": "webhook", "url": "https://h.example/x", "secrt": "x"}],
                "fetch": {"max_byte": "5MB"},
                "retention": {"zzz": 1},
                "log": {"formatt": "json"},
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    text = "\n".join(caught.value.problems)
    assert "channels[0].secrt: unknown key (did you mean 'secret'?)" in text
    assert "fetch.max_byte: unknown key (did you mean 'max_bytes'?)" in text
    assert "retention.zzz: unknown key (expected one of: articles, hits)" in text
    assert "log.formatt: unknown key (did you mean 'format'?)" in text  # `log` the section, not the channel type
