"""Per-request helpers of /api/v1/requests: the runtime, the policy, the tracking code in a path,
and sending a stored attachment."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from urllib.parse import quote

from flask import current_app
from flask_smorest import Blueprint

from opendata.api.files import StoredFile, send_stored
from opendata.api.urls import links
from opendata.core.errors import NotFoundError
from opendata.core.requests.applicant import normalize_tracking_code
from opendata.services.requests.policy import RequestPolicy
from opendata.services.runtime import Runtime

BEARER = [{"bearerAuth": []}]


def make_blueprint(name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1 (its name becomes the OpenAPI tag)."""
    return Blueprint(name, f"opendata.api.v1.requests.{name}", url_prefix="/api/v1", description=description)


def runtime() -> Runtime:
    return current_app.extensions["opendata"]


def policy() -> RequestPolicy:
    """The request policy of this process (a runtime part), with links to the host that serves this request."""
    rt = runtime()
    base = rt.part("requests.policy", lambda: RequestPolicy.from_config(rt.config))
    return replace(base, portal_url=links().base_url)


def canonical_code(code: str) -> str:
    """The canonical tracking code in a path (dashes and case ignored); 404 for anything else."""
    canonical = normalize_tracking_code(code)
    if canonical is None:
        raise NotFoundError(f"no request {code[:40]!r}")
    return canonical


def send_attachment(attachment) -> object:
    """An attachment as a download, with its UTF-8 name (RFC 5987) and sha256 validators."""
    rt = runtime()
    store = rt.artifacts
    stored = StoredFile(store.local_file(attachment.path), attachment.bytes, attachment.sha256,
                        attachment.media_type, attachment.uploaded_at, opener=partial(store.open, attachment.path))
    response = send_stored(stored, home=rt.config.home, accel_prefix=rt.config.ACCEL_REDIRECT_PREFIX,
                           cache_control="private, no-store")
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in attachment.filename)
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{fallback}\"; "
                                               f"filename*=UTF-8''{quote(attachment.filename, safe='')}")
    return response
