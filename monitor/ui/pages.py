"""The pages of ``monitor ui``: each reads through store, ops and lookup functions and renders one template.

``UiApp.route`` answers ``(method, path)`` with ``(status, content type, body)`` for ``ops.LocalHttpServer``.
Search and explain use the same code as ``monitor search`` and ``monitor explain`` (``monitor.lookup``,
``monitor.match.explain``), so the browser and the terminal give the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2

from monitor.config import Settings, parse_duration
from monitor.errors import QueryError
from monitor.lookup import ScanStats, archive_hits, document, search_topic, source_health
from monitor.match import CompiledTopic, compile_topic
from monitor.match.explain import explain
from monitor.models import Topic
from monitor.notify.render import safe_href
from monitor.ops.http import Response
from monitor.store import Db, list_sources
from monitor.store.archive import get_article
from monitor.store.deliveries import list_deliveries
from monitor.store.hits import recent_hits, topic_summaries
from monitor.store.notices import active_conditions, list_notices
from monitor.store.story_queries import StoryMember, list_stories, story_members
from monitor.ui import charts
from monitor.ui.dates import parse_time, register_filters

HTML = "text/html; charset=utf-8"
CHART_DAYS = 30
SEARCH_LIMIT = 50

# The canned views on the home page (Datasette's canned queries before): where they are and what they show.
VIEWS = (
    ("/hits", "Recent hits", "The newest hits of every topic, or of one: terms, snippets, story, explain."),
    ("/stories", "Stories", "Articles about one event grouped, largest first: outlets and articles over time."),
    ("/search", "Search", "The archive searched with the topic query language, as `monitor search` does."),
    ("/sources", "Source health", "Every source: failures in a row, last success, last error, next poll."),
    ("/deliveries", "Failed deliveries", "Alerts not delivered: see `monitor deliveries retry`."),
    ("/health", "Monitor health", "Conditions about the monitor that are true now, and the newest notices."),
)


class BadRequest(Exception):
    """A parameter the page cannot use: shown to the user with status 400."""


class UiApp:
    """Answer the ui's requests from one open database, the config's topics and a clock."""

    def __init__(self, settings: Settings, db: Db, clock: Callable[[], datetime]) -> None:
        self.settings, self.db, self.clock = settings, db, clock
        self.topics = {t.id: t for t in settings.topics}
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("monitor.ui", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        register_filters(self.env)
        self.env.filters["href"] = lambda url: safe_href(url or "")
        self.pages: dict[str, Callable[[dict[str, str]], tuple[str, dict[str, Any]]]] = {
            "/": self.home,
            "/hits": self.hits,
            "/stories": self.stories,
            "/search": self.search,
            "/explain": self.explain,
            "/sources": self.sources,
            "/deliveries": self.deliveries,
            "/health": self.health,
        }

    def route(self, method: str, target: str) -> Response:
        """Return the response to a GET (or HEAD) of ``target`` (a path with its query string)."""
        parts = urlsplit(target)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path.rstrip("/") or "/"
        if path.startswith("/stories/") and path.removeprefix("/stories/").isdigit():
            params["id"] = path.removeprefix("/stories/")
            page: Callable[[dict[str, str]], tuple[str, dict[str, Any]]] | None = self.story
        else:
            page = self.pages.get(path)
        if page is None:
            return self._render(404, "error.html", {"message": f"No page at {path}."})
        try:
            template, context = page(params)
        except BadRequest as exc:
            return self._render(400, "error.html", {"message": str(exc)})
        return self._render(404 if context.get("missing") else 200, template, context)

    def _render(self, status: int, template: str, context: dict[str, Any]) -> Response:
        body = self.env.get_template(template).render(views=VIEWS, now=self.clock(), **context)
        return status, HTML, body.encode("utf-8")

    # --- pages ---------------------------------------------------------------------------------------------

    def home(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        now = self.clock()
        summaries = topic_summaries(self.db, since=now - timedelta(days=CHART_DAYS), now=now)
        charted = [(s, charts.day_bars(s.per_day, now.date(), CHART_DAYS)) for s in summaries]
        quiet = [t for t in self.settings.topics if t.id not in {s.topic for s in summaries}]
        titles = self._titles()  # the config's titles win: stored ones are as old as the hit
        return "home.html", {"charted": charted, "quiet": quiet, "days": CHART_DAYS, "titles": titles}

    def hits(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        topic = params.get("topic") or None
        since = self._since(params)
        rows = recent_hits(self.db, topic=topic, since=since, limit=self._limit(params, 200))
        return "hits.html", {"rows": rows, "topic": topic, "titles": self._titles(), "since": params.get("since", "")}

    def stories(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        since = params.get("since") or "7d"
        topic = params.get("topic") or None
        rows = list_stories(self.db, since=self._since({"since": since}), topic=topic, limit=self._limit(params, 100))
        return "stories.html", {"rows": rows, "since": since, "topic": params.get("topic", "")}

    def story(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        story_id = int(params["id"])
        members = story_members(self.db, story_id)
        if not members:
            return "error.html", {"message": f"No story #{story_id}.", "missing": True}
        lanes = charts.story_lanes(
            [(m.article_id, m.outlet, parse_time(m.joined_at), f"{m.outlet}: {m.title}") for m in members]
        )
        outlets: dict[str, list[StoryMember]] = {}
        for m in members:
            outlets.setdefault(m.outlet, []).append(m)
        return "story.html", {"story_id": story_id, "members": members, "lanes": lanes, "outlets": outlets}

    def search(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        query = params.get("q", "").strip()
        context: dict[str, Any] = {"q": query, "since": params.get("since", ""), "results": [], "stats": None}
        if not query:
            return "search.html", context
        compiled = self._compile(search_topic(query, self.settings.topics))
        stats = ScanStats()
        found = archive_hits(self.db, compiled, since=self._since(params), newest_first=True, stats=stats)
        limit = self._limit(params, SEARCH_LIMIT)
        context.update(results=list(islice(found, limit)), stats=stats, limit=limit)
        return "search.html", context

    def explain(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        if not params.get("article", "").isdigit():
            raise BadRequest("explain needs an article id: /explain?topic=TOPIC&article=ID (or q=QUERY)")
        article = get_article(self.db, int(params["article"]))
        if article is None:
            return "error.html", {"message": f"No stored article #{params['article']}.", "missing": True}
        if params.get("q"):
            topic = search_topic(params["q"], self.settings.topics)
        elif params.get("topic") in self.topics:
            topic = self.topics[params["topic"]]
        else:
            known = ", ".join(sorted(self.topics)) or "none"
            raise BadRequest(f"Unknown topic {params.get('topic', '')!r}: the config's topics are {known}.")
        result = explain(self._compile(topic), document(article))
        return "explain.html", {"article": article, "topic": topic, "exp": result, "q": params.get("q", "")}

    def sources(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        now = self.clock()
        order = {"disabled": 0, "failing": 1, "silent": 2, "new": 3, "ok": 4}
        rows = sorted(
            ((source_health(r.state, now), r) for r in list_sources(self.db)),
            key=lambda pair: (order[pair[0]], -pair[1].state.consecutive_failures, pair[1].name.lower()),
        )
        return "sources.html", {"rows": rows}

    def deliveries(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        return "deliveries.html", {"rows": list_deliveries(self.db, failed_only=True, limit=200)}

    def health(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        conditions = sorted(active_conditions(self.db).values(), key=lambda c: c.started_at, reverse=True)
        return "health.html", {"conditions": conditions, "notices": list_notices(self.db, limit=100)}

    # --- parameters ------------------------------------------------------------------------------------------

    def _titles(self) -> dict[str, str]:
        return {t.id: t.title for t in self.settings.topics}

    def _since(self, params: dict[str, str]) -> datetime | None:
        value = params.get("since", "").strip()
        if not value:
            return None
        try:
            return self.clock() - timedelta(seconds=parse_duration(value))
        except ValueError as exc:
            raise BadRequest(f"since={value!r}: {exc}") from None

    @staticmethod
    def _limit(params: dict[str, str], default: int) -> int:
        value = params.get("limit", "")
        if not value:
            return default
        if not value.isdigit() or int(value) < 1:
            raise BadRequest(f"limit={value!r}: expected a positive whole number")
        return min(int(value), 1000)

    @staticmethod
    def _compile(topic: Topic) -> CompiledTopic:
        try:
            return compile_topic(topic)
        except QueryError as exc:
            raise BadRequest(str(exc)) from None
