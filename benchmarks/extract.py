"""Benchmark monitor.extract against trafilatura on the shared extraction corpus (quality and speed).

Usage: .venv/bin/python benchmarks/extract.py [--corpus DIR] [--worst N] [--no-trafilatura]
Speed: both extractors are timed page by page in turn (fastest of N calls each), so other load on
the machine hurts both alike.
Scores body text with ../shared/tools/extract_eval.py (Zyte benchmark metric), in one process.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "extraction" / "readability-news"
EVAL = SHARED / "tools" / "extract_eval.py"

sys.path.insert(0, str(REPO))
from monitor.extract import extract  # noqa: E402


def load_eval(path: Path) -> ModuleType:
    """Import extract_eval.py by path."""
    spec = importlib.util.spec_from_file_location("extract_eval", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["extract_eval"] = module
    spec.loader.exec_module(module)
    return module


def race(
    fns: dict[str, Callable[[str, str], str]], htmls: list[str], urls: list[str], repeats: int
) -> dict[str, tuple[list[str], float, float]]:
    """Time every extractor on each page in turn, ``repeats`` times, keeping each page's fastest call.

    Interleaving page by page puts both extractors in the same moments of machine load, and equal
    repeats give neither more chances at a quiet moment. Returns outputs, wall-clock pages/s (the
    evaluator's measure) and CPU pages/s (process time, which other processes' load barely moves).
    """
    for fn in fns.values():
        fn(htmls[0], urls[0])  # untimed warm-up, as in extract_eval
    outputs: dict[str, list[str]] = {name: [] for name in fns}
    spent: dict[str, float] = dict.fromkeys(fns, 0.0)
    cpu: dict[str, float] = dict.fromkeys(fns, 0.0)
    for html, url in zip(htmls, urls, strict=True):
        fastest: dict[str, float] = {}
        fastest_cpu: dict[str, float] = {}
        for _ in range(repeats):
            for name, fn in fns.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                out = fn(html, url)
                elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
                if name not in fastest:
                    outputs[name].append(out or "")
                fastest[name] = min(fastest.get(name, elapsed), elapsed)
                fastest_cpu[name] = min(fastest_cpu.get(name, elapsed_cpu), elapsed_cpu)
        for name in fns:
            spent[name] += fastest[name]
            cpu[name] += fastest_cpu[name]
    n = len(htmls)
    return {name: (outputs[name], n / spent[name], n / cpu[name] if cpu[name] else float("inf")) for name in fns}


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def metadata_accuracy(pages: list[Any], htmls: list[str]) -> dict[str, tuple[int, int]]:
    """Count exact title matches, contained titles and same-day dates against expected-metadata.json."""
    counts = {
        "title exact": [0, 0],
        "title contained": [0, 0],
        "date same day": [0, 0],
        "author in byline": [0, 0],
        "language": [0, 0],
    }
    for page, html in zip(pages, htmls, strict=True):
        art = extract(html, page.url or None)
        expected_title = page.meta.get("title")
        if expected_title:
            counts["title exact"][1] += 1
            counts["title contained"][1] += 1
            got, want = _norm(art.title), _norm(expected_title)
            counts["title exact"][0] += got == want
            counts["title contained"][0] += bool(got) and (got in want or want in got)
        byline = _norm(page.meta.get("byline"))
        if byline:
            counts["author in byline"][1] += 1
            counts["author in byline"][0] += bool(art.authors) and _norm(art.authors[0]) in byline
        expected_lang = page.meta.get("lang")
        if expected_lang:
            counts["language"][1] += 1
            counts["language"][0] += art.language == expected_lang[:2].lower()
        expected_date = page.meta.get("publishedTime")
        if expected_date:
            counts["date same day"][1] += 1
            from dateutil import parser

            want_date = parser.parse(expected_date)
            if art.published is not None:
                if want_date.tzinfo is None:
                    counts["date same day"][0] += art.published.replace(tzinfo=None).date() == want_date.date()
                else:
                    counts["date same day"][0] += art.published.date() == want_date.date()
    return {k: (v[0], v[1]) for k, v in counts.items()}


def main(argv: list[str] | None = None) -> int:
    """Run both extractors and print the comparison table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--worst", type=int, default=0, help="list the N pages where we score worst")
    ap.add_argument("--repeats", type=int, default=3, help="timed calls per page and extractor; fastest kept")
    ap.add_argument("--no-trafilatura", action="store_true")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir() or not EVAL.is_file():
        print(f"extraction corpus or evaluator not found ({args.corpus}, {EVAL}); nothing to benchmark.")
        return 0
    ev = load_eval(EVAL)
    _, pages = ev.load_dataset(args.corpus)
    htmls = [p.read_html() for p in pages]
    urls = [p.url for p in pages]
    truths = [p.truth for p in pages]

    failures: list[str] = []

    def ours(html: str, url: str) -> str:
        article = extract(html, url or None)
        if article.skip_reason and article.skip_reason.startswith("extraction failed"):
            failures.append(f"{url}: {article.skip_reason}")
        return article.text

    # Load py3langid's model before timing, as the evaluator's warm-up intends for lazy set-up.
    extract("<html><body><p>" + "words of warm-up text " * 20 + "</p></body></html>")
    fns: dict[str, Callable[[str, str], str]] = {"monitor.extract": ours}
    if not args.no_trafilatura:
        try:
            fns["trafilatura"] = ev.resolve_extractor("trafilatura")
        except ImportError as exc:
            print(f"trafilatura unavailable ({exc}); install the bench extra")
    results = race(fns, htmls, urls, args.repeats)
    rows = [
        (name, ev.score(truths, preds, n_bootstrap=0), speed, cpu_speed)
        for name, (preds, speed, cpu_speed) in results.items()
    ]

    print(f"{len(pages)} pages from {args.corpus}")
    if failures:
        print(f"{len(failures)} extraction failures, e.g. {failures[0]}")
    print(f"{'extractor':<18}{'F1':>7}{'P':>7}{'R':>7}{'pages/s':>10}{'CPU pages/s':>13}")
    for name, m, sp, cpu_sp in rows:
        print(f"{name:<18}{m['f1']:>7.3f}{m['precision']:>7.3f}{m['recall']:>7.3f}{sp:>10.1f}{cpu_sp:>13.1f}")
    if len(rows) == 2:
        (_, mine, my_speed, my_cpu), (_, theirs, their_speed, their_cpu) = rows
        print(
            f"F1 difference {mine['f1'] - theirs['f1']:+.3f}; speed ratio {my_speed / their_speed:.1f}x wall, "
            f"{my_cpu / their_cpu:.1f}x CPU"
        )
    for field, (hit, total) in metadata_accuracy(pages, htmls).items():
        print(f"{field:<18}{hit}/{total}")
    if args.worst:
        per_page = rows[0][1]["per_page"]
        scored = []
        for page, counts in zip(pages, per_page, strict=True):
            p, r = ev._prec(*counts), ev._rec(*counts)
            scored.append((2 * p * r / (p + r) if p + r else 0.0, p, r, page.id))
        for f1, p, r, pid in sorted(scored)[: args.worst]:
            print(f"  worst F1 {f1:.3f} P {p:.2f} R {r:.2f} {pid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
