"""Labeling: the taxonomy, the labeled-data format, validation and converters."""
from labels.records import LabeledRecord, Span, read_labeled
from labels.taxonomy import DEFAULT_TAXONOMY_PATH, Label, Taxonomy, load_taxonomy

__all__ = ["DEFAULT_TAXONOMY_PATH", "Label", "LabeledRecord", "Span", "Taxonomy", "load_taxonomy", "read_labeled"]
