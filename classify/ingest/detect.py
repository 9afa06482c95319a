"""Which reader reads an input: format names, detection by sniffing, expansion of folders and globs."""
from __future__ import annotations

import codecs
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
    not_utf8 = _not_utf8(head)
    if not_utf8:
        raise InputError(path, f"not UTF-8 text ({not_utf8[0]}); save the file as UTF-8", location=not_utf8[1])
    raise InputError(path, f"cannot tell the input format; give --format ({', '.join(FORMATS)})")


def _not_utf8(head: bytes) -> tuple[str, str] | None:
    """(what, where) when the file's first bytes are not UTF-8 text: every reader reads UTF-8 only."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                          (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if head.startswith(bom):
            return f"{encoding} byte order mark", "byte 0"
    if b"\0" in head:  # a binary file (gzip, zip, Parquet, ...), not text in another encoding
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3 or len(head) < HEAD_BYTES:  # else a character cut by the head's end
            return f"byte 0x{head[error.start]:02x}", f"byte {error.start}"
    return None


def _export_in(folder: Path, format: str | None) -> tuple[Path, str] | None:
    """The export a folder holds (its result.json, or the folder of messages*.html pages), if any."""
    result = folder / "result.json"
    if result.is_file() and format in (None, "desktop-json"):
        return result, "desktop-json"
    for name in (format,) if format else _SNIFF_ORDER:
        if reader(name).sniff(folder, b""):
            return folder, name
    return None


def _folder_inputs(folder: Path, format: str | None) -> list[tuple[Path, str]]:
    """A folder is an export (result.json, messages*.html) or a folder of input files and export folders."""
    export = _export_in(folder, format)
    if export:
        return [export]
    if (folder / "export_results.html").is_file() and (folder / "chats").is_dir():
        # Its pages do not say which chats are channels, so reading them all could take in private chats.
        raise InputError(folder, "a full-account HTML export: give the chat folders to read, "
                                 f"{folder / 'chats'} (every chat) or some of {folder / 'chats' / 'chat_*'}; "
                                 "a JSON export of the account reads its channels only")
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    inputs = []
    for entry in entries:
        if entry.is_file():
            inputs.append((entry, format or detect_format(entry)))
        elif entry.is_dir() and (export := _export_in(entry, format)):
            inputs.append(export)
    if not inputs:
        raise InputError(folder, "empty folder: no export, export folder or input file in it")
    return inputs


def folders_read_file_by_file(paths, format: str | None = None) -> list[Path]:
    """The folders among ``paths`` whose files :func:`expand_inputs` reads one by one (folders of inputs, not
    export folders): a file written into one of them would be read by the next run with the same inputs."""
    folders = [Path(raw) for raw in paths if not isinstance(raw, tuple) and Path(raw).is_dir()]
    return [folder for folder in folders if _export_in(folder, format) is None]


def expand_inputs(paths, format: str | None = None) -> list[tuple[Path, str]]:
    """``(path, format name)`` for each input: files, export folders, folders of files, glob patterns.

    The pairs of an earlier expansion are kept as they are, so that a caller that expanded the
    inputs (to check them) can pass them on to the readers without sniffing every file again.
    """
    if format is not None:
        reader(format)  # unknown names fail before any file is opened
    if isinstance(paths, (str, Path)):
        paths = [paths]
    inputs: list[tuple[Path, str]] = []
    for raw in paths:
        if isinstance(raw, tuple):
            inputs.append(raw)
            continue
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
    """Pages of an HTML export (messages.html, messages2.html, ...) are read as their folder, once; a
    folder also given with its result.json (the "HTML and JSON" export option) is read from the JSON only."""
    unique = {}
    for path, name in inputs:
        if name == "desktop-html" and not path.is_dir():
            path = path.parent
        unique.setdefault((path.resolve(), name), (path, name))
    json_folders = {key.parent for key, name in unique if name == "desktop-json" and key.name == "result.json"}
    return [pair for (key, name), pair in unique.items() if not (name == "desktop-html" and key in json_folders)]


def read_options(name: str, options: dict) -> dict:
    """The options a format's ``read`` accepts: its fixed ones plus those of ``options`` it names."""
    fixed = FORMATS[name][1]
    parameters = inspect.signature(reader(name).read).parameters
    accepted = {key: value for key, value in options.items()
                if value is not None and key in parameters
                and parameters[key].kind is inspect.Parameter.KEYWORD_ONLY}
    return {**accepted, **fixed}
