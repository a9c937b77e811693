"""The dataset metadata form: catalog.yaml's properties as fields, checked early with messages in the
reader's language, and turned into the registry's entry (the registry checks everything again)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from opendata.core.catalog_organizations import SLUG
from opendata.core.cataloguerules import catalogue_code_problem

# where the registry's problem paths land on this form
ALIASES = {"id": "identifier", "temporal/start": "temporal_start", "temporal/end": "temporal_end",
           "temporal": "temporal_end", "contact/name": "contact_name", "contact/email": "contact_email",
           "contact/phone": "contact_phone", "keywords": "keywords"}


def _local(term: dict[str, str], lang: str) -> str:
    return term["en"] if lang == "en" else term["zh"]


class DatasetForm(FlaskForm):
    identifier = StringField(_l("Identifier"), validators=[
        DataRequired(_l("Give the dataset an identifier.")), Length(max=100),
        Regexp(SLUG.pattern + "$", message=_l("Use lower-case letters, digits and hyphens, e.g. budget-2024."))],
        description=_l("Part of every address of the dataset; it cannot change later."))
    code = StringField(_l("Catalogue code"), validators=[DataRequired(_l("Give the catalogue code.")), Length(max=100)])
    title = StringField(_l("Title (Chinese)"), validators=[DataRequired(_l("Give the title.")), Length(max=300)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=10000)],
                                description=_l("What the data is, where it comes from, what it leaves out."))
    publisher = SelectField(_l("Publishing organization"), choices=[])
    theme = SelectField(_l("Theme"), choices=[])
    keywords = StringField(_l("Keywords"), validators=[Optional(), Length(max=1000)],
                           description=_l("Separated by commas, e.g. 预算, 财政"))
    license = SelectField(_l("Licence"), choices=[])
    disclosure = SelectField(_l("Disclosure class"), choices=[])
    legal_basis = TextAreaField(_l("Legal basis"), validators=[Length(max=2000)],  # no Optional(): its rule runs empty
                                description=_l("Required unless the data is open without conditions, e.g. "
                                               "《政府信息公开条例》第十五条."))
    frequency = SelectField(_l("Update frequency"), choices=[])
    temporal_start = DateField(_l("Period from"), validators=[Optional()],
                               description=_l("Date as YYYY-MM-DD."))
    temporal_end = DateField(_l("Period to"), validators=[Optional()], description=_l("Date as YYYY-MM-DD."))
    spatial = StringField(_l("Area covered"), validators=[Optional(), Length(max=200)])
    contact_name = StringField(_l("Contact"), validators=[Optional(), Length(max=200)])
    contact_email = StringField(_l("Contact e-mail"), validators=[
        Optional(), Length(max=254), Email(_l("Give an e-mail address such as office@example.gov.cn."))])
    contact_phone = StringField(_l("Contact telephone"), validators=[Optional(), Length(max=40)])
    schema = SelectField(_l("Table Schema"), choices=[])
    sheet = StringField(_l("Worksheet"), validators=[Optional(), Length(max=200)],
                        description=_l("For Excel files with several sheets: the sheet to read."))

    def setup(self, choices: dict[str, Any], lang: str, *, editing: bool) -> DatasetForm:
        """Fill the choices from the registry's vocabularies; on edit the identifier and class are fixed."""
        self.publisher.choices = [(p["slug"], p["name"]) for p in choices["publishers"]]
        self.theme.choices = [(t["key"], _local(t, lang)) for t in choices["themes"]]
        self.license.choices = [(k, k) for k in choices["licenses"]]
        self.disclosure.choices = [(t["key"], _local(t, lang)) for t in choices["disclosures"]]
        self.frequency.choices = [(t["key"], _local(t, lang)) for t in choices["frequencies"]]
        self.schema.choices = [(s["name"], s["name"]) for s in choices["schemas"]]
        self._prefixes = {p["slug"]: p["prefixes"] for p in choices["publishers"]}
        if editing:
            del self.identifier
            del self.disclosure
        return self

    def validate_code(self, field: StringField) -> None:
        if catalogue_code_problem(field.data or "") is not None:
            raise ValidationError(_l("Write the code as <publisher code>/<sequence>, e.g. 113301000/00001."))
        prefixes = getattr(self, "_prefixes", {}).get(self.publisher.data) or []
        if prefixes and catalogue_code_problem(field.data, prefixes=prefixes) is not None:
            raise ValidationError(_l("The code must start with a code of the publishing organization: %(codes)s.",
                                     codes=", ".join(prefixes)))

    def validate_legal_basis(self, field: TextAreaField) -> None:
        disclosure = self.disclosure.data if "disclosure" in self._fields else getattr(self, "_disclosure", None)
        if disclosure and disclosure != "unconditional" and not (field.data or "").strip():
            raise ValidationError(_l("Data that is not open without conditions must state its legal basis."))

    def validate_temporal_end(self, field: DateField) -> None:
        if field.data and self.temporal_start.data and field.data < self.temporal_start.data:
            raise ValidationError(_l("The period ends before it starts."))

    def entry(self) -> dict[str, Any]:
        """The registry's entry (catalog.yaml vocabulary) from the form's data."""
        out: dict[str, Any] = {
            "code": self.code.data.strip(), "title": self.title.data.strip(),
            "title_en": (self.title_en.data or "").strip() or None,
            "description": (self.description.data or "").strip(), "publisher": self.publisher.data,
            "theme": self.theme.data,
            "keywords": [k.strip() for k in (self.keywords.data or "").replace("，", ",").split(",") if k.strip()],
            "license": self.license.data, "legal_basis": (self.legal_basis.data or "").strip() or None,
            "frequency": self.frequency.data, "spatial": (self.spatial.data or "").strip() or None,
            "contact": {k: v for k, v in (("name", self.contact_name.data), ("email", self.contact_email.data),
                                          ("phone", self.contact_phone.data)) if (v or "").strip()},
            "schema": self.schema.data, "sheet": (self.sheet.data or "").strip() or None,
        }
        if self.temporal_start.data or self.temporal_end.data:
            out["temporal"] = {k: v.isoformat() for k, v in (("start", self.temporal_start.data),
                                                            ("end", self.temporal_end.data)) if v}
        if "identifier" in self._fields:
            out["id"] = self.identifier.data.strip()
        if "disclosure" in self._fields:
            out["disclosure"] = self.disclosure.data
        return out

    def fill(self, entry: dict[str, Any]) -> None:
        """Show a stored entry in the form (edit)."""
        temporal, contact = entry.get("temporal") or {}, entry.get("contact") or {}
        for name, value in (("code", entry.get("code")), ("title", entry.get("title")),
                            ("title_en", entry.get("title_en")), ("description", entry.get("description")),
                            ("publisher", entry.get("publisher")), ("theme", entry.get("theme")),
                            ("keywords", ", ".join(entry.get("keywords") or [])), ("license", entry.get("license")),
                            ("legal_basis", entry.get("legal_basis")), ("frequency", entry.get("frequency")),
                            ("spatial", entry.get("spatial")), ("contact_name", contact.get("name")),
                            ("contact_email", contact.get("email")), ("contact_phone", contact.get("phone")),
                            ("schema", entry.get("schema")), ("sheet", entry.get("sheet"))):
            self[name].data = value
        self.temporal_start.data = date.fromisoformat(temporal["start"]) if temporal.get("start") else None
        self.temporal_end.data = date.fromisoformat(temporal["end"]) if temporal.get("end") else None
        self._disclosure = entry.get("disclosure")
