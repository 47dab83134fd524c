"""Which alerts a new article sends: decided as values from its matches, its routes and its story, before any write.

Like lemon24/reader's ``Decider``: no database and no clock here. The pipeline reads what the decision needs
(``stories.story_state``), calls ``plan_hits``, and hands the plan to the store, which writes it and returns what was
new. The store's UNIQUE index on (story, topic, channel) guards the decision against a writer that queued an alert of
the same story after the read: that alert is refused there, not sent twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from monitor.models import Match
from monitor.store.deliveries import AlertIntent, HitPlan, UpdateIntent, alert_id
from monitor.store.stories import StoryState, story_update_id

# (topic, score) -> the channels its routes send a hit to; (topic, outlets) -> those wanting a story update.
ChannelsFor = Callable[[str, float], Sequence[str]]
UpdatesFor = Callable[[str, int], Sequence[str]]


def plan_hits(
    url: str,
    matches: Sequence[Match],
    topic_titles: Mapping[str, str],
    *,
    channels_for: ChannelsFor,
    story: StoryState | None = None,
    updates_for: UpdatesFor | None = None,
) -> HitPlan:
    """Return the hits of the article at ``url`` with their deliveries: one alert per routed channel, except where
    its story already alerted the topic there (suppressed); there, once the story has enough outlets for a route's
    ``story_updates``, one story-update alert instead.
    """
    story = story or StoryState()
    alerts: list[AlertIntent] = []
    updates: list[UpdateIntent] = []
    suppressed: list[tuple[str, str]] = []
    for match in matches:
        topic = match.topic_id
        for channel in channels_for(topic, match.score):
            if (topic, channel) in story.alerted:
                suppressed.append((topic, channel))
            else:
                alerts.append(AlertIntent(topic, channel, alert_id(topic, url, channel)))
        if story.story_id is None or updates_for is None:
            continue
        for channel in updates_for(topic, story.outlets):
            if (topic, channel) in story.alerted:  # the story never alerted there: nothing to update
                updates.append(UpdateIntent(topic, channel, story_update_id(story.story_id, topic, channel)))
    return HitPlan(tuple(matches), dict(topic_titles), tuple(alerts), tuple(updates), tuple(suppressed))
