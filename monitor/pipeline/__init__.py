"""The only place that knows the order fetch → parse → extract → match → store → notify.

Every function here takes the ``Runtime`` (what the stages need: settings, database, HTTP client, matcher, clock;
monitor.runtime) and a ``CycleStats`` it adds its counts to. A failing source or entry is recorded and counted,
never raised. ``sources`` reads a source, ``items`` picks the entries to process, ``entries`` processes one,
``stories`` places an article in the story index, ``polls`` ties them together per source.
"""

from monitor.pipeline.entries import article_for, bounded, canonical_url, process_entry, revise_article
from monitor.pipeline.items import entry_key, newest_first, select_entries
from monitor.pipeline.polls import PollPlan, next_poll_time, plan_next_poll, planned_polls, poll_all, poll_source
from monitor.pipeline.sources import SourceProbe, SourceRead, guard_found_url, probe_source
from monitor.pipeline.stories import backfill_stories, place

__all__ = [
    "PollPlan",
    "SourceProbe",
    "SourceRead",
    "article_for",
    "backfill_stories",
    "bounded",
    "canonical_url",
    "entry_key",
    "guard_found_url",
    "newest_first",
    "next_poll_time",
    "place",
    "plan_next_poll",
    "planned_polls",
    "poll_all",
    "poll_source",
    "probe_source",
    "process_entry",
    "revise_article",
    "select_entries",
]
