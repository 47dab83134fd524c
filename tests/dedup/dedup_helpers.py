"""Put articles through the dedup stage and the story store the way the pipeline does, without the network."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database

from monitor import dedup
from monitor.models import Article, Match
from monitor.pipeline.alerts import plan_hits
from monitor.store import find_article
from monitor.store import stories as story_store

NOW = datetime(2025, 2, 20, 12, 0, tzinfo=UTC)

# Two different reports about Tartus on the same day: same places, people and vocabulary, different events.
TARTUS_WITHDRAWAL = """Two Russian navy frigates sailed out of the naval base at Tartus on the Syrian coast on Thursday,
satellite images reviewed by analysts showed, as Moscow and the new authorities in Damascus continue talks on the
future of Russia's military presence in Syria.
The departure follows weeks of negotiations over the Tartus naval facility and the Khmeimim air base near Latakia.
Russian officials have said they hope to keep both bases under a new agreement with Syria.
Analysts said the move could be a routine rotation rather than a withdrawal, and that the Kremlin was likely to keep
a smaller footprint at the port while the talks go on."""

TARTUS_CUSTOMS = """Syria's new government cancelled on Thursday the contract that gave a Russian company the right
to run the commercial port of Tartus, the governor of Tartus province told reporters in the city.
The 49-year lease, signed in 2019, had allowed the company to manage the container terminal and collect most of its
revenue. Customs officials said the port would now be run by the state and that revenue would go to the treasury.
Dock workers in Tartus welcomed the decision, saying wages under the Russian operator had fallen behind.
The governor said talks with Moscow about the naval facility, which is separate from the commercial port, were a
matter for the government in Damascus."""


def add_article(
    db: Database,
    url: str,
    text: str,
    *,
    title: str = "A title",
    matches: tuple[Match, ...] = (),
    channels_for: Callable[[str, float], list[str]] = lambda topic, score: [],
    updates_for: Callable[[str, int], list[str]] = lambda topic, outlets: [],
    now: datetime = NOW,
) -> story_store.StorySaved:
    """Store one article in its story; an article already known comes back with ``is_new`` False."""
    url = dedup.canonical_url(url, None)
    outlet, key, sig = dedup.site_of(url), dedup.url_key(url), dedup.signature(text)
    same = find_article(db, url) or story_store.find_same_article(db, key, sig.fingerprint, outlet)
    if same is not None:
        return story_store.StorySaved(same, False)
    candidates = (dedup.Candidate(*c) for c in story_store.story_candidates(db, sig.band_keys()))
    choice = dedup.choose_story(sig, candidates)
    member = story_store.Membership(
        story_id=choice.story_id,
        outlet=outlet,
        url_key=key,
        fingerprint=sig.fingerprint,
        signature=sig.values,
        band_keys=sig.band_keys() if sig.comparable else (),
        similarity=choice.similarity,
    )
    story = story_store.story_state(db, member)
    plan = plan_hits(url, matches, {}, channels_for=channels_for, story=story, updates_for=updates_for)
    return story_store.save_in_story(
        db,
        Article(title=title, text=text, url=url),
        url=url,
        link=url,
        source_id="src",
        item_key=url,
        member=member,
        plan=plan,
        now=now,
    )
