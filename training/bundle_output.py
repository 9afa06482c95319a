"""Write a trained component into a bundle folder all at once.

:func:`staged_bundle` hands out a copy of the bundle folder (empty when it is new);
the copy replaces the folder only when the block ends without error, so a failure
or Ctrl-C halfway through saving never leaves a component file that does not match
``metadata.json``, nor a half-written folder. A folder that exists and holds
anything but a model bundle (posts, a topic model, a project folder) is refused:
replacing it would delete what it holds.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from classify.bundle import METADATA_FILE, read_metadata
from classify.errors import InputError, ModelError
from classify.io import current_umask, replace_folder


def check_bundle_output(output) -> None:
    """Refuse an output that is a file, or a non-empty folder that is not a model bundle."""
    output = Path(output)
    if output.is_file():
        raise InputError(output, "is a file; a model bundle is a folder")
    if not output.is_dir() or not any(output.iterdir()):
        return
    try:
        metadata = read_metadata(output)
    except ModelError:
        raise InputError(output, f"exists and is not a model bundle (no valid {METADATA_FILE}); training would "
                                 "replace what it holds (choose a new folder)") from None
    if metadata.get("topic_model"):
        raise InputError(output, "holds a topic model; write the trained component to another folder")


@contextlib.contextmanager
def staged_bundle(output) -> Iterator[Path]:
    """A copy of the bundle folder ``output`` to save into; it replaces ``output`` only on success."""
    check_bundle_output(output)
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".saving", dir=output.parent))
    try:
        if output.is_dir():
            shutil.copytree(output, staging, dirs_exist_ok=True)  # also copies the folder's permissions
        else:
            os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes 0700; bundles get the usual permissions
        yield staging
        replace_folder(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
