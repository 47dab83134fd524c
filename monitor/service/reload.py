"""Config reload (SIGHUP): re-read and validate the config into a whole new Runtime, or refuse it.

Nothing here touches the running daemon: ``reloaded_runtime`` returns the next Runtime and ``SourceChanges`` says
which sources keep their schedule; the daemon swaps it in (monitor.daemon.Service.reload).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from monitor import store
from monitor.config import Settings, load_config
from monitor.errors import ConfigError
from monitor.marks import topic_marks_for
from monitor.match import Matcher, validate_topics
from monitor.runtime import Runtime

log = logging.getLogger("monitor.daemon")

# fetch settings that only decide when sources are polled: applied by a reload.
_SCHEDULING = ("adaptive_intervals", "min_interval", "max_interval", "max_backoff")


def reloaded_runtime(rt: Runtime) -> Runtime:
    """Return a new Runtime for the config file as it is now, sharing ``rt``'s database, client and limiter.

    Settings that built those at start (database, fetch except scheduling, user_agent, health) keep their running
    values, with a warning, so the new Runtime's settings say what is in force. Raises ConfigError when the file
    is invalid or a topic does not compile.
    """
    old = rt.settings
    new = load_config(old.path)
    errors = validate_topics(new.topics)
    if errors:
        raise ConfigError([str(e) for e in errors])
    matcher = Matcher(new.topics, marks=topic_marks_for(new.topics, rt.db))
    return replace(
        rt, settings=_kept_at_start(old, new), matcher=matcher, topic_titles={t.id: t.title for t in new.topics}
    )


def _kept_at_start(old: Settings, new: Settings) -> Settings:
    """Return ``new`` with the settings that take effect only at restart put back to ``old``'s."""
    if new.database != old.database:
        log.warning(
            "database changed to %s: takes effect at restart; still using %s",
            store.database_name(new.database),
            store.database_name(old.database),
        )
    # The scheduling settings are read at every poll and re-plan the schedule now; the rest of fetch built the
    # client and limiter at start.
    fetch = old.fetch.model_copy(update={key: getattr(new.fetch, key) for key in _SCHEDULING})
    if fetch != new.fetch or new.health != old.health or new.user_agent != old.user_agent:
        log.warning(
            "fetch (except %s), user_agent and health settings change at restart; the rest is applied now",
            ", ".join(_SCHEDULING),
        )
    return replace(new, database=old.database, fetch=fetch, health=old.health, user_agent=old.user_agent)


@dataclass(frozen=True, slots=True)
class SourceChanges:
    """How the sources of two configs differ, by source id."""

    unchanged: frozenset[str]
    added: frozenset[str]
    removed: frozenset[str]
    changed: frozenset[str]

    @property
    def fresh(self) -> frozenset[str]:
        """Sources to poll within seconds: added or changed."""
        return self.added | self.changed


def source_changes(old: Settings, new: Settings) -> SourceChanges:
    """Compare the sources of ``old`` and ``new``."""
    before = {s.id: s for s in old.sources}
    after = {s.id: s for s in new.sources}
    unchanged = frozenset(sid for sid, s in after.items() if before.get(sid) == s)
    added = frozenset(after.keys() - before.keys())
    return SourceChanges(
        unchanged=unchanged,
        added=added,
        removed=frozenset(before.keys() - after.keys()),
        changed=frozenset(after.keys() - unchanged - added),
    )
