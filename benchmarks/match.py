"""Benchmark the match stage: generated articles against 100, 1,000 and 10,000 generated topics.

Compares ``Matcher.match`` (inverted-index prefilter over clause postings) with the naive loop that
evaluates every compiled topic on every article, and asserts both give identical hits on the sample.
Rates use CPU time (``time.process_time``). Every topic set is compiled first; then each round times one
pass over all articles per topic set, in turn, and the best pass of each counts (as ``timeit`` does):
on a shared machine the 10,000-topic pass, which reads the most memory, suffers most from neighbours,
and interleaved rounds expose every topic set to the same conditions. Articles and topics are generated
from a Zipf-distributed synthetic vocabulary mixed with real entity spellings in English, Russian and
Arabic, so a few topics hit each article.

    .venv/bin/python benchmarks/match.py [--articles 10000] [--topics 100,1000,10000] [--rounds 3]
        [--naive-sample 300]
"""

from __future__ import annotations

import argparse
import random
import time
from itertools import pairwise

from monitor.match import AnalysedDocument, Matcher
from monitor.models import Match, MatchDocument, Topic

ENTITIES = [
    "Russia", "Moscow", "Kremlin", "Syria", "Damascus", "Tartus", "Khmeimim", "Latakia", "Libya", "Benghazi",
    "Turkey", "Ankara", "Israel", "Putin", "Lavrov", "Россия", "Москва", "Сирия", "Тартус", "Хмеймим",
    "Ливия", "Турция", "روسيا", "موسكو", "سوريا", "طرطوس", "حميميم", "ليبيا", "تركيا", "دمشق",
]  # fmt: skip
SYLLABLES = [a + b for a in "bcdfghklmnprstvz" for b in "aeiou"]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """Return ``size`` distinct synthetic words."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))))
    return sorted(words)


def zipf_weights(n: int) -> list[float]:
    """Return Zipf weights for ranks 1..n."""
    return [1.0 / (rank**1.05) for rank in range(1, n + 1)]


def make_articles(rng: random.Random, vocab: list[str], count: int) -> list[MatchDocument]:
    """Return ``count`` articles of 250-700 words, a few entity names sprinkled in."""
    weights = zipf_weights(len(vocab))
    out = []
    for _ in range(count):
        body = rng.choices(vocab, weights, k=rng.randint(250, 700))
        for _ in range(rng.randint(0, 6)):
            body.insert(rng.randrange(len(body)), rng.choice(ENTITIES))
        title = rng.choices(vocab, weights, k=rng.randint(6, 12))
        out.append(MatchDocument(title=" ".join(title).capitalize(), text=" ".join(body) + ".", source="bench"))
    return out


def make_topics(rng: random.Random, vocab: list[str], count: int) -> list[Topic]:
    """Return ``count`` topics shaped like real ones: alias groups, a phrase, a wildcard, an exclusion."""
    mid = vocab[300:]  # skip the commonest words, as analysts do

    def word() -> str:
        w = rng.choice(mid)
        return w[:4] + "*" if rng.random() < 0.15 else w

    topics = []
    for n in range(count):
        group = " OR ".join([*(word() for _ in range(rng.randint(2, 5))), rng.choice(ENTITIES)])
        second = " OR ".join([word(), f'"{rng.choice(mid)} {rng.choice(mid)}"', word()])
        query = f"({group}) AND ({second})"
        if rng.random() < 0.3:
            query += f" NOT {rng.choice(mid)}"
        if rng.random() < 0.2:
            query = f"({query}) OR ({word()} NEAR/5 {rng.choice(ENTITIES)})"
        topics.append(Topic(id=f"bench-{n}", title=f"Bench {n}", query=query, min_score=1.0))
    return topics


def run_matcher(matcher: Matcher, articles: list[MatchDocument]) -> tuple[float, int]:
    """Return (seconds, hits) for the prefiltered matcher over every article."""
    start, hits = time.process_time(), 0
    for doc in articles:
        hits += len(matcher.match(doc))
    return time.process_time() - start, hits


def run_naive(matcher: Matcher, articles: list[MatchDocument]) -> tuple[float, list[list[Match]]]:
    """Return (seconds, hits per article) evaluating every compiled topic on every article."""
    start, hits = time.process_time(), []
    for doc in articles:
        analysed = AnalysedDocument(doc)
        hits.append([hit for hit in (c.match(analysed) for c in matcher.compiled) if hit is not None])
    return time.process_time() - start, hits


def main() -> None:
    """Run the benchmark and print a table, then the time ratio of each tenfold step in topics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--topics", default="100,1000,10000")
    parser.add_argument("--rounds", type=int, default=3, help="passes per topic set; the best counts")
    parser.add_argument("--naive-sample", type=int, default=300, help="articles timed for the naive loop")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    vocab = vocabulary(rng, 30_000)
    articles = make_articles(rng, vocab, args.articles)
    print(f"{len(articles)} articles, {sum(len(a.text.split()) for a in articles) // len(articles)} words each")
    counts = [int(c) for c in args.topics.split(",")]
    matchers, compile_s = {}, {}
    for count in counts:
        t0 = time.perf_counter()
        matchers[count] = Matcher(make_topics(random.Random(count), vocab, count))
        compile_s[count] = time.perf_counter() - t0
    best = dict.fromkeys(counts, float("inf"))
    hits = dict.fromkeys(counts, 0)
    for _ in range(args.rounds):
        for count in counts:
            seconds, hits[count] = run_matcher(matchers[count], articles)
            best[count] = min(best[count], seconds)
    heads = ("topics", "compile s", "articles/s", "hits", "cand/art", "naive a/s", "speed-up")
    print(" ".join(h.rjust(w) for h, w in zip(heads, (7, 9, 11, 7, 8, 10, 8), strict=True)))
    sample = articles[: args.naive_sample]
    for count in counts:
        matcher = matchers[count]
        cands = sum(len(matcher.candidates(AnalysedDocument(d))) for d in sample) / len(sample)
        naive_s, naive_hits = run_naive(matcher, sample)
        # The same hits, scores, terms and snippets, in the same order: the prefilter only skips work.
        assert naive_hits == [matcher.match(d) for d in sample], "prefilter changed the answer"
        rate, naive_rate = len(articles) / best[count], len(sample) / naive_s
        print(
            f"{count:>7} {compile_s[count]:>9.2f} {rate:>11,.0f} {hits[count]:>7} {cands:>8.1f} "
            f"{naive_rate:>10,.0f} {rate / naive_rate:>7.1f}x"
        )
    for fewer, more in pairwise(counts):
        print(f"{more / fewer:.0f}x the topics ({fewer:,} -> {more:,}): {best[more] / best[fewer]:.2f}x the time")


if __name__ == "__main__":
    main()
