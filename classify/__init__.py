"""Topic and claim classification toolkit for Telegram channels."""
from classify.errors import InputError, ModelError


def load_model(path=None):
    """Load a model bundle (``models/default`` when ``path`` is None); see :mod:`classify.model`."""
    from classify.model import load_model as _load_model

    return _load_model(path)


__all__ = ["InputError", "ModelError", "load_model"]
