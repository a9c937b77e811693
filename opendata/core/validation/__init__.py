"""Vectorized validation of tables against Table Schemas, agreeing with frictionless-py v5."""

from opendata.core.validation.table import validate_reader, validate_table
from opendata.core.validation.validator import TypedBatch, ValidationLimits, Validator

__all__ = ["TypedBatch", "ValidationLimits", "Validator", "validate_reader", "validate_table"]
