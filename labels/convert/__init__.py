"""Move labeled records to and from Label Studio, Argilla 2.x and Prodigy.

``export_records`` writes the tool's file plus what is needed to create the
project (Label Studio labeling config XML, Argilla dataset settings JSON);
``import_records`` reads the tool's export back, refusing labels the taxonomy
does not define. Export then import gives back the same records.
"""
from __future__ import annotations

import json
from pathlib import Path

from classify.errors import InputError
from classify.io import atomic_output
from labels.convert import argilla, label_studio, prodigy
from labels.records import LabeledRecord
from labels.taxonomy import Taxonomy

TOOLS = ("label-studio", "argilla", "prodigy")


def _write_json(payload, path: Path) -> None:
    with atomic_output(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=1)
        handle.write("\n")


def companion_path(out, tool: str) -> Path | None:
    """Where export writes the project setup file beside the records (None for Prodigy)."""
    out = Path(out)
    if tool == "label-studio":
        return out.with_name(out.stem + ".label_config.xml")
    if tool == "argilla":
        return out.with_name(out.stem + ".settings.json")
    return None


def export_records(records: list[LabeledRecord], tool: str, out, taxonomy: Taxonomy) -> list[Path]:
    """Write ``records`` for ``tool``; returns the files written (records file first)."""
    out = Path(out)
    if tool == "label-studio":
        _write_json(label_studio.to_tasks(records), out)
        config = companion_path(out, tool)
        with atomic_output(config, "w", encoding="utf-8") as handle:
            handle.write(label_studio.labeling_config(taxonomy))
        return [out, config]
    if tool == "argilla":
        _write_json(argilla.to_records(records), out)
        settings = companion_path(out, tool)
        _write_json(argilla.dataset_settings(taxonomy), settings)
        return [out, settings]
    if tool == "prodigy":
        with atomic_output(out, "w", encoding="utf-8", newline="\n") as handle:
            for task in prodigy.to_tasks(records, taxonomy):
                handle.write(json.dumps(task, ensure_ascii=False) + "\n")
        return [out]
    raise ValueError(f"unknown tool {tool!r}; choose one of {', '.join(TOOLS)}")


def _read_json_list(path: Path) -> list:
    """A JSON array, or JSON lines (one object per line)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 (byte {error.start})") from None
    if text.lstrip().startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(path, f"invalid JSON: {error.msg}", location=f"line {error.lineno}") from None
    return [item for _, item in _read_jsonl(path, text)]


def _read_jsonl(path: Path, text: str | None = None) -> list[tuple[int, object]]:
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputError(path, f"not UTF-8 (byte {error.start})") from None
    items = []
    # lines end at "\n" only: str.splitlines() also breaks at U+2028, U+0085, ... which texts may hold raw
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                items.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise InputError(path, f"invalid JSON: {error.msg} (column {error.colno})",
                                 location=f"line {number}") from None
    return items


def import_records(path, tool: str, taxonomy: Taxonomy) -> list[LabeledRecord]:
    """Read a tool's export (Label Studio JSON, Argilla records JSON, Prodigy JSONL) into records."""
    path = Path(path)
    if tool == "label-studio":
        records = label_studio.from_tasks(_read_json_list(path), taxonomy, path)
    elif tool == "argilla":
        records = argilla.from_records(_read_json_list(path), taxonomy, path)
    elif tool == "prodigy":
        records = prodigy.from_tasks(_read_jsonl(path), taxonomy, path)
    else:
        raise ValueError(f"unknown tool {tool!r}; choose one of {', '.join(TOOLS)}")
    if not records:
        raise InputError(path, f"no records in this {tool} export")
    return records
