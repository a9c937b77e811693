"""Table Schemas: upload one, or draft one from a sample file and correct it field by field."""

from __future__ import annotations

import json
import re

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from opendata.core.errors import OpendataError, Problem, ValidationError
from opendata.services.registry import register_schema
from opendata.services.schema_drafts import draft_from_sample
from opendata.web.console.blueprint import blp, signed_in
from opendata.web.console.problems import attach_problems
from opendata.web.console.schema_forms import DraftForm, SampleForm, SchemaFileForm
from opendata.web.context import runtime

MAX_SCHEMA_BYTES = 1024 * 1024


def _suggested_name(filename: str) -> str:
    stem = re.sub(r"[^a-z0-9_.-]+", "-", (filename or "schema").rsplit(".", 1)[0].lower()).strip("-.") or "schema"
    return f"{stem[:190]}.json"


def _registered(name: str):
    return redirect(url_for("console.register", schema=name), code=303)


@blp.route("/schemas/new", methods=["GET", "POST"])
def new_schema():
    """Add a Table Schema: a JSON file as it is, or a draft from a sample to correct before registering."""
    who = signed_in()
    which = request.form.get("which") if request.method == "POST" else None

    def form(cls, name):  # only the form that was sent reads the request
        return cls(prefix=name) if which == name else cls(prefix=name, formdata=None)

    file_form, sample_form = form(SchemaFileForm, "file"), form(SampleForm, "sample")
    draft = DraftForm(prefix="draft") if which == "draft" else None
    status = 200
    if which == "file" and file_form.validate():
        upload = file_form.file.data
        try:
            descriptor = json.loads(upload.stream.read(MAX_SCHEMA_BYTES + 1)[:MAX_SCHEMA_BYTES + 1].decode("utf-8"))
            result = register_schema(runtime=runtime(), actor=who, name=file_form.name.data, descriptor=descriptor)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            file_form.file.errors = [_("The file is not a JSON Table Schema: %(error)s", error=str(exc))]
            status = 422
        except OpendataError as exc:
            attach_problems(file_form, exc, {"descriptor": "file"})
            status = 422
        else:
            return _registered(result["name"])
    elif which == "sample" and sample_form.validate():
        upload = sample_form.sample.data
        try:
            descriptor = draft_from_sample(runtime=runtime(), viewer=who, stream=upload.stream,
                                           filename=upload.filename or "", sheet=sample_form.sheet.data)
        except ValidationError as exc:
            attach_problems(sample_form, exc)
            status = 422
        else:
            draft = DraftForm(prefix="draft", formdata=None)
            draft.name.data = _suggested_name(upload.filename or "")
            draft.fill(descriptor)
    elif which == "draft" and draft is not None and draft.validate():
        try:
            result = register_schema(runtime=runtime(), actor=who, name=draft.name.data, descriptor=draft.descriptor())
        except OpendataError as exc:
            attach_problems(draft, exc, _field_aliases(exc))
            status = 422
        else:
            return _registered(result["name"])
    elif which is not None:
        status = 422
    return render_template("console/schema_new.html", file_form=file_form, sample_form=sample_form,
                           draft=draft), status


def _field_aliases(exc: OpendataError) -> dict[str, str]:
    """A schema problem at fields/<i>/... belongs to the draft's i-th field row."""
    out = {}
    for p in exc.problems or [Problem("", "")]:
        found = re.match(r"^fields/(\d+)", p.path or "")
        if found:
            out[p.path] = "fields"
    return out
