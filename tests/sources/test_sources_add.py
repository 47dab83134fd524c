"""``monitor sources add URL``: the type is guessed from the address; the config keeps its comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import load_config
from monitor.config.addsource import guess_source

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "entry"),
    [
        ("https://t.me/tartuswatch", {"name": "Telegram: tartuswatch", "type": "telegram", "channel": "tartuswatch"}),
        (
            "https://t.me/s/tartuswatch/103",
            {"name": "Telegram: tartuswatch", "type": "telegram", "channel": "tartuswatch"},
        ),
        (
            "https://news.google.com/rss/search?q=Tartus&hl=ru&gl=RU&ceid=RU:ru",
            {"name": "Google News: Tartus", "type": "googlenews", "query": "Tartus", "hl": "ru", "gl": "RU"},
        ),
        (
            "https://api.gdeltproject.org/api/v2/doc/doc?query=Tartus&mode=ArtList&format=json",
            {"name": "GDELT: Tartus", "type": "gdelt", "query": "Tartus"},
        ),
        (
            "https://www.youtube.com/@harbourwatch",
            {"name": "YouTube: @harbourwatch", "url": "https://www.youtube.com/@harbourwatch"},
        ),
        (
            "https://bsky.app/profile/harbour.example.org",
            {"name": "Bluesky: harbour.example.org", "url": "https://bsky.app/profile/harbour.example.org"},
        ),
        (
            "https://social.example/@harbour",
            {"name": "@harbour@social.example", "url": "https://social.example/@harbour"},
        ),
        (
            "https://news.example.org/news-sitemap.xml",
            {
                "name": "news.example.org/news-sitemap.xml",
                "url": "https://news.example.org/news-sitemap.xml",
                "type": "sitemap",
            },
        ),
        ("https://www.example.org/rss", {"name": "example.org/rss", "url": "https://www.example.org/rss"}),
    ],
)
def test_the_type_is_guessed_from_the_address(url: str, entry: dict[str, str]) -> None:
    assert guess_source(url)[0] == entry


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the shipped config beside the seeds it points at."""
    (tmp_path / "config").mkdir()
    (tmp_path / "seeds").symlink_to(REPO / "seeds")
    path = tmp_path / "config" / "monitor.yaml"
    path.write_text((REPO / "config" / "monitor.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_a_channel_is_appended_to_the_sources_and_the_comments_stay(shipped: Path) -> None:
    before = shipped.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "add", "t.me/tartuswatch", "-c", str(shipped)])
    assert result.exit_code == 0, result.output
    assert "a Telegram channel" in result.output
    after = shipped.read_text(encoding="utf-8")
    added = "  - {name: 'Telegram: tartuswatch', type: telegram, channel: tartuswatch}\n"
    assert after.replace(added, "", 1) == before  # only the one line, every comment kept
    lines = after.splitlines()
    assert lines.index(added.rstrip("\n")) < lines.index("topics:")
    settings = load_config(shipped, environ={})
    assert settings.sources[-1].url == "https://t.me/s/tartuswatch"


def test_a_source_configured_already_is_refused_and_the_file_left_alone(shipped: Path) -> None:
    before = shipped.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "add", "https://t.me/rybar", "-c", str(shipped)])
    assert result.exit_code == 2 and "configured already" in result.output
    assert shipped.read_text(encoding="utf-8") == before


def test_a_config_without_sources_gets_the_list(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("# mine\ndatabase: m.db  # here\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "add", "https://www.example.org/rss", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == (
        "# mine\ndatabase: m.db  # here\nsources:\n  - {name: example.org/rss, url: 'https://www.example.org/rss'}\n"
    )
    assert load_config(path).sources[0].url == "https://www.example.org/rss"


def test_a_flow_list_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text("sources: [{name: a, url: 'https://a.example/rss'}]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "add", "https://b.example/rss", "-c", str(path)])
    assert result.exit_code == 2 and "by hand" in result.output
