"""Benchmark story grouping (pairwise precision/recall) and the dedup stage's speed with 100,000 stored articles.

Usage: .venv/bin/python benchmarks/stories.py [--corpus DIR] [--stored N] [--rounds N]
Quality: every corpus page plus generated variants (re-headlined, paragraphs swapped or added, boilerplate
changed, trimmed, reworked lede), each under its own URL, fed in a shuffled order; a pair is "same story" when
both come from the same page. Speed: the stage as the pipeline runs it (fingerprint, signature, URL/body lookup,
LSH candidates from SQLite, choice, membership write) on a database already holding ``--stored`` articles.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "dedup"))  # the variant generator is shared with the tests
from dedup_helpers import TARTUS_CUSTOMS, TARTUS_WITHDRAWAL, add_article  # noqa: E402
from dedup_variants import CORPUS, paragraphs, variants  # noqa: E402

from monitor import dedup  # noqa: E402
from monitor.dedup.signature import BANDS, NUM_PERM  # noqa: E402
from monitor.extract import extract  # noqa: E402
from monitor.pipeline import backfill_stories  # noqa: E402
from monitor.store import open_database  # noqa: E402
from monitor.store import stories as story_store  # noqa: E402

NOW = datetime(2025, 2, 20, tzinfo=UTC)


def load_texts(corpus: Path) -> dict[str, str]:
    """Return the extracted body of every corpus page long enough to be an article (4+ paragraphs)."""
    texts = {}
    for case in sorted(corpus.iterdir()):
        text = extract((case / "source.html").read_bytes(), url=f"https://{case.name}.example/").text
        if len(paragraphs(text)) >= 4:
            texts[case.name] = text
    return texts


def grouping_quality(texts: dict[str, str]) -> dict[str, float]:
    """Return pairwise precision and recall of story grouping over pages, their variants and the Tartus pair."""
    docs = [(f"https://{name}.example/original", name, text) for name, text in texts.items()]
    for number, (name, text) in enumerate(texts.items()):
        docs += [(f"https://{kind}.example/{name}", name, body) for kind, body in variants(text, number).items()]
    docs += [("https://wire.example/tartus", "tartus-1", TARTUS_WITHDRAWAL)]
    docs += [("https://daily.example/tartus", "tartus-2", TARTUS_CUSTOMS)]
    random.Random(7).shuffle(docs)
    db = open_database(None)
    truth: dict[int, str] = {}
    for url, name, text in docs:
        saved = add_article(db, url, text)
        truth[saved.article_id] = name
    story = dict(db.execute("SELECT article_id, story_id FROM story_articles").fetchall())
    tp = fp = fn = 0
    for a, b in itertools.combinations(truth, 2):
        same_truth, same_found = truth[a] == truth[b], story[a] == story[b]
        tp += same_truth and same_found
        fp += same_found and not same_truth
        fn += same_truth and not same_found
    return {
        "articles": len(docs),
        "stories expected": len(set(truth.values())),
        "stories found": len(set(story.values())),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
    }


def prefill(db_path: Path, stored: int) -> None:
    """Store ``stored`` articles, each in a story of its own, with random signatures (their band rows included)."""
    db = open_database(db_path)
    rng = np.random.default_rng(1)
    batch = 10_000
    for start in range(0, stored, batch):
        ids = range(start + 1, min(start + batch, stored) + 1)
        sigs = {i: rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32).astype("<u4").tobytes() for i in ids}
        with db.transaction():
            db.executemany(
                "INSERT INTO articles (id, url, title, text, fetched_at) VALUES (?, ?, 't', 'x', ?)",
                [(i, f"https://stored.example/{i}", NOW.isoformat()) for i in ids],
            )
            db.executemany(
                "INSERT INTO stories (id, first_article_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
                [(i, i, NOW.isoformat(), NOW.isoformat()) for i in ids],
            )
            db.executemany(
                "INSERT INTO story_articles (article_id, story_id, outlet, url_key, fingerprint, signature, joined_at)"
                " VALUES (?, ?, 'stored.example', ?, ?, ?, ?)",
                [(i, i, f"stored.example/{i}", f"{i:064x}", sigs[i], NOW.isoformat()) for i in ids],
            )
            db.executemany(
                "INSERT OR IGNORE INTO story_bands (key, article_id) VALUES (?, ?)",
                [(k, i) for i in ids for k in dedup.Signature(sigs[i], 100).band_keys()],
            )
    db.close()


def stage_speed(db_path: Path, texts: list[str], rounds: int, *, trace: bool = False) -> dict[str, float]:
    """Return articles/s and latency of the dedup stage, and of the whole per-article transaction around it.

    In the pipeline the membership rows are written in the article's own transaction, so the commit (an fsync,
    which dominates on slow disks) is paid once per article whether or not dedup runs: it is reported apart.
    """
    db = open_database(db_path)
    stage, total, cpu = [], [], 0.0
    if trace:  # tracing slows every allocation several times: only in a separate, untimed pass
        tracemalloc.start()
    next_id = db.execute("SELECT max(id) FROM articles").fetchone()[0] + 1
    for round_no in range(rounds):
        for text in texts:
            url = f"https://outlet{round_no}.example/{next_id}"
            begin = time.perf_counter()
            with db.transaction():
                db.execute(
                    "INSERT INTO articles (id, url, title, text, fetched_at) VALUES (?, ?, 't', 'x', ?)",
                    [next_id, url, NOW.isoformat()],
                )
                start, start_cpu = time.perf_counter(), time.process_time()
                outlet, key, sig = dedup.site_of(url), dedup.url_key(url), dedup.signature(text)
                story_store.find_same_article(db, key, sig.fingerprint, outlet)
                keys = sig.band_keys()
                candidates = (dedup.Candidate(*c) for c in story_store.story_candidates(db, keys))
                choice = dedup.choose_story(sig, candidates)
                member = story_store.Membership(
                    choice.story_id, outlet, key, sig.fingerprint, sig.values, keys, choice.similarity
                )
                story_store.add_member(db, next_id, member, NOW)
                stage.append(time.perf_counter() - start)
                cpu += time.process_time() - start_cpu
            total.append(time.perf_counter() - begin)
            next_id += 1
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    db.close()
    stage.sort()
    return {
        "articles": len(stage),
        "articles/s": len(stage) / sum(stage),
        "articles/s (CPU)": len(stage) / cpu,
        "p50 ms": statistics.median(stage) * 1000,
        "p95 ms": stage[int(len(stage) * 0.95)] * 1000,
        "with commit articles/s": len(total) / sum(total),
        "python heap peak MB": peak / 1e6,
    }


def backfill_speed(texts: list[str], stored: int = 2_000) -> dict[str, float]:
    """Return how fast ``monitor stories backfill`` groups articles stored without a story (in-memory database)."""
    db = open_database(None)
    with db.transaction():
        db.executemany(
            "INSERT INTO articles (url, title, text, fetched_at) VALUES (?, 't', ?, ?)",
            [(f"https://old{n}.example/{n}", texts[n % len(texts)], NOW.isoformat()) for n in range(stored)],
        )
    start = time.perf_counter()
    done = backfill_stories(db, NOW)
    return {"articles": done, "articles/s": done / (time.perf_counter() - start)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"corpus not found at {args.corpus}: this benchmark needs ../shared/corpus/")
    texts = load_texts(args.corpus)
    print(
        f"MinHash {NUM_PERM} permutations (numpy, bit-identical to datasketch), {BANDS} bands of {NUM_PERM // BANDS};"
        f" same story at estimated Jaccard >= {dedup.SAME_STORY}"
    )
    quality = grouping_quality(texts)
    print("grouping: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in quality.items()))
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        prefill(db_path, args.stored)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        print(f"prefill: {args.stored} stored articles in {time.perf_counter() - start:.1f} s, database {size:.0f} MB")
        bodies = [body for n, t in enumerate(texts.values()) for body in [t, *variants(t, n).values()]]
        speed = stage_speed(db_path, bodies, args.rounds)
        speed["python heap peak MB"] = stage_speed(db_path, bodies[:50], 1, trace=True)["python heap peak MB"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("dedup stage: " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in speed.items()))
    print("backfill: " + ", ".join(f"{k} {v:.0f}" for k, v in backfill_speed(bodies).items()))
    print(f"max RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
