"""Labeling: the taxonomy, the labeled-data format, validation, converters, sampling, agreement and merging."""
from labels.records import LabeledRecord, Span, read_labeled, write_labeled
from labels.taxonomy import DEFAULT_TAXONOMY_PATH, Label, Taxonomy, check_taxonomy, load_taxonomy

__all__ = ["DEFAULT_TAXONOMY_PATH", "Label", "LabeledRecord", "Span", "Taxonomy", "check_taxonomy", "load_taxonomy",
           "read_labeled", "write_labeled"]
