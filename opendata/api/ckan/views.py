"""The CKAN-compatible Action API: ``/api/3/action/<name>`` (and ``/api/action/<name>``, as ckanapi calls it).

GET takes the parameters from the query string, POST from a JSON body (or a form), as CKAN does.
Answers use CKAN's envelope ``{help, success, result}`` and its error envelope
``{help, success: false, error: {__type, message, ...}}`` (opendata/api/ckan/envelope.py) with
CKAN's status codes: 404 for "Not Found Error", 409 for "Validation Error" (unlike /api/v1's 422:
CKAN clients depend on it), 400 for "Search Query Error" and bad requests. Errors raised before
an action runs (credentials, rate limit, 404/405) get the same envelope from opendata.api.errors.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from opendata.api.ckan.actions import ACTIONS, Context
from opendata.api.ckan.envelope import error_dict, failure, success
from opendata.api.ckan.protocol import CkanError, CkanNotFound
from opendata.api.context import caller, runtime
from opendata.api.errors import status_for
from opendata.api.urls import links
from opendata.core.errors import NotFoundError, OpendataError
from opendata.core.rowquery import QueryTimeoutError

blp = Blueprint("ckan", __name__)


def _respond(body: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json")


def _error(name: str, error: dict[str, Any], status: int) -> Response:
    return _respond(failure(error, name), status)


def _data_dict() -> dict[str, Any]:
    """The action's parameters: query string for GET, JSON body (or form) for POST."""
    if request.method == "GET":
        return {k: v if len(v) > 1 else v[0] for k, v in request.args.lists()}
    raw = request.get_data(cache=True)
    if request.form:
        return {k: v if len(v) > 1 else v[0] for k, v in request.form.lists()}
    if not raw.strip():
        return {k: v if len(v) > 1 else v[0] for k, v in request.args.lists()}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CkanError(f"Bad request - JSON Error: {exc}") from None
    if not isinstance(body, dict):
        raise CkanError("Bad request - JSON Error: Request data JSON decoded to a non-dict")
    return body


@blp.route("/api/3/action/<name>", methods=["GET", "POST"])
@blp.route("/api/action/<name>", methods=["GET", "POST"])
def action(name: str):
    """Run one action and wrap its result in CKAN's envelope."""
    fn = ACTIONS.get(name)
    if fn is None:
        return _error(name, {"__type": "Bad Request", "message": f"Bad request - Action name not known: {name}"},
                      400)
    ctx = Context(runtime=runtime(), viewer=caller(), links=links())
    try:
        result = fn(ctx, _data_dict())
    except CkanError as exc:
        return _error(name, exc.to_error(), exc.status)
    except NotFoundError as exc:
        return _error(name, CkanNotFound(exc.message).to_error(), 404)
    except QueryTimeoutError as exc:
        return _error(name, {"__type": "Search Error", "message": exc.message}, 409)
    except OpendataError as exc:
        status = 409 if status_for(exc) == 422 else status_for(exc)  # CKAN's Validation Error is a 409
        return _error(name, error_dict(status, exc.code, exc.message, [p.to_dict() for p in exc.problems]), status)
    response = _respond(success(result, name), 200)
    response.vary.add("Authorization")
    return response


@blp.get("/api/3")
@blp.get("/api/3/")
def api_version():
    """CKAN clients probe the API version here."""
    return _respond({"version": 3}, 200)
