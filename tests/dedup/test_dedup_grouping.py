"""Exact and near duplicates group into stories; distinct reports on one subject stay apart; restarts keep it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from dedup_helpers import TARTUS_CUSTOMS, TARTUS_WITHDRAWAL, add_article
from dedup_variants import CORPUS, paragraphs, variants

from monitor import dedup
from monitor.extract import extract
from monitor.store import open_database, story_queries


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = open_database(tmp_path / "stories.db")
    yield database
    database.close()


def test_two_reports_about_tartus_the_same_day_stay_apart(db) -> None:  # type: ignore[no-untyped-def]
    first = add_article(db, "https://wire.example/tartus-frigates", TARTUS_WITHDRAWAL)
    second = add_article(db, "https://daily.example/tartus-port-lease", TARTUS_CUSTOMS)
    assert first.is_new and second.is_new
    assert first.story_id != second.story_id and not second.joined
    assert dedup.similarity(dedup.signature(TARTUS_WITHDRAWAL).values, dedup.signature(TARTUS_CUSTOMS).values) < 0.2


def test_same_body_under_another_url_on_the_same_site_is_the_same_article(db) -> None:  # type: ignore[no-untyped-def]
    first = add_article(db, "https://wire.example/a/tartus", TARTUS_WITHDRAWAL)
    again = add_article(db, "https://wire.example/world/2025/tartus-frigates", TARTUS_WITHDRAWAL.upper())
    assert first.is_new and not again.is_new and again.article_id == first.article_id


def test_tracking_and_amp_variants_of_a_url_are_the_same_article(db) -> None:  # type: ignore[no-untyped-def]
    first = add_article(db, "https://www.wire.example/a/tartus/", TARTUS_WITHDRAWAL)
    amp = add_article(db, "https://amp.wire.example/a/tartus/amp?utm_source=rss#x", TARTUS_WITHDRAWAL + " Updated.")
    assert not amp.is_new and amp.article_id == first.article_id


def test_same_body_on_another_site_joins_the_story(db) -> None:  # type: ignore[no-untyped-def]
    first = add_article(db, "https://wire.example/a/tartus", TARTUS_WITHDRAWAL)
    copy = add_article(db, "https://paper.example/syndicated/frigates", TARTUS_WITHDRAWAL)
    assert copy.is_new and copy.joined and copy.story_id == first.story_id
    assert story_queries.outlets_of(db, first.story_id or 0) == ["wire.example", "paper.example"]


def test_a_one_line_body_never_joins_a_story(db) -> None:  # type: ignore[no-untyped-def]
    add_article(db, "https://wire.example/brief-1", "Breaking: more to follow on Tartus.")
    other = add_article(db, "https://paper.example/brief-2", "Breaking: more to follow on Tartus.")
    assert other.is_new and not other.joined


def test_the_story_index_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "restart.db"
    db = open_database(path)
    first = add_article(db, "https://wire.example/a/tartus", TARTUS_WITHDRAWAL)
    db.close()
    reopened = open_database(path)
    edited = TARTUS_WITHDRAWAL.replace("Thursday", "Thursday morning") + "\nThe ministry declined to comment."
    later = add_article(reopened, "https://paper.example/frigates-leave", edited)
    reopened.close()
    assert later.joined and later.story_id == first.story_id


def _corpus_texts(limit: int) -> dict[str, str]:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    texts = {}
    for case in sorted(CORPUS.iterdir()):
        text = extract((case / "source.html").read_bytes(), url=f"https://{case.name}.example/").text
        if len(paragraphs(text)) >= 4:
            texts[case.name] = text
        if len(texts) == limit:
            break
    return texts


def test_corpus_pages_and_their_variants_group_exactly_by_story(db) -> None:  # type: ignore[no-untyped-def]
    texts = _corpus_texts(limit=12)
    truth: dict[int, str] = {}
    for number, (name, text) in enumerate(texts.items()):
        saved = add_article(db, f"https://{name}.example/original", text)
        truth[saved.article_id] = name
        for kind, body in variants(text, seed=number).items():
            copy = add_article(db, f"https://{kind}-outlet.example/{name}", body)
            assert copy.is_new, (name, kind)
            truth[copy.article_id] = name
    story_of = dict(db.execute("SELECT article_id, story_id FROM story_articles").fetchall())
    wrong = [
        (truth[a], truth[b])
        for a, b in itertools.combinations(truth, 2)
        if (truth[a] == truth[b]) != (story_of[a] == story_of[b])
    ]
    assert wrong == []
    assert len(set(story_of.values())) == len(texts)
