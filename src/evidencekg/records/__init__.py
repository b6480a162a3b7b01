"""Records: YAML files read with the line and column of every value, and the validated model built from them."""

from __future__ import annotations

from .checks import load_dataset, validate_records
from .model import Dataset
from .reader import DatasetFiles, Record, read_dataset, read_record, read_records

__all__ = ["Dataset", "DatasetFiles", "Record", "load_dataset", "read_dataset", "read_record", "read_records",
           "validate_records"]
