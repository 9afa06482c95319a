"""Errors that name the input they come from, so the CLI can print one clear line."""
from __future__ import annotations


class InputError(ValueError):
    """Bad input: names the file and, where known, the line, byte offset or record.

    ``str(error)`` is the one-line message the CLI prints, e.g.
    ``export/result.json: byte 10432: truncated JSON (unexpected end of file)``.
    """

    def __init__(self, path, message: str, *, location: str | None = None):
        self.path = str(path)
        self.location = location
        self.message = message
        where = f"{self.path}: {location}" if location else self.path
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # survives pickling across worker processes despite the keyword-only argument
        return _rebuild_input_error, (self.path, self.message, self.location)


def _rebuild_input_error(path, message, location):
    return InputError(path, message, location=location)


class ModelError(RuntimeError):
    """A model bundle that cannot be loaded safely (unknown protocol, untrusted types, missing files)."""
