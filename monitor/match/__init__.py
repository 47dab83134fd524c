"""The match stage: compile watch-topic queries and match documents against them (pure, no I/O)."""

from monitor.match.document import AnalysedDocument
from monitor.match.fold import fold
from monitor.match.lint import query_warnings, topic_warnings
from monitor.match.matcher import CompiledTopic, Matcher, compile_topic, validate_topics

__all__ = [
    "AnalysedDocument",
    "CompiledTopic",
    "Matcher",
    "compile_topic",
    "fold",
    "query_warnings",
    "topic_warnings",
    "validate_topics",
]
