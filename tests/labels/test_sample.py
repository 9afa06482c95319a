import json

import pandas as pd
from click.testing import CliRunner

from classify.cli.labels import labels
from labels.records import read_labeled
from labels.sample import _allocate, sample_posts


def _posts():
    """Channel 'big' has 3 months x 10 posts, 'small' one month of 4; plus an empty, a duplicate, a repeat."""
    rows = []
    for month in (1, 2, 3):
        for i in range(10):
            rows.append({"id": f"big/{month}{i:02d}", "channel": "big", "date": f"2024-{month:02d}-{i + 1:02d}T10:00:00Z",
                         "text": f"Пост номер {i} за месяц {month}.", "lang": "ru", "duplicate_of": None})
    for i in range(4):
        rows.append({"id": f"small/{i}", "channel": "small", "date": f"2024-01-{i + 1:02d}T08:00:00Z",
                     "text": f"Small channel post {i}.", "lang": "en", "duplicate_of": None})
    rows.append({"id": "big/empty", "channel": "big", "date": "2024-01-20T00:00:00Z", "text": "  ", "lang": None,
                 "duplicate_of": None})
    rows.append({"id": "small/fwd", "channel": "small", "date": "2024-01-21T00:00:00Z", "text": "Small channel post 0.",
                 "lang": "en", "duplicate_of": "small/0"})
    rows.append({"id": "small/again", "channel": "small", "date": "2024-01-22T00:00:00Z",
                 "text": "small   CHANNEL post 1.", "lang": "en", "duplicate_of": None})
    frame = pd.DataFrame(rows)
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    return frame


def test_stratified_by_channel_and_month_skipping_duplicates():
    result = sample_posts(_posts(), 17, seed=3)
    ids = [r.id for r in result.records]
    assert len(ids) == len(set(ids)) == 17
    assert result.skipped == {"empty texts": 1, "duplicates": 1, "repeated texts": 1, "repeated ids": 0,
                              "already labeled": 0}
    assert result.per_stratum == {"big 2024-01": 5, "big 2024-02": 5, "big 2024-03": 5, "small 2024-01": 2}
    assert not {"big/empty", "small/fwd", "small/again"} & set(ids)
    first = result.records[0]
    assert first.themes is None and first.claims is None and first.suggestions is None
    assert set(first.meta) == {"stratum", "channel", "date"} and first.meta["date"].startswith("2024-")
    # strata are interleaved: the first four records come from four different strata
    assert len({r.meta["stratum"] for r in result.records[:4]}) == 4
    assert [r.id for r in sample_posts(_posts(), 17, seed=3).records] == ids  # same seed, same batch
    assert [r.id for r in sample_posts(_posts(), 17, seed=4).records] != ids


def test_a_repeated_id_is_chosen_once():
    # e.g. two CSV tables that both number their posts 1, 2, ...: a batch with one id twice cannot be merged
    posts = _posts()
    posts.loc[1, "id"] = posts.loc[0, "id"]
    posts.loc[2, "id"] = posts.loc[0, "id"]
    result = sample_posts(posts, 1000)
    ids = [r.id for r in result.records]
    assert len(ids) == len(set(ids)) == 32 and result.skipped["repeated ids"] == 2
    assert "2 repeated ids" in result.summary()


def test_equal_allocation_and_exclusions():
    result = sample_posts(_posts(), 8, allocation="equal", exclude_ids=["small/0"],
                          exclude_texts=["SMALL channel post 1. "])
    assert result.per_stratum == {"big 2024-01": 2, "big 2024-02": 2, "big 2024-03": 2, "small 2024-01": 2}
    assert result.skipped["already labeled"] == 2
    assert {r.id for r in result.records if r.id.startswith("small")} == {"small/2", "small/3"}
    everything = sample_posts(_posts(), 1000)
    assert len(everything.records) == 34


def test_allocation_is_proportional_with_largest_remainders():
    sizes = pd.Series({"a": 50, "b": 30, "c": 20, "d": 1})
    assert _allocate(sizes, 10, "proportional") == {"a": 5, "b": 3, "c": 2, "d": 0}
    assert _allocate(sizes, 3, "equal") == {"a": 1, "b": 1, "c": 1, "d": 0}
    assert _allocate(sizes, 200, "proportional") == {"a": 50, "b": 30, "c": 20, "d": 1}


class FakeModel:
    """Scores the 'security' theme by the post number: posts numbered near 5 sit at the threshold."""

    def predict_scores(self, texts, langs=None):
        scores = []
        for text in texts:
            number = int(text.split()[2]) if text.startswith("Пост") else 9
            scores.append({"security": number / 10, "economy": 0.05})
        return scores


def test_model_guided_sampling_prefers_unsure_posts_and_prefills_suggestions():
    result = sample_posts(_posts(), 6, model=FakeModel(), agent="fake-model")
    by_stratum = {}
    for record in result.records:
        by_stratum.setdefault(record.meta["stratum"], []).append(record)
    # each month of the big channel gives its two most uncertain posts: 0.5, then 0.4 or 0.6
    assert result.per_stratum == {"big 2024-01": 2, "big 2024-02": 2, "big 2024-03": 2}
    for month in ("01", "02", "03"):
        scores = sorted(r.suggestions["scores"]["security"] for r in by_stratum[f"big 2024-{month}"])
        assert scores in ([0.4, 0.5], [0.5, 0.6])
    unguided = sample_posts(_posts(), 6, seed=0)
    assert {r.id for r in unguided.records} != {r.id for r in result.records}
    record = next(r for r in result.records if r.suggestions["scores"]["security"] == 0.5)
    assert record.suggestions == {"themes": ["security"], "scores": {"security": 0.5, "economy": 0.05},
                                  "agent": "fake-model"}
    assert record.themes is None  # suggestions are never labels


def test_sample_command_writes_a_batch_that_validates(tmp_path):
    posts = tmp_path / "posts.jsonl"
    frame = _posts()
    frame["date"] = frame["date"].map(lambda d: d.isoformat())
    rows = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]
    posts.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    labeled = tmp_path / "done.jsonl"
    labeled.write_text(json.dumps({"id": "small/3", "text": "Small channel post 3.", "themes": []}) + "\n",
                       encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "batch.jsonl"
    result = runner.invoke(labels, ["sample", str(posts), "-n", "10", "-o", str(out), "--exclude", str(labeled)])
    assert result.exit_code == 0, result.output
    # read through classify.ingest, which flags the case-and-space repeat as a duplicate itself
    assert "10 posts chosen from 37 (4 channel-month strata); skipped: 1 empty texts, 2 duplicates, " \
           "1 already labeled" in result.output
    batch = read_labeled(out)
    assert len(batch) == 10 and "small/3" not in {r.id for r in batch}
    assert runner.invoke(labels, ["validate", str(out)]).exit_code == 0
    table = tmp_path / "posts.parquet"
    _posts().to_parquet(table)
    result = runner.invoke(labels, ["sample", str(table), "-n", "10", "-o", str(out), "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "skipped: 1 empty texts, 1 duplicates, 1 repeated texts" in result.output
    assert len(read_labeled(out)) == 10


class FakeThemes:
    def thresholds_for(self, lang="*"):
        return {"security": {"ru": 0.3, "en": 0.8}.get(lang, 0.5), "economy": 0.5}


class FakeTaggingModel:
    """Like classify.load_model's model: score 0.35 for every post, thresholds by language (ru 0.3, en 0.8)."""

    themes = FakeThemes()

    def predict_scores(self, texts, langs=None):
        assert langs is None or len(langs) == len(texts)
        return [{"security": 0.35, "economy": 0.0} for _ in texts]


def test_models_with_per_language_thresholds():
    mixed = pd.DataFrame({"id": [f"mix/{i}" for i in range(6)], "channel": "mix",
                          "date": pd.Timestamp("2024-05-01", tz="UTC"),
                          "lang": ["en", "ru", "en", "ru", "en", "en"],
                          "text": [f"Post {i} of a mixed channel." for i in range(6)]})
    result = sample_posts(mixed, 2, model=FakeTaggingModel(), seed=5)
    # every post scores 0.35: 0.05 from the Russian threshold, 0.45 from the English one
    assert sorted(r.id for r in result.records) == ["mix/1", "mix/3"]
    assert result.records[0].suggestions["themes"] == ["security"]
    assert result.records[0].suggestions["scores"] == {"security": 0.35, "economy": 0.0}
    english = sample_posts(mixed[mixed["lang"] == "en"], 2, model=FakeTaggingModel())
    assert all(r.suggestions["themes"] == [] for r in english.records)  # 0.35 < 0.8


def test_sample_command_with_a_real_model_bundle(tmp_path):
    """The model comes from classify.load_model: a bundle trained on the training tests' fixture posts."""
    from tests.training.theme_fixtures import make_posts, write_config
    from training.config import load_themes_config
    from training.train_themes import train_and_save_themes

    write_config(tmp_path)
    train_and_save_themes(load_themes_config(tmp_path / "themes.toml"), tmp_path / "model", cv_folds=3)
    pool = make_posts(60, seed=99)
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps({"id": f"chan/{i}", "channel": "chan", "date": f"2024-0{1 + i % 3}-01T00:00:00Z",
                                         "text": p["text"], "lang": p["lang"]}, ensure_ascii=False) + "\n"
                             for i, p in enumerate(pool)), encoding="utf-8")
    out = tmp_path / "batch.jsonl"
    runner = CliRunner()
    args = ["sample", str(posts), "-n", "9", "-o", str(out), "--model", str(tmp_path / "model")]
    result = runner.invoke(labels, args + ["--taxonomy", str(tmp_path / "taxonomy.toml")])
    assert result.exit_code == 0, result.output
    batch = read_labeled(out)
    assert len(batch) == 9 and {r.meta["stratum"] for r in batch} == {"chan 2024-01", "chan 2024-02", "chan 2024-03"}
    from classify import load_model

    model = load_model(tmp_path / "model")
    for record in batch:
        assert record.suggestions["themes"] == model.predict([record.text], [record.lang])[0]
        assert record.themes is None and record.suggestions["agent"] == "model"
        assert set(record.suggestions["scores"]) == {"security", "economy", "arctic", "culture_science"}
    assert runner.invoke(labels, ["validate", "--taxonomy", str(tmp_path / "taxonomy.toml"), str(out)]).exit_code == 0


def test_sample_command_reads_export_folders_and_names_unusable_inputs(tmp_path):
    from classify.cli import main

    folder = tmp_path / "exports"
    folder.mkdir()
    posts = [{"id": f"c/{i}", "channel": "c", "date": "2024-05-0%dT10:00:00Z" % (i + 1),
              "text": f"Минфин сообщил о росте доходов бюджета на {i + 2}% 📈"} for i in range(3)]
    (folder / "c.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["labels", "sample", str(folder), "-n", "2", "-o", str(tmp_path / "batch.jsonl")])
    assert result.exit_code == 0, result.output
    assert len(read_labeled(tmp_path / "batch.jsonl")) == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("id,text\nz1,\nz2,  \n", encoding="utf-8")
    result = runner.invoke(main, ["labels", "sample", str(empty), "-n", "2", "-o", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2 and "empty.csv: no post left to choose" in result.output, result.output
    assert "2 empty texts" in result.output and not (tmp_path / "none.jsonl").exists()
    broken = tmp_path / "posts.parquet"
    broken.write_text("not parquet", encoding="utf-8")
    result = runner.invoke(main, ["labels", "sample", str(broken), "-n", "2", "-o", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2 and "posts.parquet: cannot read this Parquet file" in result.output


def test_a_negative_seed_is_a_usage_error(tmp_path):
    from classify.cli import main

    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "a", "text": "Минфин сообщил о росте доходов."}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["labels", "sample", str(posts), "-n", "1", "-o", str(tmp_path / "b.jsonl"),
                                       "--seed", "-1"])
    assert result.exit_code == 2 and "--seed" in result.output and "Traceback" not in result.output
