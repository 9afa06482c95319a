import json

import pytest

from classify.errors import InputError
from labels.convert import TOOLS, companion_path, export_records, import_records
from labels.convert.label_studio import labeling_config
from labels.records import LabeledRecord, Span, read_labeled

TEXT = "🔥 Ночью сбили восемь беспилотников. Пострадавших нет."


def _edge_records():
    """Cases a converter can lose: one kind labeled only, nothing labeled, suggestions, skipped, emoji offsets."""
    return [
        LabeledRecord(id="claims-only", text="Unemployment fell to 4 percent.", lang="en",
                      claims=[Span(0, 31, "checkworthy")]),
        LabeledRecord(id="themes-only", text="Сегодня саммит БРИКС.", themes=["diplomacy"], annotator="olga"),
        LabeledRecord(id="none-apply", text="Доброе утро!", themes=[], claims=[], status="done", split="train"),
        LabeledRecord(id="todo", text=TEXT, meta={"channel": "demo", "nested": {"a": [1, 2]}},
                      suggestions={"themes": ["security", "ukraine"], "agent": "demo-model",
                                   "claims": [{"start": 2, "end": 35, "label": "checkworthy"}],
                                   "scores": {"security": 0.9, "ukraine": 0.55, "economy": 0.1}}),
        LabeledRecord(id="emoji", text=TEXT, themes=["security"], claims=[Span(36, 52, "checkworthy")]),
        LabeledRecord(id="skipped", text="Реклама.", status="rejected"),
        # characters Python's str.splitlines() breaks at, written raw in JSON lines
        LabeledRecord(id="separators", text="Строка\u2028вторая 🚀\x85 третья\x1c конец.", themes=["economy"],
                      claims=[Span(0, 6, "checkworthy")]),
        # meta of its own named like the key a tool keeps the post id under
        LabeledRecord(id="chan/10", text="Посол провёл 3 встречи.", themes=["diplomacy"],
                      meta={"id": 987654, "channel": "chan"}),
        # ... and like the metadata a tool keeps the suggestions' scores under
        LabeledRecord(id="chan/11", text="Exports grew 12%.", themes=["economy"],
                      meta={"suggestion_scores": "high", "label_kinds": "x"}),
        # an annotator's name without labels: assigned, or a task the annotator skipped
        LabeledRecord(id="assigned", text="Посол провёл 4 встречи.", annotator="olga"),
        LabeledRecord(id="passed", text="Реклама канала.", annotator="olga", status="skipped",
                      meta={"annotator": "someone else"}),
        # suggestions as `labels sample --model` writes them (no claims), and a model that found no claim
        LabeledRecord(id="sampled", text="Посол провёл 5 встреч.", suggestions={
            "themes": ["diplomacy"], "scores": {"diplomacy": 0.8, "economy": 0.1}, "agent": "default"}),
        LabeledRecord(id="no-claim-found", text="Доброе утро!", suggestions={
            "themes": [], "claims": [], "agent": "default"}),
    ]


@pytest.mark.parametrize("tool", TOOLS)
def test_export_then_import_gives_back_the_same_records(tool, tmp_path, taxonomy, sample_path):
    records = read_labeled(sample_path) + _edge_records()
    out = tmp_path / ("batch.jsonl" if tool == "prodigy" else "batch.json")
    written = export_records(records, tool, out, taxonomy)
    assert written[0] == out and all(path.is_file() for path in written)
    back = import_records(out, tool, taxonomy)
    assert [r.to_dict() for r in back] == [r.to_dict() for r in records]


def test_label_studio_tasks_use_choices_labels_and_predictions(tmp_path, taxonomy):
    export_records(_edge_records(), "label-studio", tmp_path / "ls.json", taxonomy)
    tasks = json.loads((tmp_path / "ls.json").read_text(encoding="utf-8"))
    emoji = tasks[4]
    assert emoji["data"]["text"] == TEXT and emoji["data"]["post_id"] == "emoji"
    choices, span = emoji["annotations"][0]["result"]
    assert (choices["type"], choices["from_name"], choices["to_name"]) == ("choices", "themes", "text")
    assert choices["value"] == {"choices": ["security"]}
    assert span["type"] == "labels" and span["value"] == {"start": 36, "end": 52, "text": "Пострадавших нет",
                                                          "labels": ["checkworthy"]}
    todo = tasks[3]
    assert "annotations" not in todo
    assert todo["predictions"][0]["model_version"] == "demo-model"
    assert todo["predictions"][0]["score"] == 0.55  # its least sure theme
    assert tasks[0]["data"]["label_kinds"] == ["claims"]
    config = (tmp_path / "ls.label_config.xml").read_text(encoding="utf-8")
    assert config == labeling_config(taxonomy)
    from lxml import etree

    root = etree.fromstring(config.encode())
    assert [c.get("value") for c in root.iter("Choice")] == taxonomy.theme_ids
    assert [c.get("value") for c in root.iter("Label")] == ["checkworthy"]
    assert root.find("Choices").get("choice") == "multiple" and root.find("Text").get("value") == "$text"


def test_label_studio_import_of_an_annotated_export(tmp_path, taxonomy):
    """Two annotators on one task, UTF-16 offsets after an emoji, a cancelled annotation."""
    task = {"id": 7, "data": {"text": TEXT, "post_id": "p7"}, "annotations": [
        {"completed_by": 3, "result": [
            {"id": "x", "from_name": "themes", "to_name": "text", "type": "choices",
             "value": {"choices": ["ukraine", "security"]}},
            {"id": "y", "from_name": "claims", "to_name": "text", "type": "labels",
             "value": {"start": 37, "end": 53, "text": "Пострадавших нет", "labels": ["checkworthy"]}}]},
        {"completed_by": {"id": 4, "email": "ivan@example.org"}, "result": []},
        {"completed_by": 5, "was_cancelled": True, "result": []}]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    first, second, third = import_records(path, "label-studio", taxonomy)
    assert (first.annotator, first.themes, first.claims) == ("3", ["ukraine", "security"], [Span(36, 52)])
    assert (second.annotator, second.themes, second.claims) == ("ivan@example.org", [], [])
    assert (third.status, third.themes) == ("skipped", None)


def test_import_refuses_unknown_labels_and_mismatched_spans(tmp_path, taxonomy):
    bad_theme = [{"data": {"text": "abc", "post_id": "1"}, "annotations": [{"result": [
        {"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": ["sports"]}}]}]}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad_theme), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.json: task 0 annotation\[0\]: unknown theme\(s\) sports"):
        import_records(path, "label-studio", taxonomy)
    bad_span = [{"data": {"text": "abc def", "post_id": "1"}, "annotations": [{"result": [
        {"from_name": "claims", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 3, "text": "def", "labels": ["checkworthy"]}}]}]}]
    path.write_text(json.dumps(bad_span), encoding="utf-8")
    with pytest.raises(InputError, match=r"span 0-3 reads 'abc', the tool quotes 'def'"):
        import_records(path, "label-studio", taxonomy)



def test_import_refuses_crossing_spans_of_one_label(tmp_path, taxonomy):
    # drawn in the tool, they would give a file that `validate`, training and agreement refuse
    text = "🇷🇺 Экспорт нефти вырос на 12%. Импорт упал."
    spans = [(3, 31), (10, 31)]
    task = {"data": {"text": text, "post_id": "p1"}, "annotations": [{"completed_by": 2, "result": [
        {"from_name": "claims", "to_name": "text", "type": "labels",
         "value": {"start": start, "end": end, "text": text[start:end], "labels": ["checkworthy"]}}
        for start, end in spans]}]}
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match=r"ls.json: task 0 annotation\[0\]: claims\[1\] span 10-31 crosses"):
        import_records(path, "label-studio", taxonomy)
    prodigy_task = {"text": text, "meta": {"id": "p1"}, "answer": "accept",
                    "spans": [{"start": start, "end": end, "label": "checkworthy"} for start, end in spans]}
    path = tmp_path / "prodigy.jsonl"
    path.write_text(json.dumps(prodigy_task, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"prodigy.jsonl: line 1.*crosses"):
        import_records(path, "prodigy", taxonomy)


def test_prodigy_import_refuses_a_file_in_the_project_format(tmp_path, taxonomy, sample_path):
    # its themes and claims are not Prodigy fields: read as tasks, every label would be dropped
    with pytest.raises(InputError, match=r"sample_ru_en.jsonl: line 1: a labeled record in the project format"):
        import_records(sample_path, "prodigy", taxonomy)


@pytest.mark.parametrize("tool, item, where", [
    ("label-studio", {"data": {"text": "abc", "post_id": "1"}, "annotations": [{"result": [None]}]}, "task 0"),
    ("label-studio", {"data": {"text": "abc", "post_id": "1"}, "annotations": [{"result": [
        {"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": 7}}]}]}, "task 0"),
    ("argilla", {"id": "1", "fields": {"text": "abc"}, "responses": {"themes": "economy"}}, "record 0"),
    ("argilla", {"id": "1", "fields": {"text": "abc"}, "metadata": 3}, "record 0"),
    ("prodigy", {"text": "abc", "meta": {"id": "1"}, "answer": "accept", "accept": 5}, "line 1"),
    ("prodigy", {"text": "abc", "meta": [1], "answer": "accept"}, "line 1"),
    # a span that is not an object: an error, not a claim dropped without a word
    ("prodigy", {"text": "abc", "meta": {"id": "1"}, "answer": "accept", "spans": [[0, 3, "checkworthy"]]}, "line 1"),
    ("argilla", {"id": "1", "fields": {"text": "abc"},
                 "responses": {"claims": [{"value": [[0, 3, "checkworthy"]], "user_id": "u1"}]}}, "record 0"),
])
def test_import_names_the_item_whose_shape_is_not_the_tools(tool, item, where, tmp_path, taxonomy):
    # hand-edited or other-version exports: one clear line, not a traceback
    path = tmp_path / ("export.jsonl" if tool == "prodigy" else "export.json")
    path.write_text(json.dumps(item) + "\n" if tool == "prodigy" else json.dumps([item]), encoding="utf-8")
    with pytest.raises(InputError, match=rf"export.jsonl?: {where}"):
        import_records(path, tool, taxonomy)

def test_argilla_records_and_settings(tmp_path, taxonomy):
    export_records(_edge_records(), "argilla", tmp_path / "ar.json", taxonomy)
    items = json.loads((tmp_path / "ar.json").read_text(encoding="utf-8"))
    todo = items[3]
    assert set(todo) == {"id", "fields", "metadata", "suggestions", "responses", "vectors", "_server_id"}
    assert todo["suggestions"]["themes"] == {"value": ["security", "ukraine"], "agent": "demo-model", "score": [0.9, 0.55]}
    assert todo["responses"] == {}
    assert items[1]["responses"] == {"themes": [{"value": ["diplomacy"], "user_id": "olga"}]}
    settings = json.loads((tmp_path / "ar.settings.json").read_text(encoding="utf-8"))
    themes, claims = settings["questions"]
    assert themes["settings"]["type"] == "multi_label_selection"
    assert [o["value"] for o in themes["settings"]["options"]] == taxonomy.theme_ids
    assert claims["settings"]["type"] == "span" and claims["settings"]["field"] == "text"


def test_argilla_import_groups_responses_by_user(tmp_path, taxonomy):
    item = {"id": "p1", "fields": {"text": "Abc. Def."}, "metadata": {"lang": "en", "channel": "c"},
            "suggestions": {}, "responses": {
                "themes": [{"value": ["economy"], "user_id": "u1"}, {"value": [], "user_id": "u2"},
                           {"value": ["arctic"], "user_id": "u3", "status": "draft"}],
                "claims": [{"value": [{"start": 0, "end": 4, "label": "checkworthy"}], "user_id": "u1"}]}}
    path = tmp_path / "a.json"
    path.write_text(json.dumps([item]), encoding="utf-8")
    u1, u2 = import_records(path, "argilla", taxonomy)
    assert (u1.annotator, u1.themes, u1.claims, u1.meta, u1.lang) == ("u1", ["economy"], [Span(0, 4)], {"channel": "c"}, "en")
    assert (u2.annotator, u2.themes, u2.claims) == ("u2", [], None)


def test_prodigy_tasks(tmp_path, taxonomy):
    export_records(_edge_records(), "prodigy", tmp_path / "p.jsonl", taxonomy)
    tasks = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").split("\n") if line]
    emoji, todo, rejected = tasks[4], tasks[3], tasks[5]
    assert emoji["answer"] == "accept" and emoji["accept"] == ["security"]
    assert emoji["spans"] == [{"start": 36, "end": 52, "label": "checkworthy"}] and emoji["meta"]["id"] == "emoji"
    assert [o["id"] for o in emoji["options"]] == taxonomy.theme_ids
    assert "answer" not in todo and todo["accept"] == ["security", "ukraine"]  # pre-filled for correction
    assert rejected["answer"] == "reject"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "meta": {"id": "1"}, "answer": "maybe"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl: line 1: unknown answer 'maybe'"):
        import_records(bad, "prodigy", taxonomy)


def test_companion_paths(tmp_path):
    assert companion_path(tmp_path / "b.json", "label-studio").name == "b.label_config.xml"
    assert companion_path(tmp_path / "b.json", "argilla").name == "b.settings.json"
    assert companion_path(tmp_path / "b.jsonl", "prodigy") is None


def test_export_and_import_commands(tmp_path, sample_path):
    from click.testing import CliRunner

    from classify.cli.labels import labels

    runner = CliRunner()
    result = runner.invoke(labels, ["export", str(sample_path), "--to", "label-studio", "-o", str(tmp_path / "t.json")])
    assert result.exit_code == 0, result.output
    assert "12 records ->" in result.output and (tmp_path / "t.label_config.xml").is_file()
    result = runner.invoke(labels, ["import", str(tmp_path / "t.json"), "--from", "label-studio",
                                    "-o", str(tmp_path / "back.jsonl")])
    assert result.exit_code == 0, result.output
    assert "12 records (12 labeled)" in result.output
    assert [r.to_dict() for r in read_labeled(tmp_path / "back.jsonl")] == [r.to_dict() for r in read_labeled(sample_path)]


@pytest.mark.shared
@pytest.mark.parametrize("tool", TOOLS)
def test_shared_gold_round_trips_through_every_tool(tool, tmp_path, taxonomy, shared_data):
    records = read_labeled(shared_data / "themes" / "telegram_ru_gold.jsonl")
    records += read_labeled(shared_data / "checkworthy" / "ct24_english_dev.tsv")[:200]
    out = tmp_path / ("gold.jsonl" if tool == "prodigy" else "gold.json")
    export_records(records, tool, out, taxonomy)
    back = import_records(out, tool, taxonomy)
    assert [r.to_dict() for r in back] == [r.to_dict() for r in records]
