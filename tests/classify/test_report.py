import base64
import json
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from classify.errors import InputError
from classify.io import write_table
from classify.report import aggregate_tagged, read_tagged, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _claim(text, score, themes):
    return {"start": 0, "end": len(text), "text": text, "label": "checkworthy", "score": score, "themes": themes}


# Two channels, two weeks; numbers chosen so every share can be checked by hand.
TAGGED = [
    {"id": "mfa/1", "channel": "mfa", "message_id": 1, "date": "2024-03-04T09:00:00+00:00", "lang": "ru",
     "themes": ["security"], "theme_scores": {"security": 0.9, "economy": 0.1}, "views": 100, "reactions": 4,
     "claims": [_claim("НАТО перебросило к границе ещё две бригады.", 0.93, ["security"])]},
    {"id": "mfa/2", "channel": "mfa", "message_id": 2, "date": "2024-03-05T12:30:00+00:00", "lang": "ru",
     "themes": ["security", "economy"], "theme_scores": {"security": 0.7, "economy": 0.8}, "views": 100,
     "reactions": None,
     "claims": [_claim("Товарооборот вырос на 12% за год.", 0.88, ["economy"]),
                _claim("НАТО перебросило к границе ещё две бригады.", 0.95, ["security"])]},
    {"id": "mfa/3", "channel": "mfa", "message_id": 3, "date": "2024-03-12T08:00:00+00:00", "lang": "en",
     "themes": ["economy"], "theme_scores": {"security": 0.2, "economy": 0.9}, "views": 200, "reactions": 10,
     "claims": []},
    {"id": "mfa/4", "channel": "mfa", "message_id": 4, "date": "2024-03-13T08:00:00+00:00", "lang": "ru",
     "themes": ["security"], "theme_scores": {"security": 0.6, "economy": 0.3}, "views": None, "reactions": None,
     "claims": [_claim("Sanctions cost the EU 250 billion euros.", 0.41, ["economy", "security"])]},
    {"id": "north/7", "channel": "north", "message_id": 7, "date": "2024-03-06T10:00:00+00:00", "lang": "en",
     "themes": [], "theme_scores": {"security": 0.1, "economy": 0.2}, "views": 50, "reactions": 1, "claims": []},
    {"id": "north/8", "channel": "north", "message_id": 8, "date": "2024-03-14T10:00:00+00:00", "lang": "ru",
     "themes": ["arctic"], "theme_scores": {"security": 0.1, "economy": 0.1}, "views": 150, "reactions": None,
     "claims": [_claim("Ледокол прошёл Севморпуть за 9 суток.", 0.77, ["arctic"])]},
]


def _write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def tagged_jsonl(tmp_path) -> Path:
    return _write_jsonl(tmp_path / "tagged.jsonl", TAGGED)


def test_view_weighted_shares_leave_out_posts_without_views(tagged_jsonl):
    data = aggregate_tagged(read_tagged([tagged_jsonl]), weight="auto")
    assert data.weight == "views"  # 5 of 6 posts carry views
    assert (data.posts, data.weighted_posts) == (6, 5)
    # mfa: views 100 + 100 + 200 (post 4 has none); security = 200/400, economy = 300/400
    assert data.theme_shares.loc["mfa", "security"] == pytest.approx(0.5)
    assert data.theme_shares.loc["mfa", "economy"] == pytest.approx(0.75)
    assert data.theme_shares.loc["north", "arctic"] == pytest.approx(150 / 200)
    assert data.theme_shares.loc["north", "security"] == 0.0
    assert data.languages.loc["mfa", "ru"] == pytest.approx(0.5)
    assert data.languages.loc["mfa", "en"] == pytest.approx(0.5)
    assert data.channels.loc["mfa", "posts"] == 4


def test_post_counts_and_weekly_shares(tagged_jsonl):
    data = aggregate_tagged(read_tagged([tagged_jsonl]), weight="posts")
    assert data.theme_shares.loc["mfa", "security"] == pytest.approx(3 / 4)
    assert data.theme_shares.loc["north", "arctic"] == pytest.approx(1 / 2)
    weeks = [str(week.date()) for week in data.weekly.index]
    assert weeks == ["2024-03-04", "2024-03-11"]
    # week of 4 March: posts 1, 2 (mfa) and 7 (north, no theme): security in 2 of 3
    assert data.weekly.loc[pd.Timestamp("2024-03-04"), "security"] == pytest.approx(2 / 3)
    assert data.weekly.loc[pd.Timestamp("2024-03-11"), "arctic"] == pytest.approx(1 / 3)
    mfa_week2 = data.weekly_by_channel.query("channel == 'mfa' and theme == 'economy'")
    assert mfa_week2["share"].tolist() == pytest.approx([1 / 2, 1 / 2])
    assert str(data.first_date.date()) == "2024-03-04" and str(data.last_date.date()) == "2024-03-14"


def test_reactions_weight_uses_only_posts_with_reactions(tagged_jsonl):
    data = aggregate_tagged(read_tagged([tagged_jsonl]), weight="reactions")
    assert data.weighted_posts == 3
    assert data.theme_shares.loc["mfa", "security"] == pytest.approx(4 / 14)
    assert data.theme_shares.loc["mfa", "economy"] == pytest.approx(10 / 14)


def test_top_claims_are_distinct_best_first_and_listed_under_each_theme(tagged_jsonl):
    data = aggregate_tagged(read_tagged([tagged_jsonl]), top_claims=5)
    security = data.top_claims["security"]
    assert [claim["text"] for claim in security] == ["НАТО перебросило к границе ещё две бригады.",
                                                      "Sanctions cost the EU 250 billion euros."]
    assert security[0]["score"] == 0.95 and security[0]["post_id"] == "mfa/2"
    assert [claim["score"] for claim in data.top_claims["economy"]] == [0.88, 0.41]
    assert data.top_claims["arctic"][0]["date"] == "2024-03-14"


def test_top_claims_pruning_keeps_the_exact_top(tmp_path):
    rng = random.Random(7)
    rows = []
    for i in range(600):
        claims = [_claim(f"claim {rng.randrange(150)}", round(rng.random(), 4), ["security"]) for _ in range(2)]
        rows.append({"id": f"c/{i}", "channel": "c", "date": "2024-01-01T00:00:00+00:00", "lang": "ru",
                     "themes": ["security"], "claims": claims, "views": rng.randrange(1000)})
    best: dict[str, tuple] = {}
    for row in rows:
        for claim in row["claims"]:
            rank = (claim["score"], row["views"])
            best[claim["text"]] = max(best.get(claim["text"], rank), rank)
    expected = sorted(best, key=lambda text: best[text], reverse=True)[:3]
    data = aggregate_tagged(read_tagged([_write_jsonl(tmp_path / "c.jsonl", rows)], chunk_size=37), top_claims=3)
    assert [claim["text"] for claim in data.top_claims["security"]] == expected


def test_chunk_size_and_table_format_do_not_change_the_aggregates(tmp_path, tagged_jsonl):
    reference = aggregate_tagged(read_tagged([tagged_jsonl], chunk_size=1000))
    frame = pd.DataFrame(TAGGED)
    other_files = [write_table(frame, tmp_path / name) and tmp_path / name for name in ("t.csv", "t.parquet")]
    for source in [read_tagged([tagged_jsonl], chunk_size=2)] + [read_tagged([path], chunk_size=4)
                                                                 for path in other_files]:
        data = aggregate_tagged(source)
        pd.testing.assert_frame_equal(data.theme_shares, reference.theme_shares)
        pd.testing.assert_frame_equal(data.weekly, reference.weekly)
        pd.testing.assert_frame_equal(data.languages, reference.languages)
        assert data.top_claims == reference.top_claims


def test_bad_tagged_input_names_file_and_line(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(TAGGED[0]) + "\n" + '{"id": "x", "channel": "mfa", "themes": [\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.jsonl: line 2: invalid JSON"):
        aggregate_tagged(read_tagged([broken]))
    posts_only = _write_jsonl(tmp_path / "posts.jsonl", [{"id": "a", "channel": "mfa", "text": "hello"}])
    with pytest.raises(InputError, match="not a tag table: missing column"):
        aggregate_tagged(read_tagged([posts_only]))
    with pytest.raises(ValueError, match="weight must be one of"):
        aggregate_tagged(read_tagged([posts_only]), weight="likes")


def test_a_bad_cell_of_a_csv_tag_table_is_named_by_its_line(tmp_path):
    # posts hold line breaks, so a CSV record's line is not its number plus one
    rows = [["a", "mfa", "Line 1\nLine 2\nLine 3", '["economy"]'], ["b", "mfa", "x\ny", "[]"],
            ["c", "mfa", "z", "[broken"]]
    table = tmp_path / "tagged.csv"
    pd.DataFrame(rows, columns=["id", "channel", "text", "themes"]).to_csv(table, index=False)
    assert table.read_text(encoding="utf-8").splitlines()[6].startswith("c,mfa,z,")
    for chunk_size in (2, 50):
        with pytest.raises(InputError, match=r"tagged\.csv: line 7: column 'themes' is not JSON"):
            aggregate_tagged(read_tagged([table], chunk_size=chunk_size))


@pytest.mark.parametrize("cells, message", [
    ({"claims": ["a sentence, not a claim object"]}, r"claims\[0\] must be an object"),
    ({"claims": {"text": "one claim, not a list"}}, "'claims' must be a list"),
    ({"claims": [{"text": "x", "score": "high", "themes": []}]}, r"claims\[0\]: 'score' must be a number"),
    ({"claims": [{"text": "x", "score": 0.9, "themes": 7}]}, r"claims\[0\]: 'themes' must be a list"),
    ({"themes": 5}, "'themes' must be a list"),
])
@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_tag_table_of_another_shape_is_named_by_its_line(tmp_path, cells, message, suffix):
    # hand-edited or written by another tool: one error line, not a traceback nor claims left out unsaid
    rows = [dict(TAGGED[0]), {**TAGGED[1], **cells}]
    path = _write_jsonl(tmp_path / "tagged.jsonl", rows)
    if suffix == "csv":
        path = tmp_path / "tagged.csv"
        pd.DataFrame(rows).assign(**{column: lambda frame, column=column: frame[column].map(json.dumps)
                                     for column in ("themes", "theme_scores", "claims")}).to_csv(path, index=False)
    line = 3 if suffix == "csv" else 2  # the second post, after the CSV's header
    with pytest.raises(InputError, match=rf"tagged\.{suffix}: line {line}: {message}"):
        aggregate_tagged(read_tagged([path]))


def test_a_bad_cell_of_a_parquet_tag_table_is_named_by_its_row(tmp_path):
    # e.g. a CSV tag table saved as Parquet by pandas: the JSON cells stay strings
    rows = [{**TAGGED[i], "claims": json.dumps(TAGGED[i]["claims"]), "themes": json.dumps(TAGGED[i]["themes"])}
            for i in range(3)]
    rows[2]["claims"] = "[broken"
    table = tmp_path / "tagged.parquet"
    pd.DataFrame(rows).drop(columns="theme_scores").to_parquet(table)
    with pytest.raises(InputError, match=r"tagged\.parquet: row 3: column 'claims' is not JSON"):
        aggregate_tagged(read_tagged([table], chunk_size=2))


def test_report_folder_is_self_contained_and_deterministic(tmp_path, tagged_jsonl):
    index = write_report([tagged_jsonl], tmp_path / "one")
    page = index.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the report must not load network assets"
    assert "<script" not in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 4
    assert all(base64.b64decode(image).startswith(PNG_MAGIC) for image in images)
    for name in ("theme_shares", "themes_over_time", "themes_over_time_by_channel", "language_mix"):
        assert (tmp_path / "one" / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    assert "НАТО перебросило к границе ещё две бригады." in page
    assert "5 of 6 posts carry views" in page
    shares = pd.read_csv(tmp_path / "one" / "theme_shares.csv").set_index("channel")
    assert shares.loc["mfa", "economy"] == pytest.approx(0.75)
    again = write_report([tagged_jsonl], tmp_path / "two")
    assert again.read_bytes() == index.read_bytes()


def test_right_to_left_claims_keep_their_own_direction(tmp_path):
    # in a left-to-right page an Arabic or Hebrew sentence's final stop would be drawn at its start
    rows = [{"id": "a/1", "channel": "a", "lang": "other", "themes": ["diplomacy"],
             "claims": [_claim("الوزارة أعلنت عن 12 اتفاقية جديدة.", 0.9, ["diplomacy"])]}]
    page = write_report([_write_jsonl(tmp_path / "rtl.jsonl", rows)], tmp_path / "out").read_text("utf-8")
    assert '<td class="claim" dir="auto">الوزارة أعلنت عن 12 اتفاقية جديدة.</td>' in page


def test_report_without_claims_or_dates_says_so(tmp_path):
    rows = [{"id": f"a/{i}", "channel": "a", "lang": "ru", "themes": ["history"] if i % 2 else []} for i in range(4)]
    page = write_report([_write_jsonl(tmp_path / "plain.jsonl", rows)], tmp_path / "out").read_text("utf-8")
    assert "carries no claims" in page and "No dated posts" in page
    assert "Shares count posts" in page


def test_report_command(tmp_path, tagged_jsonl):
    from classify.cli import main

    result = CliRunner().invoke(main, ["report", str(tagged_jsonl), "-o", str(tmp_path / "rep"),
                                       "--weight", "posts", "--top-claims", "1"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "rep" / "index.html").read_text("utf-8")
    assert "Security and defence" in page  # theme names from the bundled taxonomy
    assert "Sanctions cost the EU" not in page  # only the best claim per theme
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(bad), "-o", str(tmp_path / "rep2")])
    assert result.exit_code == 2 and "bad.jsonl: line 1" in result.output


def test_an_output_folder_that_cannot_be_made_is_one_error_line(tmp_path, tagged_jsonl):
    from classify.cli import main

    # a file where a folder belongs: an OSError other than "no such file", once a traceback
    result = CliRunner().invoke(main, ["report", str(tagged_jsonl), "-o", str(tagged_jsonl / "report")])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("error: ") and "tagged.jsonl" in result.output, result.output


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium binary on PATH: install it (apt-get install chromium) to check the report renders")


def _headless(chromium: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=120, check=True)


def test_report_renders_in_a_headless_browser(tmp_path, tagged_jsonl):
    chromium = _chromium()
    index = write_report([tagged_jsonl], tmp_path / "rep")
    # A copy with a probe that counts images the browser failed to decode; the report itself has no script.
    probe = tmp_path / "rep" / "probe.html"
    probe.write_text(index.read_text("utf-8").replace(
        "</body>", "<script>window.addEventListener('load', () => { const imgs = [...document.images];"
        " document.body.dataset.images = imgs.length;"
        " document.body.dataset.broken = imgs.filter(i => !i.complete || i.naturalWidth === 0).length; });"
        "</script></body>"), encoding="utf-8")
    dom = _headless(chromium, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()).stdout
    assert 'data-images="4"' in dom and 'data-broken="0"' in dom
    assert "Theme shares per channel" in dom and "Top claims per theme" in dom

    shot = tmp_path / "shot.png"
    _headless(chromium, "--window-size=1200,1800", f"--screenshot={shot}", index.as_uri())
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] == 1800 and pixels.shape[1] == 1200
    assert pixels[..., :3].std() > 0.05, "the screenshot is blank"


def test_empty_tagged_tables_are_an_error_naming_them(tmp_path):
    from classify.cli import main

    empty_jsonl = tmp_path / "empty.jsonl"
    empty_jsonl.write_text("", encoding="utf-8")
    empty_csv = tmp_path / "empty.csv"
    empty_csv.write_text("id,channel,themes\n", encoding="utf-8")
    for path in (empty_jsonl, empty_csv):
        result = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "rep")])
        assert result.exit_code == 2, result.output
        assert result.output == f"error: {path}: no tagged posts to report on\n"
        assert not (tmp_path / "rep").exists()


def test_claims_column_without_claims_is_not_called_a_missing_claim_model(tmp_path):
    rows = [{"id": f"a/{i}", "channel": "a", "themes": ["history"], "claims": []} for i in range(3)]
    page = write_report([_write_jsonl(tmp_path / "t.jsonl", rows)], tmp_path / "out").read_text("utf-8")
    assert "No claim was found in the tagged posts" in page and "no claim model" not in page


def test_counted_posts_have_no_weight_columns(tmp_path, tagged_jsonl):
    page = write_report([tagged_jsonl], tmp_path / "out", weight="posts").read_text("utf-8")
    assert "<th>posts with posts</th>" not in page and "<th>total posts</th>" not in page
    page = write_report([tagged_jsonl], tmp_path / "views", weight="views").read_text("utf-8")
    assert "<th>posts with views</th><th>total views</th>" in page


def test_a_report_into_an_earlier_report_folder_drops_its_charts(tmp_path, tagged_jsonl):
    write_report([tagged_jsonl], tmp_path / "out")
    assert (tmp_path / "out" / "themes_over_time.png").is_file()
    undated = [{key: value for key, value in row.items() if key != "date"} for row in TAGGED]
    write_report([_write_jsonl(tmp_path / "undated.jsonl", undated)], tmp_path / "out")
    assert not (tmp_path / "out" / "themes_over_time.png").exists()
    assert not (tmp_path / "out" / "themes_over_time_by_channel.png").exists()
    assert (tmp_path / "out" / "theme_shares.png").is_file()


def test_dates_that_are_not_iso_are_counted_not_silently_dropped(tmp_path):
    rows = [dict(row) for row in TAGGED]
    rows[0]["date"] = "04.03.2024 09:00"  # as a spreadsheet saves it
    rows[1]["date"] = 1709631000000       # epoch milliseconds, as pandas.to_json writes it
    path = tmp_path / "tagged.csv"
    write_table(pd.DataFrame(rows), path)
    page = write_report([path], tmp_path / "out").read_text("utf-8")
    assert "2 posts have a date that is not an ISO 8601 date (e.g. &#x27;04.03.2024 09:00&#x27;)" in page
    assert "posts have a date" not in write_report([_write_jsonl(tmp_path / "ok.jsonl", TAGGED)],
                                                   tmp_path / "ok").read_text("utf-8")


def test_weighting_by_a_measure_no_post_carries_is_an_error(tmp_path):
    from classify.cli import main

    rows = [{key: value for key, value in row.items() if key != "views"} for row in TAGGED]
    path = _write_jsonl(tmp_path / "noviews.jsonl", rows)
    result = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "rep"), "--weight", "views"])
    assert result.exit_code == 2, result.output
    assert result.output == f"error: {path}: no post carries views to weight by; weight by posts (or auto)\n"
    assert write_report([path], tmp_path / "auto").is_file()  # auto falls back to reactions or posts


def test_the_same_tagged_file_twice_is_refused(tmp_path, tagged_jsonl):
    with pytest.raises(InputError, match="tagged.jsonl: given twice"):
        write_report([tagged_jsonl, tmp_path / "." / "tagged.jsonl"], tmp_path / "out")


def test_a_tagged_jsonl_with_a_byte_order_mark_is_read(tmp_path, tagged_jsonl):
    with_bom = tmp_path / "bom.jsonl"
    with_bom.write_bytes(b"\xef\xbb\xbf" + tagged_jsonl.read_bytes())
    plain, bom = (aggregate_tagged(read_tagged([path])) for path in (tagged_jsonl, with_bom))
    pd.testing.assert_frame_equal(plain.theme_shares, bom.theme_shares)
    assert bom.posts == len(TAGGED)
