"""`monitor extract`: one page as JSON or text, and --batch DIR as JSON Lines with a progress bar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import extract as extract_cli
from monitor.cli import main

PARAGRAPH = "<p>Russian and Syrian officials met again in Tartus on the future of the naval base there.</p>"
PAGE = (
    "<html lang='en'><head><title>Tartus talks resume | Demo</title>"
    "<meta property='article:published_time' content='2025-02-17T10:00:00Z'></head>"
    "<body><nav><a href='/'>Home</a></nav><article><h1>Tartus talks resume</h1>"
    + PARAGRAPH * 6
    + "</article></body></html>"
)
FRONT = (
    "<html><body>"
    + "".join(f"<h2><a href='/s{i}'>Story number {i} of today</a></h2>" for i in range(20))
    + "</body></html>"
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def make_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.html").write_text(PAGE, encoding="utf-8")
    (folder / "nested" / "front.htm").write_text(FRONT, encoding="utf-8")
    (folder / "nested" / "broken.html").write_bytes(b"\xff\xfe\x00<html" * 50)
    (folder / "notes.txt").write_text("not a page", encoding="utf-8")
    return folder


def test_single_page_as_text(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    code, out, _ = invoke("extract", str(page), "--format", "text")
    assert code == 0
    title, blank, *body = out.splitlines()
    assert (title, blank) == ("Tartus talks resume", "")
    assert body[0].startswith("Russian and Syrian officials") and "Home" not in out


def test_missing_file_exits_1_with_its_name(tmp_path: Path) -> None:
    code, _, err = invoke("extract", str(tmp_path / "nope.html"))
    assert code == 1 and "nope.html" in err


def test_batch_writes_one_json_line_per_page_with_its_file_name(tmp_path: Path) -> None:
    code, out, err = invoke("extract", "--batch", str(make_folder(tmp_path)))
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in records] == ["a.html", "nested/broken.html", "nested/front.htm"]
    by_file = {r["file"]: r for r in records}
    assert by_file["a.html"]["title"] == "Tartus talks resume"
    assert by_file["a.html"]["published"].startswith("2025-02-17T10:00:00")
    assert by_file["a.html"]["skip_reason"] is None
    assert by_file["nested/front.htm"]["text"] == "" and by_file["nested/front.htm"]["skip_reason"]
    assert by_file["nested/broken.html"]["text"] == ""
    # No terminal on stderr: no progress bar to pollute a log.
    assert err == ""


def test_batch_shows_a_progress_bar_on_stderr_when_it_is_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract_cli, "_stderr_is_tty", lambda: True)
    code, out, err = invoke("extract", "--batch", str(make_folder(tmp_path)))
    assert code == 0
    assert "extracting" in err
    assert len(out.splitlines()) == 3 and "extracting" not in out


def test_batch_reports_an_unreadable_file_and_goes_on(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "dangling.html").symlink_to(tmp_path / "gone.html")
    (folder / "z.html").write_text(PAGE, encoding="utf-8")
    code, out, _ = invoke("extract", "--batch", str(folder))
    assert code == 0
    records = {r["file"]: r for r in map(json.loads, out.splitlines())}
    assert records["z.html"]["title"] == "Tartus talks resume"
    assert "dangling.html" not in records  # not a regular file: skipped, like any non-page


def test_batch_of_an_empty_folder_fails(tmp_path: Path) -> None:
    code, _, err = invoke("extract", "--batch", str(tmp_path))
    assert code == 1 and "no .html" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract"], "missing FILE_OR_URL"),
        (["extract", "x.html", "--batch", "."], "not both"),
        (["extract", "--batch", ".", "--format", "text"], "JSON Lines"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    code, _, err = invoke(*args)
    assert code == 2 and message in err


def test_batch_records_yield_the_read_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone.html"
    assert list(extract_cli.batch_records(tmp_path, [missing])) == [
        {"file": "gone.html", "error": "No such file or directory"}
    ]
