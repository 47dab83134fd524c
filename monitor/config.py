"""Load and validate the YAML config into frozen settings; every error names file, line and key."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from xml.etree import ElementTree

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, ValidationError

from monitor.errors import ConfigError
from monitor.models import Topic

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_TOPIC_ID = r"^[a-z0-9][a-z0-9._-]*$"
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


Duration = Annotated[float, BeforeValidator(parse_duration)]
# A duration that may be zero ("0" or "0s" turns a delay off).
Delay = Annotated[float, BeforeValidator(lambda v: 0.0 if str(v).strip() in ("0", "0s", "0.0") else parse_duration(v))]
ByteSize = Annotated[int, BeforeValidator(parse_size)]


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

    interval: Duration = 600.0


class SourceConfig(_Model):
    """One feed to poll."""

    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$")
    id: str | None = Field(None, pattern=_TOPIC_ID)
    interval: Duration | None = None
    type: Literal["feed", "sitemap", "page"] = Field(
        "feed", description="feed (RSS/Atom/JSON, or an HTML page announcing one), sitemap (news sitemap) or page"
    )
    selector: str | None = Field(None, min_length=1, description="type page: CSS selector of the article links")


class OpmlSourceConfig(_Model):
    """Every feed listed in an OPML file (path relative to the config file)."""

    opml: str
    interval: Duration | None = None


class TopicConfig(_Model):
    """A watch-topic, inline in the config or alone in a topic file."""

    id: str = Field(pattern=_TOPIC_ID)
    title: str = Field(min_length=1)
    query: str = Field(min_length=1)
    description: str = ""
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    min_score: float = Field(0.0, ge=0)


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


class SmtpSettings(_Model):
    """How to reach the mail server."""

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: Duration = 30.0


class EmailChannel(_Channel):
    """Send one multipart email per hit (or one per digest)."""

    id: str = Field(pattern=_TOPIC_ID)
    type: Literal["email"]
    from_: str = Field(alias="from", pattern=r"^[^@\s]+@[^@\s]+$")
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
_UNION_TAGS = {"feed-source", "opml-source", "topic-file", "topic-inline", "webhook", "email", "log"}

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
        if "*" not in self.topics and topic_id not in self.topics:
            return False
        if self.min_score is not None and score < self.min_score:
            return False
        if self.languages is not None and (language or "") not in self.languages:
            return False
        return self.sources is None or any(s in self.sources for s in source)


class HealthSettings(_Model):
    """The health and metrics HTTP endpoint (/healthz, /metrics); off unless enabled."""

    enabled: bool = False
    listen: str = Field("127.0.0.1:9464", pattern=r"^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$")


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


class LogSettings(_Model):
    """Log output: ``auto`` is JSON lines when stderr is not a terminal, readable text when it is."""

    format: Literal["auto", "json", "text"] = "auto"


class ConfigFile(_Model):
    """The whole config file (the schema users and editors see)."""

    database: str = "data/monitor.db"
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


@dataclass(frozen=True, slots=True)
class Source:
    """A source ready to poll: ``id`` is stable for a URL and keys its state in the database."""

    id: str
    name: str
    url: str
    interval: float
    type: str = "feed"  # feed | sitemap | page
    selector: str | None = None  # type page: CSS selector of the article links


@dataclass(frozen=True, slots=True)
class Settings:
    """The validated config with paths resolved, OPML expanded and topic files loaded."""

    path: Path
    database: Path
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

    def channels_for(
        self, topic_id: str, score: float, *, language: str | None = None, source: tuple[str, ...] = ()
    ) -> list[str]:
        """Return the channel ids a hit on ``topic_id`` with ``score`` goes to, each once, in route order."""
        found: list[str] = []
        for route in self.routes:
            if route.accepts(topic_id, score, language, source):
                found.extend(c for c in route.channels if c not in found)
        return found

    def route_for(
        self, channel_id: str, topic_id: str, score: float, language: str | None, source: tuple[str, ...]
    ) -> tuple[int, RouteConfig] | None:
        """Return the first route (index, route) that sends this hit to ``channel_id``: it decides when it goes."""
        for index, route in enumerate(self.routes):
            if channel_id in route.channels and route.accepts(topic_id, score, language, source):
                return index, route
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


# --- YAML with line numbers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Located:
    """Parsed YAML plus the 1-based line of every key path in it."""

    data: Any
    lines: dict[tuple[str | int, ...], int]
    file: str


def _read_yaml(path: Path, shown: str) -> _Located:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{shown}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{shown}: cannot read: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        _check_size(node, shown)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        bad_line = text.splitlines()[mark.line] if mark is not None and mark.line < len(text.splitlines()) else ""
        if "${" in bad_line and ("{" in bad_line.split("${")[0] or "[" in bad_line.split("${")[0]):
            problem += ' (inside { } or [ ], write ${VAR} in quotes: "${VAR}")'
        raise ConfigError(f"{shown}{line}: invalid YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{shown}: invalid YAML: nested more than the parser can follow") from None
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _record_lines(node, (), lines)
        lines[()] = node.start_mark.line + 1
    return _Located(data if data is not None else {}, lines, shown)


# A config is a few hundred nodes; aliases can make a small file stand for billions ("billion laughs"), which
# the recursive walks below would follow, so the expanded size and depth are bounded first.
MAX_YAML_NODES = 100_000
MAX_YAML_DEPTH = 64


def _check_size(root: yaml.Node | None, shown: str) -> None:
    """Raise ConfigError when the document, with its aliases expanded, is too big or too deep."""
    stack: list[tuple[yaml.Node, int]] = [] if root is None else [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_YAML_NODES or depth > MAX_YAML_DEPTH:
            what = f"more than {MAX_YAML_NODES} values" if count > MAX_YAML_NODES else f"over {MAX_YAML_DEPTH} levels"
            line = node.start_mark.line + 1
            raise ConfigError(f"{shown}:{line}: invalid YAML: {what} (with aliases expanded)")
        if isinstance(node, yaml.MappingNode):
            stack.extend((part, depth + 1) for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)


def _record_lines(node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _record_lines(item, (*path, index), lines)


def _key_path(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _where(doc: _Located, path: tuple[str | int, ...]) -> str:
    """Return ``file:line: key.path`` for the deepest part of ``path`` the YAML has."""
    for end in range(len(path), -1, -1):
        if path[:end] in doc.lines:
            return f"{doc.file}:{doc.lines[path[:end]]}: {_key_path(path)}"
    return f"{doc.file}: {_key_path(path)}"


def _data_path(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Map a pydantic error location onto keys of the data, dropping union tags."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if part in _UNION_TAGS:
            continue
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
        else:
            path.append(part)  # a missing key: name it, its parent has the line
            break
        path.append(part)
    return tuple(path)


def _validation_problems(doc: _Located, exc: ValidationError) -> list[str]:
    problems: list[str] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    for error in exc.errors():
        path = _data_path(doc.data, tuple(error["loc"]))
        message = _error_message(error)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(f"{_where(doc, path)}: {message}")
    return problems


def _error_message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown channel type {error['input'].get('type')!r}: expected webhook, email or log"
    if kind == "union_tag_not_found":
        return "missing 'type': expected webhook, email or log"
    if kind == "string_pattern_mismatch":
        return f"invalid value {error['input']!r}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _substitute_env(doc: _Located, environ: Mapping[str, str]) -> tuple[Any, list[str]]:
    """Replace ``${VAR}`` (or ``${VAR:-default}``) in every string; a missing variable is a problem."""
    problems: list[str] = []

    def walk(value: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:

            def replace(found: re.Match[str]) -> str:
                name, default = found.group(1), found.group(2)
                if name in environ:
                    return environ[name]
                if default is not None:
                    return default
                problems.append(f"{_where(doc, path)}: environment variable {name} is not set")
                return ""

            return _ENV_VAR.sub(replace, value)
        return value

    return walk(doc.data, ()), problems


# --- Loading -----------------------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    """Return ``path`` relative to the working directory when it is below it, for shorter messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Return validated settings for the config file at ``path``; raise ConfigError listing every problem."""
    config_path = Path(path)
    doc = _read_yaml(config_path, str(path))
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{doc.file}:{doc.lines.get((), 1)}: the config must be a mapping of keys")
    data, problems = _substitute_env(doc, os.environ if environ is None else environ)
    if problems:
        raise ConfigError(problems)
    try:
        config = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_validation_problems(doc, exc)) from None
    base = config_path.resolve().parent
    problems = []
    sources = list(_expand_sources(config, base, doc, problems))
    topics = list(_load_topics(config, base, doc, problems))
    problems += _check_references(config, topics, sources, doc)
    if problems:
        raise ConfigError(problems)
    return Settings(
        path=config_path.resolve(),
        database=(base / config.database).resolve(),
        user_agent=config.user_agent,
        log_level=config.log_level,
        fetch=config.fetch,
        sources=tuple(sources),
        topics=tuple(topics),
        channels={c.id: c for c in config.channels},
        routes=tuple(config.routes),
        health=config.health,
        retention=config.retention,
        log=config.log,
        meta_alerts=config.meta_alerts,
        spikes=config.spikes,
    )


def _expand_sources(config: ConfigFile, base: Path, doc: _Located, problems: list[str]) -> Iterator[Source]:
    default = config.defaults.interval
    for index, entry in enumerate(config.sources):
        if isinstance(entry, SourceConfig):
            yield Source(
                entry.id or source_id(entry.url), entry.name, entry.url, entry.interval or default,
                type=entry.type, selector=entry.selector,
            )
            continue
        where = _where(doc, ("sources", index, "opml"))
        try:
            feeds = read_opml(base / entry.opml)
        except (OSError, ElementTree.ParseError) as exc:
            problems.append(f"{where}: cannot read OPML file {entry.opml!r}: {exc}")
            continue
        for name, url in feeds:
            yield Source(source_id(url), name, url, entry.interval or default)


def read_opml(path: Path) -> list[tuple[str, str]]:
    """Return (title, xmlUrl) for every feed outline in an OPML file, nested outlines included."""
    tree = ElementTree.parse(path)  # a local, operator-written file: trusted input
    feeds = []
    for outline in tree.iter("outline"):
        url = outline.get("xmlUrl")
        if url:
            feeds.append((outline.get("title") or outline.get("text") or url, url))
    return feeds


def _load_topics(config: ConfigFile, base: Path, doc: _Located, problems: list[str]) -> Iterator[Topic]:
    for index, entry in enumerate(config.topics):
        if isinstance(entry, TopicConfig):
            yield _to_topic(entry, f"{doc.file}:{doc.lines.get(('topics', index), 0)}")
            continue
        target = base / entry
        if not target.exists():
            problems.append(f"{_where(doc, ('topics', index))}: topic file or folder {entry!r} not found")
            continue
        try:
            yield from load_topics(target)
        except ConfigError as exc:
            problems.extend(exc.problems)


def load_topics(path: Path) -> list[Topic]:
    """Return the topics of a topic file, or of every ``*.yaml`` file in a folder, in name order."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not files:
            raise ConfigError(f"no topic files (*.yaml) in {_shown(path)}")
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError(f"topic file or folder {_shown(path)} not found")
    topics: list[Topic] = []
    problems: list[str] = []
    for file in files:
        try:
            topics.append(load_topic_file(file, _shown(file)))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return topics


def load_topic_file(path: Path, shown: str | None = None) -> Topic:
    """Return the one topic a YAML topic file declares."""
    doc = _read_yaml(path, shown or str(path))
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{doc.file}:1: a topic file must be a mapping with id, title and query")
    try:
        topic = TopicConfig.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(_validation_problems(doc, exc)) from None
    return _to_topic(topic, f"{doc.file}:{doc.lines.get(('query',), 1)}")


def _to_topic(topic: TopicConfig, origin: str) -> Topic:
    return Topic(
        id=topic.id,
        title=topic.title,
        query=topic.query,
        description=topic.description,
        aliases={name: tuple(terms) for name, terms in topic.aliases.items()},
        min_score=topic.min_score,
        origin=origin,
    )


def _check_references(config: ConfigFile, topics: list[Topic], sources: list[Source], doc: _Located) -> list[str]:
    problems = []
    topic_ids = {t.id for t in topics}
    channel_ids = {c.id for c in config.channels}
    seen: dict[str, str] = {}
    for topic in topics:
        if topic.id == HEALTH_TOPIC:
            problems.append(f"{topic.origin}: topic id {HEALTH_TOPIC!r} is reserved for alerts about the monitor")
        if topic.id in seen:
            problems.append(f"{topic.origin}: duplicate topic id {topic.id!r} (also at {seen[topic.id]})")
        seen[topic.id] = topic.origin or ""
    seen_channels: set[str] = set()
    for index, channel in enumerate(config.channels):
        if channel.id in seen_channels:
            problems.append(f"{_where(doc, ('channels', index, 'id'))}: duplicate channel id {channel.id!r}")
        seen_channels.add(channel.id)
    seen_sources: set[str] = set()
    for source in sources:
        if source.id in seen_sources:
            problems.append(f"{doc.file}: sources: duplicate source {source.url!r}")
        seen_sources.add(source.id)
    for r, route in enumerate(config.routes):
        for c, name in enumerate(route.channels):
            if name not in channel_ids:
                problems.append(f"{_where(doc, ('routes', r, 'channels', c))}: unknown channel {name!r}")
        for t, name in enumerate(route.topics):
            if name not in ("*", HEALTH_TOPIC) and name not in topic_ids:
                problems.append(f"{_where(doc, ('routes', r, 'topics', t))}: unknown topic {name!r}")
    return problems
