"""Load and validate the YAML config into frozen settings; every error names file, line and key.

``schema`` holds the models (and so the JSON Schema), ``yamlfile`` reads YAML keeping every key's line, and
``load`` turns a file into ``Settings``.
"""

from monitor.config.load import load_config, load_topic_file, load_topics, read_opml
from monitor.config.schema import (
    HEALTH_TOPIC,
    AcrossLanguages,
    ChannelConfig,
    ConfigFile,
    Defaults,
    EmailChannel,
    FetchSettings,
    LogChannel,
    RouteConfig,
    Settings,
    SmtpSettings,
    Source,
    SourceConfig,
    TopicConfig,
    WebhookChannel,
    config_schema,
    parse_duration,
    parse_size,
    source_id,
)

__all__ = [
    "HEALTH_TOPIC",
    "AcrossLanguages",
    "ChannelConfig",
    "ConfigFile",
    "Defaults",
    "EmailChannel",
    "FetchSettings",
    "LogChannel",
    "RouteConfig",
    "Settings",
    "SmtpSettings",
    "Source",
    "SourceConfig",
    "TopicConfig",
    "WebhookChannel",
    "config_schema",
    "load_config",
    "load_topic_file",
    "load_topics",
    "parse_duration",
    "parse_size",
    "read_opml",
    "source_id",
]
