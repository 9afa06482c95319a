"""Labeling: the taxonomy, the labeled-data format, validation and converters."""
