import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from classify.cli import main

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "examples" / "sample_export" / "result.json"
FIXTURES = Path(__file__).parent / "fixtures"


def _run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_help_lists_ingest():
    result = _run("--help")
    assert result.exit_code == 0
    assert "ingest" in result.output
    assert "--drop-duplicates" in _run("ingest", "--help").output


def test_main_command_writes_the_table_and_a_summary(tmp_path):
    out = tmp_path / "out" / "posts.jsonl"
    result = _run("ingest", SAMPLE, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"{out}: 31 posts, 1 duplicates flagged, 2 service messages ignored"
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 31 and {"id", "lang", "duplicate_of"} <= set(records[0])


def test_options_reach_the_library(tmp_path):
    out = tmp_path / "posts.parquet"
    result = _run("ingest", FIXTURES / "web_preview_ministry.txt", SAMPLE, "-o", out, "--drop-duplicates",
                  "--channel", "borelia", "--chats", "all")
    assert result.exit_code == 0, result.output
    posts = pd.read_parquet(out)
    assert len(posts) == 6 + 31 - 2  # one repeat in each input left out
    assert posts["channel"].iloc[0] == "borelia"
    forced = _run("ingest", FIXTURES / "plain_posts.jsonl", "-o", tmp_path / "t.csv", "--format", "telethon")
    assert forced.exit_code == 0, forced.output


@pytest.mark.parametrize("content, message", [
    (b'{"id": 1, "text": "Talks in Oslo."}\n{"id": 2, "text": "Tal', "line 2: truncated JSON"),
    ('{"id": 1, "text": "Переговоры"}\n'.encode("cp1251"), "line 1, byte 19: not UTF-8"),
    (b"", "empty file"),
])
def test_bad_input_exits_2_with_one_line_and_leaves_no_file(tmp_path, content, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    out = tmp_path / "posts.parquet"
    result = _run("ingest", SAMPLE, bad, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr and str(bad) in result.stderr
    assert list(tmp_path.iterdir()) == [bad]  # neither the table nor a temporary part file


def test_skip_bad_keeps_going_and_reports(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "Talks in Oslo."}\n{"id": 2, "text": Tal}\n', encoding="utf-8")
    result = _run("ingest", bad, "-o", tmp_path / "posts.jsonl", "--skip-bad")
    assert result.exit_code == 0
    assert "1 posts" in result.stderr and "1 records skipped: 1 x invalid JSON" in result.stderr


def test_csv_without_text_column_and_missing_input(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("id,body\n1,Переговоры\n", encoding="utf-8")
    result = _run("ingest", table, "-o", tmp_path / "posts.jsonl")
    assert result.exit_code == 2 and "columns found: id, body" in result.stderr
    missing = _run("ingest", tmp_path / "nope.json", "-o", tmp_path / "posts.jsonl")
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr
    assert not (tmp_path / "posts.jsonl").exists()


def test_unknown_output_suffix(tmp_path):
    result = _run("ingest", SAMPLE, "-o", tmp_path / "posts.xlsx")
    assert result.exit_code == 2 and "output format" in result.stderr


def test_jobs_give_the_same_table_as_one_process(tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert _run("ingest", SAMPLE, FIXTURES / "web_preview_ministry.txt", "-o", one).exit_code == 0
    result = _run("ingest", SAMPLE, FIXTURES / "web_preview_ministry.txt", "-o", two, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert two.read_bytes() == one.read_bytes()
