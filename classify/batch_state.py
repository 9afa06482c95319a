"""What a batch run keeps on disk: the work directory's manifest and parts, and the since-last state.

Work directory ``<output>.parts/``
    ``manifest.json`` fingerprints the run (each input's size and sha256, the
    model's sha256, chunk size, output format, reading and tagging options, since-last
    baseline). ``part-NNNNNNN.<ext>`` is chunk N of the inputs, tagged, in the
    output format; ``part-NNNNNNN.keys.json`` beside it holds its counts and
    since-last keys. Both are written atomically, the part last: a part on disk
    is a finished chunk.

Since-last state ``<output>.state.json`` (kept by ``--since-last`` runs only)
    What the output holds, per channel: the highest ``message_id`` tagged
    (Telegram message ids only grow inside a channel), plus the ids of posts
    without a message id, the row count, the output's and the model's sha256, and
    whether its rows hold the post texts (``--no-text`` runs leave them out).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable

import pandas as pd

from classify.errors import InputError
from classify.io import atomic_output

MANIFEST_VERSION = 1
STATE_VERSION = 1
PART_EXTENSIONS = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet"}


def work_dir_for(output) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".parts")


def state_path_for(output) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".state.json")


def part_path(work: Path, chunk_index: int, fmt: str) -> Path:
    return work / f"part-{chunk_index:07d}{PART_EXTENSIONS[fmt]}"


def keys_path(part: Path) -> Path:
    return part.with_name(part.name.rsplit(".", 1)[0] + ".keys.json")


def write_part(part: Path, payload: bytes, keys: dict) -> None:
    with atomic_output(keys_path(part), "w", encoding="utf-8") as handle:
        json.dump(keys, handle)
    # The part is the completion marker, so it is written last.
    with atomic_output(part, "wb") as handle:
        handle.write(payload)


def read_keys(part: Path) -> dict:
    return json.loads(keys_path(part).read_text(encoding="utf-8"))


def sha256_of(path: Path) -> str:
    """sha256 of a file, or of the files of a folder in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def make_manifest(paths: list[Path], *, model_sha256: str, chunk_size: int, output_format: str,
                  options: dict, since_last_baseline: str | None) -> dict:
    return {"version": MANIFEST_VERSION,
            "inputs": [{"path": str(path), "bytes": _size(path), "sha256": sha256_of(path)} for path in paths],
            "model_sha256": model_sha256, "chunk_size": chunk_size, "output_format": output_format,
            "options": options, "since_last_baseline": since_last_baseline}


_CHANGES = {"version": "the work directory comes from another version", "inputs": "the inputs changed",
            "model_sha256": "the model changed", "chunk_size": "the chunk size changed",
            "output_format": "the output format changed", "options": "the reading or tagging options changed",
            "since_last_baseline": "the since-last state changed"}


def check_manifest(work: Path, wanted: dict) -> None:
    """Raise InputError saying what changed when the interrupted run's manifest differs from this run's."""
    path = work / "manifest.json"
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(path, f"cannot resume: unreadable manifest ({error})") from None
    for key, change in _CHANGES.items():
        if found.get(key) != wanted.get(key):
            raise InputError(path, f"cannot resume: {change} since the interrupted run; run again without --resume")


def save_manifest(work: Path, manifest: dict) -> None:
    with atomic_output(work / "manifest.json", "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)


def chunk_keys(posts: int, tags: pd.DataFrame) -> dict:
    """Counts and since-last keys of a tagged chunk: highest message id per channel, ids without one."""
    keyed = tags["message_id"].notna() if "message_id" in tags else pd.Series(False, index=tags.index)
    highest = tags.loc[keyed].groupby("channel", sort=True)["message_id"].max() if keyed.any() else {}
    return {"posts": posts, "rows": len(tags),
            "max_message_id": {str(channel): int(value) for channel, value in dict(highest).items()},
            "ids": sorted(str(value) for value in tags.loc[~keyed, "id"].dropna())}


class SinceLastState:
    """What an output already holds; :meth:`new_posts` filters a chunk down to the posts not tagged yet."""

    def __init__(self, model_sha256: str, max_message_id: dict[str, int] | None = None, ids: Iterable[str] = (),
                 rows: int = 0, output_sha256: str | None = None, include_text: bool | None = None):
        self.model_sha256 = model_sha256
        self.include_text = include_text  # None: a state written before it was recorded
        self.max_message_id = dict(max_message_id or {})
        self.ids = set(ids)
        self.rows = rows
        self.output_sha256 = output_sha256

    @classmethod
    def load(cls, path: Path) -> "SinceLastState":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
                raise InputError(path, f"since-last state version {data.get('version')!r}, expected {STATE_VERSION}")
            return cls(data["model_sha256"], data["max_message_id"], data["ids"], data["rows"], data["output_sha256"],
                       data.get("include_text"))
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise InputError(path, f"unreadable since-last state: {error}") from None

    def new_posts(self, posts: pd.DataFrame) -> pd.DataFrame:
        if not len(posts):
            return posts
        highest = posts["channel"].astype("string").map(self.max_message_id).astype("Float64")
        message_ids = posts["message_id"].astype("Float64")
        keyed = message_ids.notna()
        new = (keyed & (highest.isna() | (message_ids > highest))).fillna(False)
        if (~keyed).any():
            new |= ~keyed & ~posts["id"].astype("string").isin(self.ids).fillna(False)
        return posts.loc[new.astype(bool).to_numpy()]

    def add(self, keys: dict) -> None:
        self.rows += keys["rows"]
        for channel, value in keys["max_message_id"].items():
            self.max_message_id[channel] = max(value, self.max_message_id.get(channel, value))
        self.ids.update(keys["ids"])

    def save(self, path: Path, output_sha256: str) -> None:
        data = {"version": STATE_VERSION, "model_sha256": self.model_sha256, "output_sha256": output_sha256,
                "rows": self.rows, "include_text": self.include_text,
                "max_message_id": dict(sorted(self.max_message_id.items())),
                "ids": sorted(self.ids)}
        with atomic_output(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
