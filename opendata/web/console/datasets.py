"""My datasets: the list, one dataset's workspace, and the register and edit forms."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from opendata.core.errors import ValidationError
from opendata.services.console_datasets import (
    dataset_for_edit,
    dataset_workspace,
    my_datasets,
    registration_choices,
)
from opendata.services.registry import register_dataset, update_dataset
from opendata.web.console.blueprint import blp, signed_in
from opendata.web.console.dataset_forms import ALIASES, DatasetForm
from opendata.web.console.problems import attach_problems
from opendata.web.context import runtime


def _lang() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


@blp.get("/datasets")
def datasets():
    """The datasets of the user's organizations: state, latest version, review state."""
    who = signed_in()
    rows = my_datasets(runtime=runtime(), viewer=who)
    return render_template("console/datasets.html", rows=rows,
                           may_register=who.is_admin or bool(who.publish_organization_ids))


@blp.route("/datasets/new", methods=["GET", "POST"])
def register():
    """Register a dataset: its catalogue metadata, checked as catalog.yaml is."""
    who = signed_in()
    choices = registration_choices(runtime=runtime(), viewer=who)
    form = DatasetForm().setup(choices, _lang(), editing=False)
    if request.method == "GET":
        first = choices["publishers"][0] if choices["publishers"] else None
        form.code.data = first["next_code"] if first else ""
        form.schema.data = request.args.get("schema") or form.schema.data
        form.license.data, form.frequency.data = "CC-BY-4.0", "irregular"
    status = 200
    if form.validate_on_submit():
        try:
            entry = register_dataset(runtime=runtime(), actor=who, entry=form.entry())
        except ValidationError as exc:
            attach_problems(form, exc, ALIASES)
            status = 422
        else:
            return redirect(url_for("console.dataset", identifier=entry["id"]), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("console/dataset_form.html", form=form, choices=choices, editing=None), status


@blp.get("/datasets/<identifier>")
def dataset(identifier: str):
    """One dataset as its department works on it: versions, jobs, what to do next."""
    data = dataset_workspace(runtime=runtime(), viewer=signed_in(), identifier=identifier)
    return render_template("console/dataset.html", d=data)


@blp.route("/datasets/<identifier>/edit", methods=["GET", "POST"])
def edit(identifier: str):
    """Change a dataset's catalogue metadata (not its identifier, not its disclosure class)."""
    who = signed_in()
    current = dataset_for_edit(runtime=runtime(), viewer=who, identifier=identifier)
    choices = registration_choices(runtime=runtime(), viewer=who)
    form = DatasetForm().setup(choices, _lang(), editing=True)
    if request.method == "GET":
        form.fill(current)
    form._disclosure = current.get("disclosure")  # noqa: SLF001 (the legal basis rule needs the class in force)
    status = 200
    if form.validate_on_submit():
        try:
            update_dataset(runtime=runtime(), actor=who, identifier=identifier, changes=form.entry())
        except ValidationError as exc:
            attach_problems(form, exc, ALIASES)
            status = 422
        else:
            return redirect(url_for("console.dataset", identifier=identifier), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("console/dataset_form.html", form=form, choices=choices, editing=current), status
