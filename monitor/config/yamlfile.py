"""YAML with the line of every key, ${VAR} substitution, and pydantic errors mapped to file:line: key."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from monitor.config.schema import (
    ID_PATTERN,
    UNION_TAGS,
    ConfigFile,
    EmailChannel,
    LogChannel,
    OpmlSourceConfig,
    SourceConfig,
    TopicConfig,
    WebhookChannel,
)
from monitor.errors import ConfigError

ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True, slots=True)
class Located:
    """Parsed YAML plus the 1-based line of every key path in it."""

    data: Any
    lines: dict[tuple[str | int, ...], int]
    file: str


def read_yaml(path: Path, shown: str) -> Located:
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
    return Located(data if data is not None else {}, lines, shown)


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


def where(doc: Located, path: tuple[str | int, ...]) -> str:
    """Return ``file:line: key.path`` for the deepest part of ``path`` the YAML has."""
    for end in range(len(path), -1, -1):
        if path[:end] in doc.lines:
            return f"{doc.file}:{doc.lines[path[:end]]}: {_key_path(path)}"
    return f"{doc.file}: {_key_path(path)}"


def _data_path(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Map a pydantic error location onto keys of the data, dropping union tags."""
    path: list[str | int] = []
    current = data
    for previous, part in zip((None, *loc), loc, strict=False):
        if isinstance(previous, int) and part in UNION_TAGS:  # a tag follows a list index (top-level `log` is a key)
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


def validation_problems(doc: Located, exc: ValidationError) -> list[str]:
    problems: list[str] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    root = _ROOTS.get(exc.title)
    for error in exc.errors():
        path = _data_path(doc.data, tuple(error["loc"]))
        message = _error_message(error)
        if error["type"] == "extra_forbidden" and root is not None:
            message += _did_you_mean(str(error["loc"][-1]), _known_keys(root, tuple(error["loc"][:-1])))
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(f"{where(doc, path)}: {message}")
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
        return _pattern_message(str(error["input"]), str(error.get("ctx", {}).get("pattern", "")))
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


# The models a ValidationError's title names: where an unknown key's siblings are looked up.
_ROOTS: dict[str, type[BaseModel]] = {"ConfigFile": ConfigFile, "TopicConfig": TopicConfig}
# A union branch's tag in an error location, and the model it stands for.
_TAGGED: dict[str, type[BaseModel]] = {
    "feed-source": SourceConfig,
    "opml-source": OpmlSourceConfig,
    "topic-inline": TopicConfig,
    "webhook": WebhookChannel,
    "email": EmailChannel,
    "log": LogChannel,
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Return the models an annotation holds: itself, or inside list[...], X | None, Annotated[...], unions."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _known_keys(root: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """Return the keys the YAML may use at ``loc`` (a pydantic error location without its last part)."""
    models = [root]
    for previous, part in zip((None, *loc), loc, strict=False):
        if isinstance(part, int):
            continue
        if isinstance(previous, int) and part in _TAGGED:  # a tag follows a list index (top-level `log` is a key)
            models = [_TAGGED[part]]
            continue
        models = [
            found
            for model in models
            for name, info in model.model_fields.items()
            if part in (name, info.alias)
            for found in _models_in(info.annotation)
        ]
    return sorted({info.alias or name for model in models for name, info in model.model_fields.items()})


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (expected one of: {', '.join(known)})" if known else ""


def _pattern_message(value: str, pattern: str) -> str:
    """Say what a value that does not match its pattern should look like."""
    if pattern.startswith("^https?://"):
        if "://" not in value:
            return f"invalid URL {value!r}: it needs a scheme, e.g. 'https://{value}'"
        return f"invalid URL {value!r}: use an http:// or https:// URL without spaces"
    if "@" in pattern:
        named = " or, with a name, 'Monitor <monitor@example.org>'" if "<" in pattern else ""
        return f"invalid email address {value!r}: expected an address such as monitor@example.org{named}"
    if pattern == ID_PATTERN:
        return (
            f"invalid id {value!r}: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit"
        )
    if "\\d{1,5}" in pattern:
        return f"invalid value {value!r}: expected HOST:PORT, e.g. 127.0.0.1:9464"
    return f"invalid value {value!r}"


def substitute_env(
    doc: Located, environ: Mapping[str, str], *, unused: Callable[[tuple[str | int, ...]], bool] | None = None
) -> tuple[Any, list[str]]:
    """Replace ``${VAR}`` (or ``${VAR:-default}``) in every string; a missing variable is a problem.

    Where ``unused(path)`` is true (a part the command will not use), a missing variable is left as written.
    """
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
                if unused is not None and unused(path):
                    return found.group(0)
                problems.append(f"{where(doc, path)}: environment variable {name} is not set")
                return ""

            return ENV_VAR.sub(replace, value)
        return value

    return walk(doc.data, ()), problems
