"""Every seed topic catches its labelled positives in seeds/samples and none of the look-alikes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.match import Matcher, validate_topics
from monitor.models import MatchDocument, Topic

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
REQUIRED = {"russia-syria-bases", "russia-syria-government", "russia-libya-africa", "foreign-military-syria"}


def load_topics() -> list[Topic]:
    topics = []
    for path in sorted((SEEDS / "topics").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["aliases"] = {name: tuple(entries) for name, entries in data.get("aliases", {}).items()}
        topics.append(Topic(**data, origin=str(path)))
    return topics


def load_samples() -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    for path in sorted((SEEDS / "samples").glob("*.yaml")):
        samples.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return samples


TOPICS = load_topics()
SAMPLES = load_samples()
MATCHER = Matcher(TOPICS)


def test_seed_pack_is_complete_and_valid() -> None:
    assert {t.id for t in TOPICS} >= REQUIRED
    assert validate_topics(TOPICS) == []
    for sample in SAMPLES:
        assert set(sample["expect"]) <= {t.id for t in TOPICS}, sample["id"]


def test_samples_cover_scripts_and_traps() -> None:
    assert len(SAMPLES) >= 25
    assert {s["lang"] for s in SAMPLES} == {"en", "ru", "ar"}
    assert sum(not s["expect"] for s in SAMPLES) >= 8
    for topic_id in REQUIRED:
        assert any(topic_id in s["expect"] for s in SAMPLES), topic_id


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["id"] for s in SAMPLES])
def test_sample(sample: dict[str, Any]) -> None:
    doc = MatchDocument(title=sample["title"], text=sample["text"], language=sample["lang"])
    hits = MATCHER.match(doc)
    assert sorted(h.topic_id for h in hits) == sorted(sample["expect"]), [(h.topic_id, h.terms) for h in hits]
    for hit in hits:
        assert hit.terms and hit.score >= 2
