"""Forms of the Table Schema pages: upload a schema file, draft one from a sample, edit the draft's fields."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

SCHEMA_NAME = r"^[a-z0-9][a-z0-9_.-]{0,199}$"  # services.registry.SCHEMA_NAME
FIELD_TYPES = ("string", "integer", "number", "date", "datetime", "time", "year", "yearmonth", "boolean")
_NAME = [DataRequired(_l("Name the schema, e.g. relief-payments.json.")),
         Regexp(SCHEMA_NAME, message=_l("Use lower-case letters, digits, '.', '_' and '-', e.g. relief-payments.json."))]


class SchemaFileForm(FlaskForm):
    name = StringField(_l("Schema name"), validators=_NAME)
    file = FileField(_l("Table Schema (JSON)"), validators=[FileRequired(_l("Choose the schema file."))])


class SampleForm(FlaskForm):
    sample = FileField(_l("Sample data file"), validators=[FileRequired(_l("Choose a sample file."))],
                       description=_l("CSV (any encoding), Excel or JSON: the first 1,000 rows are read."))
    sheet = StringField(_l("Worksheet (Excel only, optional)"), validators=[Optional(), Length(max=200)])


class DraftFieldForm(Form):
    name = StringField(_l("Field name"), validators=[DataRequired(_l("Every field needs a name.")), Length(max=300)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    type = SelectField(_l("Type"), choices=[(t, t) for t in FIELD_TYPES])
    required = BooleanField(_l("Required"))
    normalize = BooleanField(_l("Clean values (full-width digits, thousands separators, Chinese dates…)"))


class DraftForm(FlaskForm):
    name = StringField(_l("Schema name"), validators=_NAME)
    fields = FieldList(FormField(DraftFieldForm), min_entries=0, max_entries=500)
    primary_key = StringField(_l("Primary key"), validators=[Optional(), Length(max=300)],
                              description=_l("Field names, separated by commas, whose values identify a row."))

    def fill(self, descriptor: dict[str, Any]) -> None:
        """Show a draft descriptor in the form."""
        while len(self.fields):
            self.fields.pop_entry()
        for f in descriptor.get("fields", []):
            self.fields.append_entry({"name": f["name"], "title": f.get("title", ""), "type": f.get("type", "string"),
                                      "required": bool((f.get("constraints") or {}).get("required")),
                                      "normalize": bool(f.get("x-normalize"))})

    def descriptor(self) -> dict[str, Any]:
        """The Table Schema the form describes."""
        fields = []
        for entry in self.fields:
            f: dict[str, Any] = {"name": entry.form.name.data.strip(), "type": entry.form.type.data}
            if (entry.form.title.data or "").strip():
                f["title"] = entry.form.title.data.strip()
            if entry.form.required.data:
                f["constraints"] = {"required": True}
            if entry.form.normalize.data:
                f["x-normalize"] = True
            fields.append(f)
        out: dict[str, Any] = {"fields": fields}
        key = [k.strip() for k in (self.primary_key.data or "").replace("，", ",").split(",") if k.strip()]
        if key:
            out["primaryKey"] = key
        return out
