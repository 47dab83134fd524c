"""Alerting by story: the first article alerts, later members are recorded silently, one update at N outlets."""

from __future__ import annotations

from pathlib import Path

import pytest
from dedup_helpers import TARTUS_WITHDRAWAL, add_article

from monitor.config import FetchSettings, RouteConfig, Settings
from monitor.models import Match
from monitor.store import open_database, story_queries
from monitor.store import stories as story_store

HIT = (Match(topic_id="bases", score=2.0, terms=("tartus",)),)
ROUTES = [RouteConfig(topics=["bases"], channels=["hook", "desk"], story_updates=3)]


def hook_and_desk(topic: str, score: float) -> list[str]:
    return ["hook", "desk"]


def with_routes(routes: list[RouteConfig]) -> Settings:
    return Settings(Path("monitor.yaml"), Path("monitor.db"), "ua", "INFO", FetchSettings(), (), (), {}, tuple(routes))


def updates(topic: str, outlets: int) -> list[str]:
    return with_routes(ROUTES).update_channels(topic, outlets)


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = open_database(tmp_path / "alerts.db")
    yield database
    database.close()


def deliveries(db) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    rows: list[tuple[str, str, str]] = db.execute(
        "SELECT a.url, d.channel_id, d.alert_id FROM deliveries d JOIN hits h ON h.id = d.hit_id"
        " JOIN articles a ON a.id = h.article_id ORDER BY d.id"
    ).fetchall()
    return rows


def test_later_members_record_hits_without_alerting_and_one_update_goes_out(db) -> None:  # type: ignore[no-untyped-def]
    urls = [f"https://outlet{n}.example/tartus" for n in range(4)]
    first = add_article(db, urls[0], TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook_and_desk, updates_for=updates)
    assert (first.hits, first.deliveries, first.updates) == (1, 2, 0)

    second = add_article(db, urls[1], TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook_and_desk, updates_for=updates)
    assert second.joined and (second.hits, second.deliveries, second.updates) == (1, 0, 0)
    assert sorted(second.suppressed) == [("bases", "desk"), ("bases", "hook")]

    third = add_article(db, urls[2], TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook_and_desk, updates_for=updates)
    assert (third.deliveries, third.updates) == (0, 2)  # the third outlet: one update per channel
    fourth = add_article(db, urls[3], TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook_and_desk, updates_for=updates)
    assert (fourth.deliveries, fourth.updates) == (0, 0)  # never a second update

    sent = deliveries(db)
    assert [(u, c) for u, c, _ in sent] == [(urls[0], "hook"), (urls[0], "desk"), (urls[2], "hook"), (urls[2], "desk")]
    assert all(i.startswith(story_store.UPDATE_PREFIX) for _, _, i in sent[2:])
    assert db.execute("SELECT count(*) FROM hits").fetchone()[0] == 4

    ref = story_queries.story_ref(db, urls[0])
    assert ref is not None and (ref.size, ref.update) == (4, False)
    assert ref.outlets == tuple(f"outlet{n}.example" for n in range(4))
    update_delivery = db.execute("SELECT delivery_id FROM story_updates LIMIT 1").fetchone()[0]
    updated = story_queries.story_ref(db, urls[2], update_delivery)
    assert updated is not None and updated.update


def test_a_topic_new_to_the_story_still_alerts(db) -> None:  # type: ignore[no-untyped-def]
    add_article(db, "https://a.example/x", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook_and_desk)
    ports = (Match(topic_id="ports", score=1.0, terms=("port",)),)
    later = add_article(db, "https://b.example/x", TARTUS_WITHDRAWAL, matches=HIT + ports, channels_for=hook_and_desk)
    assert later.joined and later.deliveries == 2  # "ports" on hook and desk; "bases" stays quiet


def test_a_channel_that_did_not_get_the_first_alert_gets_the_member(db) -> None:  # type: ignore[no-untyped-def]
    add_article(db, "https://a.example/x", TARTUS_WITHDRAWAL, matches=HIT, channels_for=lambda t, s: ["hook"])
    later = add_article(db, "https://b.example/x", TARTUS_WITHDRAWAL, matches=HIT, channels_for=hook_and_desk)
    assert later.deliveries == 1 and later.suppressed == [("bases", "hook")]


def test_list_stories_filters_by_topic_and_size(db) -> None:  # type: ignore[no-untyped-def]
    add_article(db, "https://a.example/x", TARTUS_WITHDRAWAL, matches=HIT, title="Frigates leave Tartus")
    add_article(db, "https://b.example/x", TARTUS_WITHDRAWAL, matches=HIT)
    add_article(db, "https://c.example/y", "An unrelated story about a football match in Madrid. " * 5)
    rows = story_queries.list_stories(db)
    assert (rows[0].size, rows[0].outlets, rows[0].title) == (2, ("a.example", "b.example"), "Frigates leave Tartus")
    assert len(rows) == 2
    assert [r.size for r in story_queries.list_stories(db, topic="bases")] == [2]
    assert [r.size for r in story_queries.list_stories(db, min_size=2)] == [2]


def test_update_channels_follow_routes() -> None:
    routes = [
        RouteConfig(topics=["*"], channels=["log"]),
        RouteConfig(topics=["bases"], channels=["hook"], story_updates=5),
    ]
    settings = with_routes(routes)
    assert settings.update_channels("bases", 4) == []
    assert settings.update_channels("bases", 5) == ["hook"]
    assert settings.update_channels("ports", 9) == []
