"""/api/v1 endpoints for tokens, the audit log and access grants (flask-smorest).

Tokens: any authenticated caller manages their own (a token made through the API never outlives
the token that made it). Audit log and grants: administrators with an ``admin``-scope token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, Response, current_app, stream_with_context
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from opendata.api.auth import require_admin, require_authenticated
from opendata.core.errors import ValidationError
from opendata.services.audit import (
    MAX_PAGE,
    AuditFilter,
    audit_entry_dict,
    audit_export,
    audit_list,
)
from opendata.services.grants import grant_create, grant_list, grant_revoke, grant_snapshot
from opendata.services.tokens import token_create, token_list, token_revoke, token_snapshot
from opendata.store.accounts import SCOPES
from opendata.store.db import transaction
from opendata.store.models import utcnow

blp = Blueprint("accounts", __name__, url_prefix="/api/v1",
                description="API tokens, the audit log and access grants.")
BEARER = [{"bearerAuth": []}]


def register(app: Flask, api: Api) -> None:
    """Register the blueprint and the bearer security scheme in the OpenAPI document."""
    if "bearerAuth" not in api.spec.components.security_schemes:
        api.spec.components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "description": "an API token: od_<prefix>_<secret>"})
    api.register_blueprint(blp)


@contextmanager
def _session() -> Iterator[Session]:
    with transaction(current_app.extensions["opendata"].sessions) as session:
        yield session


def _config(name: str):
    return getattr(current_app.extensions["opendata"].config, name)


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "public part of the token, shown in lists"})
    user = fields.String()
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class CreatedTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "the token itself: shown this once, never again"})


class TokenCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), load_default=["read"])
    lifetime_days = fields.Integer(load_default=None, validate=validate.Range(min=1))


class TokenListQueryArgsSchema(Schema):
    include_inactive = fields.Boolean(load_default=False)


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_after_seq = fields.Integer(allow_none=True, metadata={"description": "pass as after_seq for the next page"})


class AuditQueryArgsSchema(Schema):
    actor = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    since = fields.AwareDateTime(metadata={"description": "ISO 8601 with a time zone"})
    until = fields.AwareDateTime()
    after_seq = fields.Integer(validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, MAX_PAGE))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv: the whole matching log as a CSV attachment"})


class GrantSchema(Schema):
    id = fields.Integer()
    dataset = fields.String()
    user = fields.String(allow_none=True)
    organization = fields.String(allow_none=True)
    purpose = fields.String()
    granted_by = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    revoked_by = fields.String(allow_none=True)


class GrantCreateSchema(Schema):
    user = fields.String(metadata={"description": "username of the requester (or give organization)"})
    organization = fields.String(metadata={"description": "organization id (slug) of the requester"})
    purpose = fields.String(required=True, validate=validate.Length(1, 2000))
    expires_at = fields.AwareDateTime(metadata={"description": "ISO 8601 with a time zone"})
    days = fields.Integer(validate=validate.Range(1, 3660), metadata={"description": "instead of expires_at"})


class GrantListQueryArgsSchema(Schema):
    active_only = fields.Boolean(load_default=False)


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(TokenListQueryArgsSchema, location="query")
    @blp.response(200, TokenSchema(many=True))
    def get(self, args):
        """List your own API tokens (never their secrets)."""
        viewer = require_authenticated()
        with _session() as session:
            return [token_snapshot(t) for t in token_list(session=session, actor=viewer,
                                                           include_inactive=args["include_inactive"])]

    @blp.doc(security=BEARER)
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, CreatedTokenSchema)
    def post(self, args):
        """Create an API token for yourself; the answer shows it once."""
        viewer = require_authenticated()
        lifetime = args["lifetime_days"] or _config("TOKEN_LIFETIME_DAYS")
        with _session() as session:
            created = token_create(session=session, actor=viewer, username=viewer.user, name=args["name"],
                                   scopes=args["scopes"], lifetime_days=lifetime,
                                   max_lifetime_days=_config("TOKEN_MAX_LIFETIME_DAYS"))
            return {**token_snapshot(created.token), "token": created.plain}


@blp.route("/tokens/<int:token_id>")
class TokenById(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(204)
    def delete(self, token_id):
        """Revoke one of your tokens (administrators: anyone's); it stops working at once."""
        viewer = require_authenticated()
        with _session() as session:
            token_revoke(session=session, actor=viewer, token_id=token_id)


@blp.route("/audit")
class Audit(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args):
        """The audit log, oldest first, for administrators; ?format=csv exports every matching entry."""
        viewer = require_admin()
        filters = AuditFilter(**{k: args.get(k) for k in ("actor", "action", "target_type", "target_id",
                                                          "since", "until", "after_seq")})
        if args["format"] == "csv":
            return _csv_export(viewer, filters)
        with _session() as session:
            entries = audit_list(session=session, actor=viewer, filters=filters, limit=args["limit"])
            items = [audit_entry_dict(e) for e in entries]
        return {"items": items, "next_after_seq": items[-1]["seq"] if len(items) == args["limit"] else None}


def _csv_export(viewer, filters: AuditFilter) -> Response:
    session = current_app.extensions["opendata"].sessions()
    try:
        chunks = audit_export(session=session, actor=viewer, fmt="csv", filters=filters)
    except Exception:
        session.close()
        raise

    def generate():
        try:
            yield from chunks
        finally:
            session.close()

    name = f"audit-{utcnow():%Y%m%dT%H%M%SZ}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/datasets/<identifier>/grants")
class DatasetGrants(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(GrantListQueryArgsSchema, location="query")
    @blp.response(200, GrantSchema(many=True))
    def get(self, args, identifier):
        """Access grants of a conditional dataset (administrators)."""
        viewer = require_admin()
        with _session() as session:
            return [grant_snapshot(g) for g in grant_list(session=session, actor=viewer, dataset=identifier,
                                                           active_only=args["active_only"])]

    @blp.doc(security=BEARER)
    @blp.arguments(GrantCreateSchema)
    @blp.response(201, GrantSchema)
    def post(self, args, identifier):
        """Grant a requester access to a conditional dataset's data until a date (administrators)."""
        viewer = require_admin()
        if ("expires_at" in args) == ("days" in args):
            raise ValidationError("give either expires_at or days")
        expires_at = args.get("expires_at") or utcnow() + timedelta(days=args["days"])
        with _session() as session:
            grant = grant_create(session=session, actor=viewer, dataset=identifier, purpose=args["purpose"],
                                 expires_at=expires_at, username=args.get("user"),
                                 organization=args.get("organization"))
            return grant_snapshot(grant)


@blp.route("/datasets/<identifier>/grants/<int:grant_id>")
class DatasetGrantById(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(204)
    def delete(self, identifier, grant_id):
        """Revoke an access grant at once (administrators)."""
        viewer = require_admin()
        with _session() as session:
            grant_revoke(session=session, actor=viewer, grant_id=grant_id, dataset=identifier)
