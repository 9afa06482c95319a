"""Model bundles shipped with the toolkit; ``models/default`` is used when no model is given."""
from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default"
