import json
from pathlib import Path

import pytest

from labels import load_taxonomy

EXAMPLES = Path(__file__).resolve().parents[2] / "labels" / "examples"


@pytest.fixture
def taxonomy():
    return load_taxonomy()


@pytest.fixture
def sample_path() -> Path:
    return EXAMPLES / "sample_ru_en.jsonl"


@pytest.fixture
def write_jsonl(tmp_path):
    """Write records (dicts, or raw strings written as they are) to a JSONL file, one per line."""

    def write(name, rows):
        path = tmp_path / name
        lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return write
