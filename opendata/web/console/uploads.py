"""The upload page: a file dropped or picked goes over the API's tus endpoint in chunks (resumable),
then the page follows the ingest job until its result. The page only lays things out; the bytes,
the job and the version are the API's and its services' (the same upload use case as every client)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _

from opendata.services.console_datasets import dataset_workspace
from opendata.web.console.blueprint import blp, signed_in
from opendata.web.context import runtime


@blp.get("/datasets/<identifier>/upload")
def upload(identifier: str):
    """Drag and drop or pick a file; a progress bar while it goes; the ingest job's progress, then its result."""
    data = dataset_workspace(runtime=runtime(), viewer=signed_in(), identifier=identifier)
    config = runtime().config
    messages = {
        "choose": _("Choose a file first."),
        "chosen": _("Chosen: %(name)s (%(size)s)"),
        "uploading": _("Uploading: %(percent)s %% (%(sent)s of %(total)s)"),
        "resuming": _("The connection was lost; trying again (attempt %(n)s)…"),
        "resumed": _("This file was partly uploaded before: the upload goes on where it stopped."),
        "paused": _("Paused at %(percent)s %%. Press Resume to go on."),
        "failed": _("The upload stopped: %(error)s. Press Resume to try again from where it stopped."),
        "uploaded": _("Uploaded. Checking the file…"),
        "queued": _("Waiting for its turn to be checked…"),
        "running": _("Checking: %(rows)s rows read (%(percent)s %% of the file)."),
        "succeeded": _("Checked: version %(number)s, %(rows)s rows."),
        "valid": _("No errors. It now waits for review."),
        "invalid": _("It has %(errors)s errors: read the report, correct the file and upload it again."),
        "pii": _("%(n)s personal-information findings must be resolved before review."),
        "report": _("Read the validation report of version %(number)s"),
        "job_failed": _("The file could not be checked: %(error)s"),
        "too_large": _("This file is larger than the %(limit)s the platform accepts."),
    }
    return render_template(
        "console/upload.html", d=data, messages=messages, chunk=int(config.UPLOAD_CHUNK_BYTES),
        max_bytes=int(config.MAX_UPLOAD_BYTES), expiry_hours=int(config.UPLOAD_EXPIRY_HOURS),
        endpoint=url_for("tus.TusUploads", dataset_id=identifier),
        report_base=url_for("console.report", identifier=identifier, number=0)[:-1])
