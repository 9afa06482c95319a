"""Which reader reads an input: format names, detection by sniffing, expansion of folders and globs."""
from __future__ import annotations

import glob
import importlib
import inspect
from pathlib import Path
from types import ModuleType

from classify.errors import InputError

FORMATS: dict[str, tuple[str, dict]] = {
    "desktop-json": ("classify.ingest.desktop_json", {}),
    "desktop-html": ("classify.ingest.desktop_html", {}),
    "telethon": ("classify.ingest.telethon", {"layout": "telethon"}),
    "table": ("classify.ingest.telethon", {"layout": "table"}),
    "web-preview": ("classify.ingest.web_preview", {}),
}
"""format name -> (reader module, fixed options of its ``read``)"""

_SNIFF_ORDER = ("desktop-json", "desktop-html", "telethon", "web-preview")
HEAD_BYTES = 64 * 1024
_GLOB_CHARS = frozenset("*?[")


def reader(name: str) -> ModuleType:
    """The reader module of a format name."""
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[name][0])


def _head(path: Path) -> bytes:
    if path.is_dir():
        return b""
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


def detect_format(path) -> str:
    """The format name of a file or export folder, found by asking each reader's ``sniff``."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    head = _head(path)
    if not path.is_dir() and not head:
        raise InputError(path, "empty file")
    for name in _SNIFF_ORDER:
        module = reader(name)
        if module.sniff(path, head):
            if name == "telethon":
                return module.detect_layout(path, head)
            return name
    raise InputError(path, f"cannot tell the input format; give --format ({', '.join(FORMATS)})")


def _folder_inputs(folder: Path, format: str | None) -> list[tuple[Path, str]]:
    """A folder is an export (result.json, messages*.html) or a folder of input files."""
    result = folder / "result.json"
    if result.is_file() and format in (None, "desktop-json"):
        return [(result, "desktop-json")]
    for name in (format,) if format else _SNIFF_ORDER:
        if reader(name).sniff(folder, b""):
            return [(folder, name)]
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError(folder, "empty folder: no export or input files in it")
    return [(p, format or detect_format(p)) for p in files]


def expand_inputs(paths, format: str | None = None) -> list[tuple[Path, str]]:
    """``(path, format name)`` for each input: files, export folders, folders of files, glob patterns."""
    if format is not None:
        reader(format)  # unknown names fail before any file is opened
    if isinstance(paths, (str, Path)):
        paths = [paths]
    inputs: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists() and _GLOB_CHARS & set(str(raw)):
            matches = sorted(glob.glob(str(raw), recursive=True))
            if not matches:
                raise InputError(raw, "no files match this pattern")
            inputs.extend(expand_inputs(matches, format))
        elif path.is_dir():
            inputs.extend(_folder_inputs(path, format))
        elif not path.exists():
            raise InputError(path, "no such file or folder")
        else:
            inputs.append((path, format or detect_format(path)))
    if not inputs:
        raise InputError("<inputs>", "no input given")
    return _one_per_export(inputs)


def _one_per_export(inputs: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    """Pages of an HTML export (messages.html, messages2.html, ...) are read as their folder, once."""
    unique = {}
    for path, name in inputs:
        if name == "desktop-html" and not path.is_dir():
            path = path.parent
        unique.setdefault((path.resolve(), name), (path, name))
    return list(unique.values())


def read_options(name: str, options: dict) -> dict:
    """The options a format's ``read`` accepts: its fixed ones plus those of ``options`` it names."""
    fixed = FORMATS[name][1]
    parameters = inspect.signature(reader(name).read).parameters
    accepted = {key: value for key, value in options.items()
                if value is not None and key in parameters
                and parameters[key].kind is inspect.Parameter.KEYWORD_ONLY}
    return {**accepted, **fixed}
