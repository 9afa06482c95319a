"""Atomic, streaming writers for post and tag tables (JSONL, CSV, Parquet).

Every writer writes to a temporary file beside the target and renames it into
place only when the whole table was written, so a crash or a bad record never
leaves a partial output behind.
"""
from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import pandas as pd

from classify.errors import InputError

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")


def output_format(path) -> str:
    """The table format implied by a file name (``.jsonl``/``.json``, ``.csv``, ``.parquet``)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "parquet"):
        return suffix
    raise ValueError(f"{path}: cannot tell the output format; use .jsonl, .csv or .parquet")


def checked_output_format(output) -> str:
    """:func:`output_format` of an output a command is about to write; InputError naming it when the name
    does not say (checked before the work, not at the end)."""
    try:
        return output_format(output)
    except ValueError:
        raise InputError(output, "cannot tell the output format from the name; use .jsonl, .csv or .parquet") from None


def checked_input_format(path, what: str) -> str:
    """:func:`output_format` of a table a command is about to read (e.g. a tag table); InputError naming
    it when it is missing or its name does not say."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, f"{what} not found")
    try:
        return output_format(path)
    except ValueError:
        raise InputError(path, f"cannot tell the format of this {what} from the name; "
                               "use .jsonl, .csv or .parquet") from None


def refuse_output_among_inputs(output, inputs: Iterable, read_folders: Iterable = ()) -> None:
    """Refuse an output that is one of the (expanded) inputs, or a file of a folder whose files are read as
    inputs (``read_folders``): it would overwrite them, or be read as input by the next run."""
    target = Path(output).resolve()
    if (any(Path(path).resolve() == target for path in inputs)
            or any(Path(folder).resolve() == target.parent for folder in read_folders)):
        raise InputError(output, "the output is also an input (given as one, or inside an input folder); "
                                 "write it elsewhere")


def replace_folder(staging: Path, target: Path) -> None:
    """Put the finished folder ``staging`` (beside ``target``) in place of ``target``.

    Two renames: between them (microseconds) ``target`` is absent, never half-written, and the old
    folder is deleted only once the new one is in place."""
    if not target.exists():
        os.replace(staging, target)
        return
    previous = staging.with_suffix(".previous")
    os.replace(target, previous)
    os.replace(staging, target)
    shutil.rmtree(previous)


def current_umask() -> int:
    """The process umask (read by setting and restoring it), for files and folders made with private modes."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path, mode: str = "w", **open_kwargs) -> Iterator:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    os.chmod(tmp_name, 0o666 & ~current_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        with open(tmp_name, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _json_default(value):
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _plain(value):
    """Python value for JSON: NaN/NA/NaT become None, timestamps ISO strings."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _csv_cell(value):
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (list, dict, tuple)) or hasattr(value, "tolist"):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return value


_ARROW_TYPES = {
    "string": "large_string", "Int64": "int64", "boolean": "bool_", "float64": "float64", "Float64": "float64",
}


def arrow_schema(dtypes: Mapping[str, str], object_types: Mapping | None = None):
    """The Parquet (Arrow) schema of columns given as pandas dtype names.

    ``object`` columns (lists, dicts) need their Arrow type in ``object_types``.
    Writing with an explicit schema keeps every chunk's types the same, even a
    chunk where a column is all null.
    """
    import pyarrow as pa

    fields = []
    for name, dtype in dtypes.items():
        if dtype.startswith("datetime64[ns"):
            kind = pa.timestamp("ns", tz="UTC" if "UTC" in dtype else None)
        elif dtype == "object":
            if not object_types or name not in object_types:
                raise ValueError(f"column {name!r} holds Python objects: give its Arrow type")
            kind = object_types[name]
        else:
            kind = getattr(pa, _ARROW_TYPES[dtype])()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


class TableWriter:
    """Write record chunks to one JSONL, CSV or Parquet file, atomically.

    Use as a context manager; call :meth:`write` with a DataFrame or a list of
    dicts any number of times. Lists and dicts become JSON strings in CSV.
    ``schema`` (see :func:`arrow_schema`) fixes the Parquet column types; without
    it they are inferred from the first chunk.
    """

    def __init__(self, path, columns: list[str] | None = None, schema=None):
        self.path = Path(path)
        self.format = output_format(path)
        self.columns = columns if columns is not None or schema is None else list(schema.names)
        self.schema = schema
        self.rows_written = 0
        self._stack: contextlib.ExitStack | None = None
        self._handle = None
        self._csv = None
        self._parquet = None

    def __enter__(self) -> "TableWriter":
        self._stack = contextlib.ExitStack()
        binary = self.format == "parquet"
        kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
        self._handle = self._stack.enter_context(atomic_output(self.path, "wb" if binary else "w", **kwargs))
        return self

    def write(self, records: pd.DataFrame | Iterable[Mapping]) -> None:
        frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
        if self.columns is None:
            self.columns = list(frame.columns)
        frame = frame.reindex(columns=self.columns)
        if self.format == "jsonl":
            lines = []
            for row in frame.itertuples(index=False, name=None):
                record = {col: _plain(val) for col, val in zip(self.columns, row)}
                lines.append(json.dumps(record, ensure_ascii=False, default=_json_default))
            if lines:
                self._handle.write("\n".join(lines) + "\n")
        elif self.format == "csv":
            if self._csv is None:
                self._csv = csv.writer(self._handle)
                self._csv.writerow(self.columns)
            for row in frame.itertuples(index=False, name=None):
                self._csv.writerow([_csv_cell(val) for val in row])
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._handle, table.schema)
            else:
                table = table.cast(self._parquet.schema)
            self._parquet.write_table(table)
        self.rows_written += len(frame)

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and self.format == "csv" and self._csv is None and self.columns:
                csv.writer(self._handle).writerow(self.columns)
            if self._parquet is not None:
                self._parquet.close()
        finally:
            return self._stack.__exit__(exc_type, exc, tb)


def write_table(frame: pd.DataFrame, path) -> int:
    """Write a whole DataFrame atomically in the format its file name implies; returns rows written."""
    with TableWriter(path, columns=list(frame.columns)) as writer:
        writer.write(frame)
    return writer.rows_written
