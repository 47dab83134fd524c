"""The alert decision as a pure function: matches, routes and a story's state in, planned deliveries out (no db)."""

from __future__ import annotations

from monitor.models import Match
from monitor.pipeline.alerts import plan_hits
from monitor.store.deliveries import AlertIntent, UpdateIntent, alert_id
from monitor.store.stories import StoryState, story_update_id

URL = "https://one.example/tartus"
BASES = Match(topic_id="bases", score=2.0, terms=("tartus",))
PORTS = Match(topic_id="ports", score=0.5, terms=("port",))


def routes(topic: str, score: float) -> list[str]:
    return ["hook", "desk"] if score >= 1 else ["desk"]


def updates(topic: str, outlets: int) -> list[str]:
    return ["hook", "desk"] if outlets >= 3 else []


def test_a_new_story_alerts_every_routed_channel_of_every_topic() -> None:
    plan = plan_hits(URL, [BASES, PORTS], {"bases": "Bases"}, channels_for=routes, updates_for=updates)
    assert plan.alerts == (
        AlertIntent("bases", "hook", alert_id("bases", URL, "hook")),
        AlertIntent("bases", "desk", alert_id("bases", URL, "desk")),
        AlertIntent("ports", "desk", alert_id("ports", URL, "desk")),
    )
    assert (plan.updates, plan.suppressed) == ((), ())
    assert (plan.matches, dict(plan.topic_titles)) == ((BASES, PORTS), {"bases": "Bases"})


def test_a_topic_and_channel_the_story_alerted_is_suppressed_and_the_rest_alert() -> None:
    story = StoryState(story_id=7, alerted=frozenset({("bases", "hook")}), outlets=2)
    plan = plan_hits(URL, [BASES], {}, channels_for=routes, story=story, updates_for=updates)
    assert plan.alerts == (AlertIntent("bases", "desk", alert_id("bases", URL, "desk")),)
    assert plan.suppressed == (("bases", "hook"),)
    assert plan.updates == ()  # two outlets: below the route's three


def test_a_story_reaching_the_routes_outlets_updates_only_where_it_alerted() -> None:
    story = StoryState(story_id=7, alerted=frozenset({("bases", "hook")}), outlets=3)
    plan = plan_hits(URL, [BASES], {}, channels_for=routes, story=story, updates_for=updates)
    assert plan.updates == (UpdateIntent("bases", "hook", story_update_id(7, "bases", "hook")),)


def test_no_update_without_an_updates_rule_or_for_a_new_story() -> None:
    alerted = StoryState(story_id=7, alerted=frozenset({("bases", "hook")}), outlets=9)
    assert plan_hits(URL, [BASES], {}, channels_for=routes, story=alerted).updates == ()
    fresh = StoryState(outlets=9)
    assert plan_hits(URL, [BASES], {}, channels_for=routes, story=fresh, updates_for=updates).updates == ()


def test_alert_ids_are_stable_per_topic_article_and_channel() -> None:
    first = plan_hits(URL, [BASES], {}, channels_for=routes)
    again = plan_hits(URL, [BASES], {}, channels_for=routes)
    other = plan_hits("https://two.example/tartus", [BASES], {}, channels_for=routes)
    assert first.alerts == again.alerts
    assert {a.alert_id for a in first.alerts}.isdisjoint(a.alert_id for a in other.alerts)
