"""``monitor coverage TOPIC --gdelt``: the outlets GDELT saw covering a story that our sources do not deliver."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from channel_kit import JSON, gdelt_artlist, write_config
from click.testing import CliRunner
from fetch_server import FeedServer, Reply, Seen
from sources_kit import RSS_TYPE

from monitor.cli import main
from monitor.config import load_config
from monitor.daemon import run_once
from monitor.pipeline.coverage import domain_of

NAVY = "Russian navy frigates left the naval facility at Tartus, satellite images show."


def test_registered_domains() -> None:
    assert domain_of("feeds.bbci.co.uk") == "bbci.co.uk" and domain_of("rss.dw.com") == "dw.com"
    assert domain_of("127.0.0.1") == "127.0.0.1" and domain_of("example.org") == "example.org"


def test_coverage_lists_the_outlets_gdelt_saw_that_we_do_not_poll(server: FeedServer, tmp_path: Path) -> None:
    ours = server.url("/world/tartus")
    server.routes["/feed.xml"] = Reply(
        200,
        RSS_TYPE,
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Ours</title><link>http://x/</link>'
            f"<item><title>Frigates leave Tartus</title><link>{ours}</link><description>{NAVY}</description></item>"
            "</channel></rss>"
        ).encode(),
    )
    calls: list[dict[str, list[str]]] = []

    def doc(seen: Seen) -> Reply:
        params = parse_qs(urlsplit(seen.path).query)
        calls.append(params)
        if params["timespan"] == ["1d"]:  # the source's own poll: nothing new
            return Reply(200, JSON, b"{}")
        return Reply(
            200,
            JSON,
            gdelt_artlist(
                [
                    ("https://www.coastherald.example/2025/tartus-ships", "Ships leave Tartus", "coastherald.example"),
                    (ours, "Frigates leave Tartus", "127.0.0.1"),
                    ("https://levant.example/news/1", "Navy moves at the Syrian coast", "levant.example"),
                    (
                        "https://coastherald.example/2025/tartus-analysis",
                        "What the Tartus move means",
                        "coastherald.example",
                    ),
                ]
            ),
        )

    server.routes["/api/v2/doc/doc"] = doc
    sources = [
        {"name": "Ours", "url": server.url("/feed.xml")},
        {"name": "GDELT", "type": "gdelt", "query": "Tartus", "url": server.url("/api/v2/doc/doc")},
    ]
    path = write_config(tmp_path, sources, server.url("/hook"), fetch_articles=False)
    asyncio.run(run_once(load_config(path, {"HOOK_SECRET": ""})))

    args = ["coverage", "russia-syria-bases", "--gdelt", "--since", "12h", "-c", str(path)]
    result = CliRunner().invoke(main, args)  # sends nothing: the webhook's ${HOOK_SECRET} need not be set
    assert result.exit_code == 0, result.output
    assert calls[-1]["query"] == ["Tartus"] and calls[-1]["timespan"] == ["720min"]
    lines = result.output.splitlines()
    assert lines[0].startswith("GDELT: 4 articles from 3 outlets (1 stored by us too); russia-syria-bases: 1 hits")
    assert "our outlets: 127.0.0.1 (1)" in lines
    missing = [line.split()[0] for line in lines[lines.index(next(x for x in lines if "none of our" in x)) + 1 :]]
    assert missing == ["coastherald.example", "levant.example"]

    as_json = CliRunner().invoke(main, [*args, "--format", "json", "--query", "Khmeimim"], env={"HOOK_SECRET": ""})
    data = json.loads(as_json.output)
    assert calls[-1]["query"] == ["Khmeimim"] and data["missing"][0]["articles"] == 2


def test_coverage_needs_a_query_or_a_gdelt_source(tmp_path: Path) -> None:
    path = write_config(tmp_path, [{"name": "Ours", "url": "http://127.0.0.1:1/feed.xml"}], "http://127.0.0.1:1/h")
    result = CliRunner().invoke(
        main, ["coverage", "russia-syria-bases", "--gdelt", "-c", str(path)], env={"HOOK_SECRET": ""}
    )
    assert result.exit_code == 2 and "give --query" in result.output
