"""Text utilities: language identification and normalisation for duplicate detection."""
from classify.text.lang import LANGUAGES, detect_language, detect_languages
from classify.text.normalize import normalized_bytes, remove_links, text_key

__all__ = ["LANGUAGES", "detect_language", "detect_languages", "normalized_bytes", "remove_links", "text_key"]
