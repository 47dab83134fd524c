"""The config file's models (pydantic, frozen, unknown keys refused) and the resolved Settings."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from monitor.models import Semantic, Topic

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_TOPIC_ID = r"^[a-z0-9][a-z0-9._-]*$"
ID_PATTERN = _TOPIC_ID  # ids of topics, channels and sources (error messages explain it)
# The topic of alerts about the monitor itself; routed only by routes that name it (never by "*").
HEALTH_TOPIC = "monitor.health"


def parse_duration(value: Any) -> float:
    """Return seconds for ``30s``, ``10m``, ``2h``, ``1d`` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m or 2h")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        found = _DURATION.match(str(value))
        if not found:
            raise ValueError(f"invalid duration {value!r}: use a number with s, m, h or d, e.g. 10m")
        seconds = float(found.group(1)) * _DURATION_UNITS[found.group(2)]
    if seconds <= 0:
        raise ValueError("duration must be positive")
    return seconds


def parse_size(value: Any) -> int:
    """Return bytes for ``5MB``, ``512KiB`` or a bare number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        found = _SIZE.match(str(value))
        if not found:
            raise ValueError(f"invalid size {value!r}: use e.g. 512KB, 5MB or 1GiB")
        size = int(float(found.group(1)) * _SIZE_UNITS[(found.group(2) or "b").lower()])
    if size <= 0:
        raise ValueError("size must be positive")
    return size


# The JSON Schema says what the YAML may hold (editors validate against it), not the float or int it becomes.
_DURATION_TEXT = {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"}
_DURATION_SCHEMA = {
    "anyOf": [{"type": "number", "exclusiveMinimum": 0}, _DURATION_TEXT],
    "examples": ["30s", "10m", "2h"],
}
_DELAY_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0}, _DURATION_TEXT], "examples": ["0", "500ms", "1s"]}
_SIZE_SCHEMA = {
    "anyOf": [
        {"type": "integer", "exclusiveMinimum": 0},
        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*([bB]|[kKmMgG][iI]?[bB])?\s*$"},
    ],
    "examples": ["512KB", "5MB", "1GiB"],
}

Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_SCHEMA)]
# A duration that may be zero ("0" or "0s" turns a delay off).
Delay = Annotated[
    float,
    BeforeValidator(lambda v: 0.0 if str(v).strip() in ("0", "0s", "0.0") else parse_duration(v)),
    WithJsonSchema(_DELAY_SCHEMA),
]
ByteSize = Annotated[int, BeforeValidator(parse_size), WithJsonSchema(_SIZE_SCHEMA)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FetchSettings(_Model):
    """HTTP behaviour shared by every source."""

    timeout: Duration = 20.0
    concurrency: int = Field(32, ge=1, le=1000)
    per_host: int = Field(2, ge=1, le=100)
    max_bytes: ByteSize = 5_000_000
    allow_private_networks: bool = False
    fetch_articles: bool = True
    min_delay: Delay = Field(
        1.0, description="minimum time between two article-page requests to one host (0 turns it off)"
    )
    robots_txt: bool = Field(True, description="obey robots.txt (our user_agent) for article pages")
    adaptive_intervals: bool = Field(True, description="poll each source about once per its publishing gap")
    min_interval: Duration = Field(120.0, description="shortest adaptive interval")
    max_interval: Duration = Field(7200.0, description="longest adaptive interval; caps feed ttl hints too")
    max_backoff: Duration = Field(21600.0, description="longest wait between polls of a failing source")


class Defaults(_Model):
    """Defaults applied to every source that does not set its own."""

    interval: Duration = Field(600.0, description="where adaptive polling starts for a source without its own interval")


SourceType = Literal["feed", "sitemap", "page", "telegram", "googlenews", "gdelt"]
# Which keys a source type reads besides name, id, interval and fetch_pages (the rest would be silently ignored).
_TYPE_KEYS: dict[str, frozenset[str]] = {
    "feed": frozenset({"url"}),
    "sitemap": frozenset({"url"}),
    "page": frozenset({"url", "selector"}),
    "telegram": frozenset({"url", "channel"}),
    "googlenews": frozenset({"url", "query", "hl", "gl"}),
    "gdelt": frozenset({"url", "query", "sourcelang", "sourcecountry", "timespan"}),
}


class SourceConfig(_Model):
    """One source to poll: a feed (or a page announcing one, or a YouTube, Mastodon or Bluesky profile), a news
    sitemap, a listing page, a public Telegram channel, a Google News search or a GDELT query."""

    name: str = Field(min_length=1)
    url: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="the feed, sitemap or page; for telegram, googlenews and gdelt an optional address replacing"
        " the public one (t.me/NAME, a mirror, a test server)",
    )
    id: str | None = Field(None, pattern=_TOPIC_ID)
    interval: Duration | None = Field(
        None, description="poll at least this often (a busy feed may be polled more often); default: adaptive"
    )
    type: SourceType = Field(
        "feed",
        description="feed (RSS/Atom/JSON, or an HTML page announcing one), sitemap (news sitemap), page (listing),"
        " telegram (public channel), googlenews (search feed of headlines) or gdelt (DOC 2.0 article search)",
    )
    selector: str | None = Field(None, min_length=1, description="type page: CSS selector of the article links")
    channel: str | None = Field(
        None, pattern=r"^@?[A-Za-z0-9_]{3,64}$", description="type telegram: the channel's public name"
    )
    query: str | None = Field(None, min_length=1, description="type googlenews and gdelt: the search query")
    hl: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="type googlenews: interface language, e.g. en-US, ru, ar",
    )
    gl: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="type googlenews: country edition, e.g. US")
    sourcelang: str | None = Field(
        None, pattern=r"^[A-Za-z]+$", description="type gdelt: only articles in this language, e.g. russian, arabic"
    )
    sourcecountry: str | None = Field(
        None, pattern=r"^[A-Za-z]+$", description="type gdelt: only outlets of this country, e.g. syria, RS"
    )
    timespan: str | None = Field(
        None,
        pattern=r"^\d+(min|h|d|w|m)$",
        description="type gdelt: how far back each query looks, e.g. 24h, 1d, 1w (default 1d)",
    )
    fetch_pages: bool | None = Field(
        None,
        description="fetch each item's page for its full text (default: yes, but never for telegram, whose posts"
        " are the text, nor googlenews, whose links are opaque redirects)",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _url_required(cls, data: Any, handler: ModelWrapValidatorHandler[SourceConfig]) -> SourceConfig:
        """Report a feed, sitemap or page without a url as a missing key, beside the source's other errors."""
        url_needed = isinstance(data, dict) and data.get("type", "feed") in ("feed", "sitemap", "page")
        if not url_needed or "url" in data:
            return handler(data)
        missing: list[InitErrorDetails] = [{"type": "missing", "loc": ("url",), "input": data}]
        try:
            handler(data)
        except ValidationError as exc:
            missing = [*exc.errors(include_url=False), *missing]  # type: ignore[list-item]
        raise ValidationError.from_exception_data(cls.__name__, missing)

    @model_validator(mode="after")
    def _keys_fit_type(self) -> SourceConfig:
        allowed = _TYPE_KEYS[self.type]
        stray = sorted(k for k in set().union(*_TYPE_KEYS.values()) - allowed if getattr(self, k) is not None)
        if stray:
            raise ValueError(f"type {self.type} does not use {', '.join(stray)}")
        if self.type == "telegram" and self.channel is None and self.url is None:
            raise ValueError("type telegram needs a channel (its public name) or its t.me URL")
        if self.type in ("googlenews", "gdelt") and self.query is None and self.url is None:
            raise ValueError(f"type {self.type} needs a query")
        return self


class OpmlSourceConfig(_Model):
    """Every feed listed in an OPML file (path relative to the config file)."""

    opml: str
    interval: Duration | None = None


class SemanticSettings(_Model):
    """How close by meaning an article must be to hit (with the optional extra ``semantic``)."""

    min_similarity: float = Field(
        0.86, ge=0, le=1, description="cosine similarity of headline + lead to about/examples; see monitor calibrate"
    )


class TopicConfig(_Model):
    """A watch-topic, inline in the config or alone in a topic file."""

    id: str = Field(pattern=_TOPIC_ID)
    title: str = Field(min_length=1)
    query: str = Field(min_length=1)
    description: str = ""
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    min_score: float = Field(0.0, ge=0)
    about: str = Field("", description="what the topic means, in a sentence or two (any language)")
    examples: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="on-topic texts (a headline and a few sentences each)"
    )
    counter_examples: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="look-alike texts that are not on topic"
    )
    semantic: SemanticSettings | None = None
    must: str | None = Field(None, min_length=1, description="boolean query a hit by meaning must also match")

    @field_validator("counter_examples", "semantic", "must")
    @classmethod
    def _meaning_needs_about_or_examples(cls, value: Any, info: ValidationInfo) -> Any:
        # about and examples are declared first, so they are in info.data by now (unless they failed).
        if value and not (str(info.data.get("about", "")).strip() or info.data.get("examples")):
            raise ValueError(f"{info.field_name} needs about: or examples: to say what the topic means")
        return value

    def meaning(self) -> Semantic | None:
        """Return the topic's meaning for the matcher, or None when it has neither about nor examples."""
        if not (self.about.strip() or self.examples):
            return None
        return Semantic(
            about=" ".join(self.about.split()),
            examples=tuple(self.examples),
            counter_examples=tuple(self.counter_examples),
            min_similarity=(self.semantic or SemanticSettings()).min_similarity,
            must=self.must,
        )


class _Channel(_Model):
    """What every channel shares: how many sends run at once and how long a failing delivery is retried."""

    concurrency: int = Field(4, ge=1, le=64, description="deliveries in flight at once on this channel")
    give_up_after: Duration = Field(86400.0, description="retry a failing delivery this long, then dead-letter it")


WebhookFormat = Literal["standard", "slack", "discord", "teams", "mattermost"]


class WebhookChannel(_Channel):
    """POST a signed JSON body (Standard Webhooks) to ``url``, or a chat service's incoming-webhook format."""

    id: str = Field(pattern=_TOPIC_ID)
    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://\S+$")
    secret: str | list[str] | None = Field(
        None,
        description="whsec_... signing secret, or a list while rotating (each signs); use ${VAR} for the environment",
    )
    format: WebhookFormat = "standard"
    timeout: Duration = 10.0

    @property
    def secrets(self) -> list[str]:
        """Return every signing secret, newest first."""
        listed = [self.secret] if isinstance(self.secret, str) else self.secret or []
        return [s for s in listed if s]  # an empty ${VAR} means "unsigned", not a signature with an empty key


_LOOPBACK_HOSTS = re.compile(r"^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$", re.IGNORECASE)


class SmtpSettings(_Model):
    """How to reach the mail server."""

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool | Literal["auto"] = Field(
        "auto",
        description="auto: use STARTTLS whenever the server offers it, and insist on it when a username or password"
        " is set; true: insist on it; false: plain SMTP (a local relay)",
    )
    ssl: bool = Field(False, description="implicit TLS from the first byte (port 465)")
    username: str | None = None
    password: str | None = None
    timeout: Duration = 30.0

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> SmtpSettings:
        # A password may cross the loopback interface in clear, never a network.
        clear = self.starttls is False and not self.ssl and bool(self.username or self.password)
        if clear and not _LOOPBACK_HOSTS.match(self.host):
            raise ValueError(
                f"starttls: false would send the SMTP login to {self.host} in clear: use starttls: auto (or"
                " true), or ssl: true on port 465"
            )
        return self

    @property
    def start_tls(self) -> bool | None:
        """Return aiosmtplib's ``start_tls``: True insist, False never, None when offered."""
        if self.ssl:
            return False  # the connection is TLS already
        if self.starttls == "auto":
            return True if self.username or self.password else None
        return self.starttls


class EmailChannel(_Channel):
    """Send one multipart email per hit (or one per digest)."""

    id: str = Field(pattern=_TOPIC_ID)
    type: Literal["email"]
    from_: str = Field(
        alias="from",
        pattern=r"^([^@\s]+@[^@\s]+|[^<>@]*<[^@\s<>]+@[^@\s<>]+>)$",
        description="the sender: monitor@example.org, or with a name: 'Монитор <monitor@example.org>'",
    )
    to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(min_length=1)
    smtp: SmtpSettings
    list_id: str | None = Field(None, description="List-Id header, e.g. 'Monitor alerts <alerts.example.org>'")
    unsubscribe: str | None = Field(None, description="List-Unsubscribe target: a mailto: or https: URL")
    templates: str | None = Field(None, description="folder (relative to the config file) overriding email templates")


class LogChannel(_Channel):
    """Write each alert to the daemon's log."""

    id: str = Field(pattern=_TOPIC_ID)
    type: Literal["log"]


def _source_kind(value: Any) -> str:
    return "opml-source" if isinstance(value, dict) and "opml" in value else "feed-source"


def _topic_kind(value: Any) -> str:
    return "topic-file" if isinstance(value, str) else "topic-inline"


# Tags let pydantic report errors of the one branch that applies instead of every branch of a union.
SourceEntry = Annotated[
    Annotated[SourceConfig, Tag("feed-source")] | Annotated[OpmlSourceConfig, Tag("opml-source")],
    Discriminator(_source_kind),
]
TopicEntry = Annotated[
    Annotated[str, Tag("topic-file")] | Annotated[TopicConfig, Tag("topic-inline")], Discriminator(_topic_kind)
]
UNION_TAGS = {"feed-source", "opml-source", "topic-file", "topic-inline", "webhook", "email", "log"}

ChannelConfig = Annotated[WebhookChannel | EmailChannel | LogChannel, Field(discriminator="type")]


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    CronTrigger.from_crontab(value, timezone="UTC")  # raises ValueError naming the bad field
    return value


def _check_quiet_hours(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"invalid quiet_hours {value!r}: use HH:MM-HH:MM, e.g. 22:00-07:00")
    return value


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r}: use an IANA name such as Europe/Berlin") from None
    return value


class RouteConfig(_Model):
    """Send hits of ``topics`` (ids, or "*" for all) to ``channels``, instantly or gathered into digests."""

    id: str | None = Field(
        None,
        min_length=1,
        description="a stable name for the route; by default its key is derived from its topics, channels and filters",
    )
    topics: list[str] = Field(min_length=1)
    channels: list[str] = Field(min_length=1)
    min_score: float | None = Field(None, ge=0)
    languages: list[str] | None = Field(None, description="only articles in these languages (ISO 639-1)")
    sources: list[str] | None = Field(None, description="only articles from these sources (names or ids)")
    digest: Annotated[str, AfterValidator(_check_cron)] | None = Field(
        None, description="CRON (e.g. '0 7 * * *'): gather hits into one message per channel at these times"
    )
    quiet_hours: Annotated[str, AfterValidator(_check_quiet_hours)] | None = Field(
        None, description="HH:MM-HH:MM: alerts inside are held and sent as one digest when the quiet hours end"
    )
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "UTC"
    max_per_hour: int | None = Field(None, ge=1, description="beyond this, alerts fold into a digest")
    spike: bool = Field(False, description="also alert when a topic's hourly hits are far above its baseline")
    story_updates: int | None = Field(
        None, ge=2, description="send one update alert when a story reaches this many outlets"
    )

    def accepts(self, topic_id: str, score: float, language: str | None, source: tuple[str, ...]) -> bool:
        """Return True when a hit on ``topic_id`` passes this route's filters (``source``: its id and name)."""
        return self.refusal(topic_id, score, language, source) is None

    @property
    def key(self) -> str:
        """Return the route's stable identity, stored with the deliveries it decides: its ``id``, or a hash of what
        it selects and where it sends, so reordering routes (or changing only their timing) keeps it.

        Two routes with the same topics, channels and filters share a key, harmlessly: the first always decides.
        """
        if self.id is not None:
            return self.id
        what = {
            "topics": sorted(self.topics),
            "channels": sorted(self.channels),
            "min_score": self.min_score,
            "languages": sorted(self.languages) if self.languages is not None else None,
            "sources": sorted(self.sources) if self.sources is not None else None,
        }
        return "route-" + hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:12]

    def covers(self, topic_id: str) -> bool:
        """Return True when this route names ``topic_id``; "*" covers every topic but the monitor's own."""
        if topic_id == HEALTH_TOPIC:
            return HEALTH_TOPIC in self.topics  # a catch-all is for articles
        return "*" in self.topics or topic_id in self.topics

    def refusal(self, topic_id: str, score: float, language: str | None, source: tuple[str, ...]) -> str | None:
        """Return which of this route's filters a hit fails, in words, or None when the route takes it."""
        if not self.covers(topic_id):
            return f"topic {topic_id} is not in topics {self.topics}"
        if self.min_score is not None and score < self.min_score:
            return f"score {score:g} is below min_score {self.min_score:g}"
        if self.languages is not None and (language or "") not in self.languages:
            return f"language {language or 'unknown'} is not in languages {self.languages}"
        if self.sources is not None and not any(s in self.sources for s in source):
            return f"source {source[-1] if source else '?'} is not in sources {self.sources}"
        return None

    def timing(self) -> str:
        """Return when this route sends what it takes, in words."""
        parts = [f"digest at '{self.digest}' ({self.timezone})" if self.digest else "instant"]
        if self.quiet_hours:
            parts.append(f"held during quiet hours {self.quiet_hours} ({self.timezone})")
        if self.max_per_hour:
            parts.append(f"beyond {self.max_per_hour} an hour folded into a digest")
        return ", ".join(parts)


class HealthSettings(_Model):
    """The health and metrics HTTP endpoint (/healthz, /metrics); off unless enabled."""

    enabled: bool = False
    listen: str = Field("127.0.0.1:9464", pattern=r"^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$")
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="where alert readers reach this server (behind a proxy); feedback links under alerts point here."
        " Default: http:// and the listen address",
    )
    feedback_links: bool = Field(True, description="relevant / not relevant links under alerts (needs enabled)")

    def base_url(self) -> str:
        """Return the URL alert readers open feedback links at."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host, _, port = self.listen.rpartition(":")
        if host in ("0.0.0.0", "[::]", ""):
            import socket

            host = socket.gethostname()
        return f"http://{host}:{port}"


class RetentionSettings(_Model):
    """How long stored articles and hits are kept; pruned daily (an article with a hit lives as long as the hit)."""

    articles: Duration = 90 * 86400.0
    hits: Duration = 365 * 86400.0


class MetaAlertSettings(_Model):
    """Alerts about the monitor itself, sent under the topic ``monitor.health`` to routes that name it."""

    source_failures: int = Field(5, ge=1, description="alert when a source has failed this many polls in a row")
    source_silent: Duration = Field(
        2 * 86400.0, description="alert when a source that published before has had no new item this long"
    )
    channel_failures: int = Field(3, ge=1, description="alert when this many sends in a row failed on a channel")
    database_max: ByteSize | None = Field(None, description="alert when the database (with its WAL) grows past this")
    remind_every: Duration = Field(86400.0, description="repeat an alert that is still true this often")


class SpikeSettings(_Model):
    """When a topic's last hour counts as a spike (for routes with ``spike: true``)."""

    factor: float = Field(4.0, gt=1, description="last hour's hits at least this many times the hourly baseline")
    min_hits: int = Field(5, ge=1, description="and at least this many hits in the last hour")
    baseline: Duration = Field(14 * 86400.0, description="the baseline is the hourly mean over this period")
    cooldown: Duration = Field(4 * 3600.0, description="at most one spike alert per topic this often")


class AcrossLanguages(_Model):
    """Reports of one event in different languages join one story (so a story alerts once, not once per language)
    when their headline-and-lead vectors are close, published near in time and they share a topic.

    ``auto`` uses the model only when it is loaded anyway (some topic matches by meaning and the extra 'semantic'
    is installed); ``true`` loads it for this alone. Within a language MinHash groups stories, as without this.
    The defaults were tuned in benchmarks/crosslang.py for pair precision near 0.95 (README.md, Benchmarks).
    """

    enabled: Literal["auto"] | bool = Field("auto", description="auto: on when topics match by meaning")
    min_similarity: float = Field(
        0.85, ge=0.5, le=1.0, description="cosine of the leads at or above which two articles may be one event"
    )
    min_margin: float = Field(
        0.01, ge=0.0, le=0.5, description="the chosen story must be this much closer than any other story"
    )
    window: Duration = Field(12 * 3600.0, description="only articles published this close in time are compared")


class StorySettings(_Model):
    """How articles group into stories (one event reported by several outlets)."""

    across_languages: AcrossLanguages = Field(default_factory=AcrossLanguages)


class LogSettings(_Model):
    """Log output: ``auto`` is JSON lines when stderr is not a terminal, readable text when it is."""

    format: Literal["auto", "json", "text"] = "auto"


class ConfigFile(_Model):
    """The whole config file (the schema users and editors see)."""

    database: str = Field(
        "data/monitor.db",
        description="SQLite file (relative to this config) or postgresql://user@host/dbname (e.g. ${DATABASE_URL})",
    )
    user_agent: str = "monitor/0.1 (+https://github.com/monitor-news/monitor)"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    defaults: Defaults = Field(default_factory=Defaults)
    sources: list[SourceEntry] = Field(default_factory=list)
    topics: list[TopicEntry] = Field(default_factory=list)
    channels: list[ChannelConfig] = Field(default_factory=list)
    routes: list[RouteConfig] = Field(default_factory=list)
    health: HealthSettings = Field(default_factory=HealthSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    meta_alerts: MetaAlertSettings = Field(default_factory=MetaAlertSettings)
    spikes: SpikeSettings = Field(default_factory=SpikeSettings)
    stories: StorySettings = Field(default_factory=StorySettings)
    lease: Duration = Field(
        60.0,
        description="several daemons on one PostgreSQL database: how long a daemon's hold on a source, a send or a"
        " periodic job lasts unless renewed, so a dead daemon's work is taken over after this",
    )


@dataclass(frozen=True, slots=True)
class Source:
    """A source ready to poll: ``id`` is stable for a URL and keys its state in the database."""

    id: str
    name: str
    url: str
    interval: float
    type: str = "feed"  # feed | sitemap | page | telegram | googlenews | gdelt
    selector: str | None = None  # type page: CSS selector of the article links
    fetch_pages: bool = True  # False: the item's own text (a Telegram post, a headline) is the article
    # The source (or its OPML entry) sets ``interval`` itself: a ceiling adaptive polling never exceeds.
    # Otherwise ``defaults.interval`` is only where adaptive polling starts.
    interval_explicit: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    """The validated config with paths resolved, OPML expanded and topic files loaded."""

    path: Path
    database: Path | str  # a SQLite file, or a database server's URL (postgresql://...)
    user_agent: str
    log_level: str
    fetch: FetchSettings
    sources: tuple[Source, ...]
    topics: tuple[Topic, ...]
    channels: Mapping[str, WebhookChannel | EmailChannel | LogChannel]
    routes: tuple[RouteConfig, ...]
    health: HealthSettings = field(default_factory=HealthSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    log: LogSettings = field(default_factory=LogSettings)
    meta_alerts: MetaAlertSettings = field(default_factory=MetaAlertSettings)
    spikes: SpikeSettings = field(default_factory=SpikeSettings)
    stories: StorySettings = field(default_factory=StorySettings)
    lease: float = 60.0

    @property
    def database_file(self) -> Path | None:
        """Return the SQLite file, or None when the database is a server (files, locks and sizes do not apply)."""
        return self.database if isinstance(self.database, Path) else None

    def channels_for(
        self, topic_id: str, score: float, *, language: str | None = None, source: tuple[str, ...] = ()
    ) -> list[str]:
        """Return the channel ids a hit on ``topic_id`` with ``score`` goes to, each once, in route order."""
        return self.channels_where(lambda route: route.accepts(topic_id, score, language, source))

    def update_channels(self, topic_id: str, outlets: int) -> list[str]:
        """Return the channels that want a story-update alert for ``topic_id`` once a story has ``outlets`` outlets."""
        return self.channels_where(
            lambda route: route.story_updates is not None and outlets >= route.story_updates and route.covers(topic_id)
        )

    def notice_channels(self, topic_id: str, *, spike: bool) -> list[str]:
        """Return the channels a notice goes to: a spike on ``topic_id``, or the monitor's own health."""
        if spike:
            return self.channels_where(lambda r: r.spike and topic_id != HEALTH_TOPIC and r.covers(topic_id))
        return self.channels_where(lambda route: route.covers(HEALTH_TOPIC))

    def channels_where(self, wanted: Callable[[RouteConfig], bool]) -> list[str]:
        """Return the channels of the routes ``wanted`` picks, each once, in route order: the one route matcher."""
        found: list[str] = []
        for route in self.routes:
            if wanted(route):
                found.extend(c for c in route.channels if c not in found)
        return found

    def route_for(
        self, channel_id: str, topic_id: str, score: float, language: str | None, source: tuple[str, ...]
    ) -> RouteConfig | None:
        """Return the first route that sends this hit to ``channel_id``: it decides when it goes."""
        for route in self.routes:
            if channel_id in route.channels and route.accepts(topic_id, score, language, source):
                return route
        return None


def config_schema() -> dict[str, Any]:
    """Return the JSON Schema of the config file."""
    schema = ConfigFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "monitor config"
    return schema


def source_id(url: str) -> str:
    """Return the stable id of a source derived from its URL."""
    return "src-" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:12]
