"""Benchmark monitor.extract against trafilatura the way the daemon calls it: one call per page, fresh process.

Usage: .venv/bin/python benchmarks/extract.py [--corpus DIR] [--input str|bytes|both] [--worst N] [--no-trafilatura]

Each extractor runs in its own fresh Python process, which imports it and calls it once per page in corpus
order, with no warm-up call and no fastest-of-N: a lazy load on some code path is paid where it happens, as in
the daemon. Two inputs are measured apart:
- bytes: the page body as fetched (the daemon hands ``FetchResult.body`` to ``extract``);
- str: the same page decoded before timing (by ``monitor.extract.decode.decode_html``, in this parent process).
Per page, wall time (perf_counter) and CPU time (process_time, which other processes' load barely moves) are
taken around the call only. Quality is scored with ../shared/tools/extract_eval.py (Zyte benchmark metric),
on the whole corpus and separately on a held-out third (see ``held_out``) that tuning must not look at.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import zlib
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "extraction" / "readability-news"
EVAL = SHARED / "tools" / "extract_eval.py"
EXTRACTORS = ("monitor.extract", "trafilatura")


def held_out(case: str) -> bool:
    """Say whether a page belongs to the held-out part: about a third, by a stable hash of its name, not a choice."""
    return zlib.crc32(case.encode()) % 100 < 33


# --- child process: one extractor, one input kind, one call per page ---


def _child(extractor: str, inputs: list[str], kind: str) -> None:
    """Time one call per page and print one JSON line per page (runs in a fresh process)."""
    import time

    if extractor == "monitor.extract":
        sys.path.insert(0, str(REPO))
        from monitor.extract import extract

        def run(page: str | bytes) -> dict[str, Any]:
            art = extract(page, None)
            published = art.published.isoformat() if art.published else None
            return {"text": art.text, "title": art.title, "published": published, "language": art.language}

    else:
        import trafilatura

        def run(page: str | bytes) -> dict[str, Any]:
            # As the Zyte benchmark's run_trafilatura.py: no URL, comments left out.
            return {"text": trafilatura.extract(page, include_comments=False) or ""}

    for path in inputs:
        page: str | bytes = Path(path).read_text(encoding="utf-8") if kind == "str" else Path(path).read_bytes()
        start, start_cpu = time.perf_counter(), time.process_time()
        out = run(page)
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        print(json.dumps({"wall": wall, "cpu": cpu, **out}), flush=True)


def run_child(extractor: str, inputs: list[Path], kind: str) -> list[dict[str, Any]]:
    """Run one extractor over ``inputs`` in a fresh interpreter; return its per-page records."""
    listing = json.dumps([str(p) for p in inputs])
    proc = subprocess.run(
        [sys.executable, __file__, "--child", extractor, "--input", kind],
        input=listing,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{extractor} ({kind}) failed:\n{proc.stderr[-2000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


# --- parent: prepare inputs, score, print ---


def load_eval(path: Path) -> ModuleType:
    """Import extract_eval.py by path."""
    spec = importlib.util.spec_from_file_location("extract_eval", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["extract_eval"] = module
    spec.loader.exec_module(module)
    return module


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timing_line(name: str, records: list[dict[str, Any]]) -> tuple[float, float]:
    """Print pages/s and per-page p50/p99/max (ms, wall and CPU); return (pages/s wall, pages/s CPU)."""
    walls = [r["wall"] for r in records]
    cpus = [r["cpu"] for r in records]
    speed, cpu_speed = len(walls) / sum(walls), len(cpus) / max(sum(cpus), 1e-9)
    ms = [1000 * f(v) for v in (walls, cpus) for f in (statistics.median, lambda x: _quantile(x, 0.99), max)]
    print(
        f"  {name:<16}{speed:>9.1f}{cpu_speed:>9.1f}   wall p50 {ms[0]:5.1f} p99 {ms[1]:6.1f} max {ms[2]:6.1f}"
        f"   CPU p50 {ms[3]:5.1f} p99 {ms[4]:6.1f} max {ms[5]:6.1f}"
    )
    return speed, cpu_speed


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def metadata_accuracy(pages: list[Any], records: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Count pages right per field, among pages whose expected-metadata.json carries the field.

    Title: equal after whitespace and case folding, or equal to the expected title without a site
    suffix we strip on purpose (ours contained in it). Date: same calendar day (in the page's own
    offset). Language: same primary subtag.
    """
    counts = {"title": [0, 0], "published date": [0, 0], "language": [0, 0]}
    for page, rec in zip(pages, records, strict=True):
        if page.meta.get("title"):
            got, want = _norm(rec["title"]), _norm(page.meta["title"])
            counts["title"][1] += 1
            counts["title"][0] += bool(got) and (got == want or got in want)
        if page.meta.get("lang"):
            counts["language"][1] += 1
            counts["language"][0] += rec["language"] == page.meta["lang"][:2].lower()
        if page.meta.get("publishedTime"):
            counts["published date"][1] += 1
            want_date = datetime.fromisoformat(page.meta["publishedTime"].replace("Z", "+00:00"))
            if rec["published"]:
                got_date = datetime.fromisoformat(rec["published"])
                if want_date.tzinfo is not None:
                    got_date = got_date.astimezone(want_date.tzinfo)
                counts["published date"][0] += got_date.date() == want_date.date()
    return {k: (v[0], v[1]) for k, v in counts.items()}


def quality_lines(ev: ModuleType, name: str, pages: list[Any], texts: list[str]) -> dict[str, Any]:
    """Print F1/P/R on all pages, the tuning part and the held-out part; return the all-pages score."""
    result: dict[str, Any] = {}
    for part, keep in (("all", lambda _: True), ("tuning", lambda p: not held_out(p.id)), ("held-out", None)):
        chosen = [i for i, p in enumerate(pages) if (held_out(p.id) if keep is None else keep(p))]
        m = ev.score([pages[i].truth for i in chosen], [texts[i] for i in chosen], n_bootstrap=0)
        print(f"  {name:<16}{part:<10}{len(chosen):>4}{m['f1']:>8.3f}{m['precision']:>8.3f}{m['recall']:>8.3f}")
        if part == "all":
            result = m
    return result


def main(argv: list[str] | None = None) -> int:
    """Run each extractor in a fresh process per input kind and print quality, speed and metadata."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--input", choices=("str", "bytes", "both"), default="both")
    ap.add_argument("--worst", type=int, default=0, help="list the N pages where we score worst")
    ap.add_argument("--no-trafilatura", action="store_true")
    ap.add_argument("--child", choices=EXTRACTORS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, json.loads(sys.stdin.read()), args.input)
        return 0
    if not args.corpus.is_dir() or not EVAL.is_file():
        print(f"extraction corpus or evaluator not found ({args.corpus}, {EVAL}); nothing to benchmark.")
        return 0
    ev = load_eval(EVAL)
    _, pages = ev.load_dataset(args.corpus)
    extractors = [EXTRACTORS[0]] if args.no_trafilatura else list(EXTRACTORS)
    if not args.no_trafilatura and importlib.util.find_spec("trafilatura") is None:
        print("trafilatura unavailable; install the bench extra")
        extractors = [EXTRACTORS[0]]
    sys.path.insert(0, str(REPO))
    from monitor.extract.decode import decode_html

    kinds = ["str", "bytes"] if args.input == "both" else [args.input]
    held = sum(held_out(p.id) for p in pages)
    print(f"{len(pages)} pages from {args.corpus} ({held} held out of tuning); one call per page, fresh process")
    with tempfile.TemporaryDirectory() as tmp:
        decoded = []
        for page in pages:
            path = Path(tmp) / f"{page.id}.txt"
            path.write_text(decode_html(page.html_path.read_bytes()), encoding="utf-8")
            decoded.append(path)
        for kind in kinds:
            inputs = decoded if kind == "str" else [p.html_path for p in pages]
            records = {name: run_child(name, inputs, kind) for name in extractors}
            print(f"\n[{kind} input]  pages/s (wall, CPU) and time per page in ms")
            speeds = {name: timing_line(name, recs) for name, recs in records.items()}
            if len(speeds) == 2:
                (mine, mine_cpu), (theirs, theirs_cpu) = speeds.values()
                print(f"  speed ratio {mine / theirs:.1f}x wall, {mine_cpu / theirs_cpu:.1f}x CPU")
                # For context only: a fresh process's first call carries each library's own lazy loading.
                later = [sum(r["cpu"] for r in recs[1:]) for recs in records.values()]
                print(f"  (without each process's first call: {later[1] / later[0]:.1f}x CPU)")
            print(f"  {'extractor':<16}{'pages':<10}{'n':>4}{'F1':>8}{'P':>8}{'R':>8}")
            scores = {name: quality_lines(ev, name, pages, [r["text"] for r in recs]) for name, recs in records.items()}
            if kind == kinds[-1]:
                print("\nmetadata, pages right / pages whose expected metadata has the field:")
                for field, (hit, total) in metadata_accuracy(pages, records[EXTRACTORS[0]]).items():
                    print(f"  {field:<16}{hit}/{total} ({hit / total:.0%})" if total else f"  {field:<16}-")
                if args.worst:
                    per_page = scores[EXTRACTORS[0]]["per_page"]
                    scored = []
                    for page, counts in zip(pages, per_page, strict=True):
                        p, r = ev._prec(*counts), ev._rec(*counts)
                        scored.append((2 * p * r / (p + r) if p + r else 0.0, p, r, page.id))
                    for f1, p, r, pid in sorted(scored)[: args.worst]:
                        print(f"  worst F1 {f1:.3f} P {p:.2f} R {r:.2f} {pid}{' (held out)' if held_out(pid) else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
