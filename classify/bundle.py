"""Model bundles: a folder of fitted components saved safely, with metadata and a model card.

A bundle folder holds

- ``<component>.skops``: one fitted estimator per component (``themes``, ``claims``, ...),
  written with :mod:`skops.io` (never pickle) and re-packed so the same estimator
  always gives the same bytes;
- ``metadata.json``: the bundle ``protocol``, toolkit/Python/library versions and,
  per component, its file, sha256, taxonomy, training data (path, sha256, records),
  metrics and training config;
- ``README.md``: the model card, regenerated from every component's section.

Loading checks the protocol and each file's sha256, and loads only types on the
explicit allowlist (:data:`TRUSTED_TYPES` plus :func:`register_trusted_type`);
anything else raises :class:`~classify.errors.ModelError` naming the types.

Example
-------
>>> from sklearn.dummy import DummyClassifier
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> model = DummyClassifier(strategy="most_frequent").fit([[0], [1]], ["a", "a"])
>>> _ = save_component(folder, "demo", model, metadata={"metrics": {}}, card_section="A demo.")
>>> load_bundle(folder).components["demo"].predict([[5]]).tolist()
['a']
"""
from __future__ import annotations

import hashlib
import io
import json
import platform
import warnings
import zipfile
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from classify.errors import ModelError
from classify.io import atomic_output

BUNDLE_PROTOCOL = 1
SUPPORTED_PROTOCOLS = (1,)
METADATA_FILE = "metadata.json"
CARD_FILE = "README.md"
BUNDLE_FORMAT = "telegram-classify-bundle"
LIBRARIES = ("scikit-learn", "numpy", "scipy", "skops", "pandas")

# Every type a bundle may contain beyond what skops trusts by default. Loading
# refuses anything else, so a tampered or foreign .skops file cannot run code.
TRUSTED_TYPES: list[str] = [
    "builtins.slice",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int32",
    "numpy.int64",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._csr.csr_array",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "training.themes.ThemeClassifier",
    "training.claims.ClaimSentenceClassifier",
    "training.features.HashedTextFeatures",
]


def register_trusted_type(qualified_name: str) -> None:
    """Allow one more type (``"package.module.ClassName"``) in bundles, e.g. a new component's estimator."""
    if not isinstance(qualified_name, str) or "." not in qualified_name:
        raise ValueError(f"expected a qualified type name like 'package.module.Class', got {qualified_name!r}")
    if qualified_name not in TRUSTED_TYPES:
        TRUSTED_TYPES.append(qualified_name)


@dataclass
class Bundle:
    """A loaded bundle: its folder, parsed ``metadata.json`` and fitted components by name."""

    path: Path
    metadata: dict
    components: dict[str, Any] = field(default_factory=dict)

    def component_metadata(self, name: str) -> dict:
        return self.metadata.get("components", {}).get(name, {})


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions(names=LIBRARIES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _toolkit_version() -> str:
    try:
        return importlib_metadata.version("telegram-classify")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


def _canonical_skops(data: bytes) -> bytes:
    """Re-pack a skops dump so equal estimators give equal bytes.

    skops names arrays and objects by ``id()`` and stamps zip entries with the
    current time; both change between runs. We renumber ids in order of first
    appearance in the schema and write entries with a fixed timestamp.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        schema = json.loads(source.read("schema.json"))
        entries = {name: source.read(name) for name in source.namelist() if name != "schema.json"}
    numbering: dict[int, int] = {}

    def renumber(old: int) -> int:
        return numbering.setdefault(old, len(numbering) + 1)

    renamed: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    node[key] = renumber(value)
                elif key == "file" and isinstance(value, str) and value in entries:
                    stem, _, suffix = value.partition(".")
                    new_name = f"{renumber(int(stem))}.{suffix}" if stem.isdigit() else value
                    renamed[value] = new_name
                    node[key] = new_name
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        def add(name: str, payload: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, payload, compresslevel=6)

        for old_name, payload in sorted(entries.items(), key=lambda item: renamed.get(item[0], item[0])):
            add(renamed.get(old_name, old_name), payload)
        add("schema.json", json.dumps(schema, indent=1, sort_keys=False).encode("utf-8"))
    return out.getvalue()


def _skops_io():
    """:mod:`skops.io`, imported without dragging in PyTorch or dask.array.

    On import skops lists scikit-learn's estimators (``sklearn.utils.all_estimators``),
    which walks every sklearn package, ``sklearn.externals.array_api_compat.torch``
    and ``.dask`` included, and so imports torch and dask.array wherever they are
    installed: about 190 MB and seconds per process, for types a bundle never holds.
    Marking them unimportable during that walk skips those packages (the walk ignores
    import errors); the list of trusted sklearn types comes out the same. scipy and
    sklearn proper are imported first because scipy looks torch up in ``sys.modules``.
    """
    import sys

    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import scipy.stats  # noqa: F401
    import sklearn.base  # noqa: F401

    hidden = [name for name in ("torch", "dask") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None
    try:
        import skops.io
    finally:
        for name in hidden:
            del sys.modules[name]
    return skops.io


def _render_card(metadata: dict) -> str:
    components = metadata.get("components", {})
    lines = [
        f"# Model card: {metadata.get('name', 'telegram-classify bundle')}",
        "",
        f"Bundle protocol {metadata['protocol']}, written by telegram-classify {metadata['toolkit']['version']} "
        f"(Python {metadata['python']}; "
        + ", ".join(f"{k} {v}" for k, v in metadata["libraries"].items()) + ").",
        "",
        "Components: " + (", ".join(f"`{name}` (`{c['file']}`)" for name, c in sorted(components.items())) or "none")
        + ". Load with `classify.load_model(path)`; files are checked against the sha256 sums in `metadata.json`.",
        "",
    ]
    for name in sorted(components):
        section = components[name].get("card_section", "").strip()
        if section:
            lines += [section, ""]
    return "\n".join(lines)


def read_metadata(directory) -> dict:
    path = Path(directory) / METADATA_FILE
    if not path.is_file():
        raise ModelError(f"{directory}: not a model bundle (no {METADATA_FILE})")
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: unreadable metadata ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != BUNDLE_FORMAT:
        raise ModelError(f"{path}: not a telegram-classify bundle (format is {metadata.get('format')!r})"
                         if isinstance(metadata, dict) else f"{path}: metadata must be a JSON object")
    protocol = metadata.get("protocol")
    if protocol not in SUPPORTED_PROTOCOLS:
        raise ModelError(f"{path}: bundle protocol {protocol!r} is not supported by this version "
                         f"(supported: {', '.join(map(str, SUPPORTED_PROTOCOLS))}); "
                         "upgrade telegram-classify or retrain the model")
    return metadata


def save_component(directory, name: str, estimator, *, metadata: dict, card_section: str) -> Path:
    """Save one fitted component into a bundle folder, merging ``metadata.json`` and the model card.

    ``metadata`` is the component's own record (e.g. ``taxonomy``, ``training_data``,
    ``metrics``, ``config``); ``file``, ``sha256`` and ``card_section`` are filled in here.
    Other components already in the folder are kept. Returns the ``.skops`` path.
    """
    skops_io = _skops_io()

    if not name.isidentifier():
        raise ValueError(f"component name must be an identifier, got {name!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / METADATA_FILE).exists():
        bundle_metadata = read_metadata(directory)
    else:
        bundle_metadata = {"format": BUNDLE_FORMAT, "protocol": BUNDLE_PROTOCOL, "components": {}}
    payload = _canonical_skops(skops_io.dumps(estimator))
    untrusted = [t for t in skops_io.get_untrusted_types(data=payload) if t not in TRUSTED_TYPES]
    if untrusted:
        raise ModelError(f"component {name!r} contains types outside the trusted list: {', '.join(untrusted)}; "
                         "register them with classify.bundle.register_trusted_type if they are safe")
    file_name = f"{name}.skops"
    with atomic_output(directory / file_name, "wb") as handle:
        handle.write(payload)
    record = dict(metadata)
    record.update(file=file_name, sha256=hashlib.sha256(payload).hexdigest(),
                  card_section=card_section, libraries=library_versions())
    bundle_metadata.update(
        protocol=BUNDLE_PROTOCOL,
        toolkit={"name": "telegram-classify", "version": _toolkit_version()},
        python=platform.python_version(),
        libraries=library_versions(),
    )
    bundle_metadata.setdefault("components", {})[name] = record
    bundle_metadata["components"] = dict(sorted(bundle_metadata["components"].items()))
    with atomic_output(directory / METADATA_FILE, "w", encoding="utf-8") as handle:
        json.dump(bundle_metadata, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    with atomic_output(directory / CARD_FILE, "w", encoding="utf-8") as handle:
        handle.write(_render_card(bundle_metadata))
    return directory / file_name


def _load_component(directory: Path, name: str, record: dict):
    skops_io = _skops_io()

    file_name = record.get("file")
    if not isinstance(file_name, str) or Path(file_name).name != file_name:
        raise ModelError(f"{directory / METADATA_FILE}: component {name!r} has no valid 'file'")
    path = directory / file_name
    if not path.is_file():
        raise ModelError(f"{path}: missing file of component {name!r}")
    payload = path.read_bytes()
    if hashlib.sha256(payload).hexdigest() != record.get("sha256"):
        raise ModelError(f"{path}: sha256 does not match metadata.json; the file was changed or corrupted")
    try:
        found = skops_io.get_untrusted_types(data=payload)
    except Exception as error:  # skops raises assorted errors on foreign or corrupt zips
        raise ModelError(f"{path}: not a readable skops file ({error})") from None
    unknown = [t for t in found if t not in TRUSTED_TYPES]
    if unknown:
        raise ModelError(f"{path}: refusing to load untrusted types: {', '.join(unknown)} "
                         "(only types on classify.bundle.TRUSTED_TYPES are loaded)")
    return skops_io.loads(payload, trusted=found)


def load_bundle(directory, components: list[str] | None = None) -> Bundle:
    """Load a bundle folder (all components, or only those named); raises ModelError when unsafe or broken."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(f"{directory}: model folder not found")
    metadata = read_metadata(directory)
    records = metadata.get("components") or {}
    wanted = list(records) if components is None else components
    missing = [name for name in wanted if name not in records]
    if missing:
        raise ModelError(f"{directory}: bundle has no component(s) {', '.join(missing)} "
                         f"(it has: {', '.join(records) or 'none'})")
    saved_with = metadata.get("libraries", {})
    current = library_versions()
    changed = [f"{lib} {saved_with[lib]} -> {current[lib]}" for lib in ("scikit-learn", "skops")
               if lib in saved_with and saved_with[lib] != current.get(lib)]
    if changed:
        warnings.warn(f"{directory}: saved with other library versions ({'; '.join(changed)}); "
                      "predictions may differ slightly", stacklevel=2)
    loaded = {name: _load_component(directory, name, records[name]) for name in wanted}
    return Bundle(path=directory, metadata=metadata, components=loaded)
