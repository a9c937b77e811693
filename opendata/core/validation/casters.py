"""The caster of each Table Schema field type: plain types in ``types``, dates and times in ``temporal``."""

from __future__ import annotations

from opendata.core.tableschema import CellReaders, FieldSpec
from opendata.core.validation.temporal import DateCaster, DatetimeCaster, TimeCaster
from opendata.core.validation.types import (
    AnyCaster,
    BooleanCaster,
    Caster,
    GeopointCaster,
    IntegerCaster,
    NumberCaster,
    StringCaster,
    YearCaster,
    YearmonthCaster,
)


def make_caster(spec: FieldSpec, readers: CellReaders) -> Caster:
    """The caster for a field's type."""
    casters = {
        "string": StringCaster, "any": AnyCaster, "integer": IntegerCaster, "number": NumberCaster,
        "boolean": BooleanCaster, "date": DateCaster, "datetime": DatetimeCaster, "time": TimeCaster,
        "year": YearCaster, "yearmonth": YearmonthCaster, "geopoint": GeopointCaster,
    }
    return casters[spec.type](spec, readers)
