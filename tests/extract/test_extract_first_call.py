"""No slow first call: a fresh process that imports the extractor pays no lazy load inside a call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus" / "extraction" / "readability-news"
# The bound is 50 ms per call on a page under 1 MB. CPU time is asserted, with a 3x margin for a slow
# machine: the 2-core CI box runs other jobs beside this one, which stretches wall time but not CPU time. The
# lazy loads this guards against cost 10x more (py3langid's model: 0.4-1.3 s on first use).
MAX_CPU_MS = 150.0
# Wall time also catches a lazy load that waits on the disk (the model is unpacked through a temporary file).
MAX_WALL_MS = 1000.0

# Pages that take the code paths the corpus may not: no declared language (the detector runs), legacy bytes
# without a charset (charset detection), JSON-LD and free-form dates, app data, a big table, a teaser listing.
_PROSE = "<p>Ein deutscher Absatz, lang genug, um als Fließtext des Artikels zu zählen, mit Kommas, Punkten.</p>"
SYNTHETIC: dict[str, bytes] = {
    "no-language": (
        "<html><body><article><h1>Titre</h1>"
        + "<p>Un paragraphe en français, assez long pour compter comme le texte de l'article, voilà.</p>" * 5
        + "</article></body></html>"
    ).encode(),
    "legacy-bytes": (
        "<html><head><title>Новости</title></head><body><div class=story>"
        + "<p>Текст новости на русском языке, достаточно длинный, чтобы считаться статьёй, и ещё.</p>" * 6
        + "</div></body></html>"
    ).encode("cp1251"),
    "json-ld-dates": (
        '<html lang="de"><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "Kopf",'
        ' "datePublished": "Tuesday, 7 March 2023, 14:05 CET", "author": {"name": "Anna Muster"}}</script>'
        '<meta name="date" content="07.03.2023 14:05"></head><body><main>' + _PROSE * 5 + "</main></body></html>"
    ).encode(),
    "app-data": (
        '<html><head><script id="__NEXT_DATA__" type="application/json">{"props": {"pageProps": {"article":'
        ' {"body": [{"type": "paragraph", "text": "' + "A paragraph from app data, rendered by script. " * 8 + '"}]}}}}'
        "</script></head><body><div id=root></div></body></html>"
    ).encode(),
    # Over 8,000 tags: the nesting guard's bound runs.
    "big-table": (
        "<html><body><article><table>"
        + "".join(f"<tr><td>{i}</td><td>row {i}</td><td><a href='/r/{i}'>link</a></td></tr>" for i in range(3000))
        + "</table></article></body></html>"
    ).encode(),
    "listing": (
        "<html><body><main>"
        + "".join(f'<h3><a href="/story/{i}">Teaser headline number {i}</a></h3><p>Short blurb.</p>' for i in range(12))
        + "</main></body></html>"
    ).encode(),
}

_CHILD = """
import json, sys, time
from pathlib import Path
from monitor.extract import extract
kind = sys.argv[1]
for path in sys.argv[2:]:
    data = Path(path).read_bytes()
    page = data if kind == "bytes" else data.decode("utf-8", "replace")
    start, start_cpu = time.perf_counter(), time.process_time()
    extract(page, None)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(json.dumps({"page": path, "wall_ms": 1000 * wall, "cpu_ms": 1000 * cpu}))
"""


def _pages(tmp_path: Path) -> list[Path]:
    """Synthetic pages first (a code path's first use is what is measured), then the corpus when present."""
    paths = []
    for name, body in SYNTHETIC.items():
        path = tmp_path / f"{name}.html"
        path.write_bytes(body)
        paths.append(path)
    if CORPUS.is_dir():
        paths += sorted(CORPUS.glob("*/source.html"))
    return paths


@pytest.mark.parametrize("kind", ["bytes", "str"])
def test_no_call_pays_a_lazy_load_in_a_fresh_process(kind: str, tmp_path: Path) -> None:
    pages = _pages(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, *map(str, pages)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    calls = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(calls) == len(pages)
    worst_cpu = max(calls, key=lambda c: c["cpu_ms"])
    worst_wall = max(calls, key=lambda c: c["wall_ms"])
    assert worst_cpu["cpu_ms"] < MAX_CPU_MS, worst_cpu
    assert worst_wall["wall_ms"] < MAX_WALL_MS, worst_wall
