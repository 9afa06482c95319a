"""Topic and claim classification toolkit for Telegram channels."""
from classify.errors import InputError, ModelError

__all__ = ["InputError", "ModelError"]
