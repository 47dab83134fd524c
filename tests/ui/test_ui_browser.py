"""``monitor ui`` in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium (``apt-get install chromium``; .ci/run
does it). Without it the tests skip with the reason, except under CI, where a missing browser is a failure.
The flags keep Chromium from calling home: on a closed network those calls are refused and slow it down.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Archive, Served

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _require(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _require(f"no {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("request", lambda req: None if req.url.startswith(served.url) else problems.append(req.url))
    yield page
    context.close()
    assert problems == []  # no script errors, no CSP violation, nothing fetched from elsewhere


@pytest.mark.slow
def test_an_analyst_walks_through_the_archive(page: Any, served: Served, archive: Archive) -> None:
    page.goto(served.url)
    charts = page.locator("section.topic svg.chart")
    assert charts.count() >= 3
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 40  # drawn, not an empty element
    tall = [
        float(h)
        for h in charts.first.locator("rect.bar:not(.zero)").evaluate_all(
            "bars => bars.map(b => b.getBoundingClientRect().height)"
        )
    ]
    assert tall and max(tall) > 20  # today's bar is really drawn
    assert page.get_by_role("link", name="Failed deliveries").count() == 2  # the menu and the views table

    # A topic's hits, then why one of them is a hit.
    page.locator("section.topic h2 a").first.click()
    page.wait_for_url("**/hits?topic=*")
    first = page.locator("table.hits tbody tr").first
    assert "UTC" in first.locator("time").inner_text()
    assert first.locator("span.term").count() >= 1
    first.get_by_role("link", name="explain").click()
    page.wait_for_url("**/explain?*")
    assert page.locator("#reason").inner_text().startswith("hit: score")
    assert page.locator("ul.tree li.ok").count() >= 1

    # Search from the menu: ё folded as the matcher does, results as `monitor search` gives them.
    page.goto(served.url)
    box = page.get_by_role("searchbox", name="search the archive")
    box.fill("ведет")
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    assert urllib.parse.unquote(page.url.split("q=", 1)[1]) == "ведет"
    results = page.locator("div.result")
    assert results.count() == 1
    assert "Тартусе" in results.first.inner_text()

    # The largest story: a lane per outlet, a dot per article, the dot links to its row.
    page.get_by_role("link", name="Stories").first.click()
    page.locator("table.stories tbody tr a").first.click()
    page.wait_for_url("**/stories/*")
    dots = page.locator("svg.lanes circle.dot")
    rows = page.locator("table.members tbody tr")
    assert dots.count() == rows.count() >= 1
    dots.first.click()
    assert page.url.endswith(f"#article-{rows.first.get_attribute('id').removeprefix('article-')}")

    # The hostile article's markup stays text; its javascript: link is no link at all.
    page.goto(served.url + f"explain?topic=russia-syria-bases&article={archive.hostile_article}")
    assert '<script>alert("x")</script>' in page.locator("main .card").first.inner_text()
    assert page.locator("a[href^='javascript']").count() == 0

    page.goto(served.url + "sources")
    assert page.locator("td.bad", has_text="failing").count() == 1
