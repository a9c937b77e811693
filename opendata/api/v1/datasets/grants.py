"""/api/v1/datasets/{id}/grants: access grants to a conditional dataset's data (administrators)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.api.auth import require_admin
from opendata.api.v1.common import BEARER, make_blueprint, runtime
from opendata.core.errors import ValidationError
from opendata.services.grants import grant_create, grant_list, grant_revoke, grant_snapshot
from opendata.services.unit_of_work import run

blp = make_blueprint("grants", "Access grants to conditional datasets (administrators).")


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
    withheld_columns = fields.List(fields.String(), allow_none=True,
                                   metadata={"description": "columns a partial decision (部分公开) withholds; "
                                                            "the grant reaches the others through row queries"})


class GrantCreateSchema(ArgumentsSchema):
    user = fields.String(metadata={"description": "username of the requester (or give organization)"})
    organization = fields.String(metadata={"description": "organization id (slug) of the requester"})
    purpose = fields.String(required=True, validate=validate.Length(1, 2000))
    expires_at = fields.AwareDateTime(metadata={"description": "ISO 8601 with a time zone"})
    days = fields.Integer(validate=validate.Range(1, 3660), metadata={"description": "instead of expires_at"})


class GrantListQueryArgsSchema(ArgumentsSchema):
    active_only = fields.Boolean(load_default=False)



@blp.route("/datasets/<identifier>/grants")
class DatasetGrants(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(GrantListQueryArgsSchema, location="query")
    @blp.response(200, GrantSchema(many=True))
    def get(self, args, identifier):
        """Access grants of a conditional dataset (administrators)."""
        viewer = require_admin()
        return run(runtime(), grant_list, actor=viewer, dataset=identifier, active_only=args["active_only"],
                   present=lambda grants: [grant_snapshot(g) for g in grants])

    @blp.doc(security=BEARER)
    @blp.arguments(GrantCreateSchema)
    @blp.response(201, GrantSchema)
    def post(self, args, identifier):
        """Grant a requester access to a conditional dataset's data until a date (administrators)."""
        viewer = require_admin()
        if ("expires_at" in args) == ("days" in args):
            raise ValidationError("give either expires_at or days")
        expires_at = args.get("expires_at") or datetime.now(UTC) + timedelta(days=args["days"])
        return run(runtime(), grant_create, actor=viewer, dataset=identifier, purpose=args["purpose"],
                   expires_at=expires_at, username=args.get("user"), organization=args.get("organization"),
                   present=grant_snapshot)


@blp.route("/datasets/<identifier>/grants/<int:grant_id>")
class DatasetGrantById(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(204)
    def delete(self, identifier, grant_id):
        """Revoke an access grant at once (administrators)."""
        viewer = require_admin()
        run(runtime(), grant_revoke, actor=viewer, grant_id=grant_id, dataset=identifier)
