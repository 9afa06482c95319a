"""What the theme and claim trainers share about their labeled files: how a file is named in the
metadata and per-source metrics, and one labeling per post."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from classify.errors import InputError


def display_path(path: Path) -> str:
    """The path relative to the working folder when below or beside it, so metadata does not depend on the machine.

    Symbolic links are kept as written: a data folder linked in beside the checkout reads as beside it."""
    try:
        relative = os.path.relpath(os.path.abspath(path))
    except ValueError:
        return str(path)
    return relative if not relative.startswith("../../") else str(path)


def source_names(paths: Iterable) -> list[str]:
    """Each file's name in metrics and post keys: its file name, or its :func:`display_path` when another
    file has the same name (their rows and posts must not be taken for one source's)."""
    paths = [Path(path) for path in paths]
    names = [path.name for path in paths]
    return [path.name if names.count(path.name) == 1 else display_path(path) for path in paths]


def require_one_labeling_per_post(records: Iterable, path) -> None:
    """Refuse a post labeled on two lines of one file (several annotators' labels not merged yet): its
    rows would be trained on twice, and cross-validation could score one copy with a model that saw the other."""
    first_line: dict[str, str] = {}
    for record in records:
        line = record.source.rsplit(":", 1)[-1]
        if first_line.setdefault(record.id, line) != line:
            raise InputError(path, f"post {record.id!r} is labeled again (first on line {first_line[record.id]}); "
                                   "merge the annotators' labels first (classify labels merge)",
                             location=f"line {line}")


def _first_repeat(paths: list) -> tuple[int, int] | None:
    """(index of the first mention, index of the repeat) of the first file named twice, under any spelling."""
    first: dict[Path, int] = {}
    for i, path in enumerate(paths):
        earlier = first.setdefault(Path(path).resolve(), i)
        if earlier != i:
            return earlier, i
    return None


def require_distinct_files(paths: Iterable) -> None:
    """Refuse a labeled file given twice (under any name): each of its posts would count twice."""
    paths = list(paths)
    repeat = _first_repeat(paths)
    if repeat:
        first, again = repeat
        raise InputError(paths[again], f"given twice (first as {paths[first]}): each of its posts would count twice")


def require_listed_once(paths: list[str], config_path) -> None:
    """Refuse a config listing one labeled file in two [[data]] entries: its rows would be trained on twice and
    held-out metrics would score rows the model saw."""
    repeat = _first_repeat(paths)
    if repeat:
        first, again = repeat
        raise InputError(config_path, f"data.{again}.path is data.{first}.path again: its rows would be trained on "
                                      "twice and held-out metrics would score rows the model saw (list the splits "
                                      "in one entry)")
