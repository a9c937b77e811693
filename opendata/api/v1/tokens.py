"""/api/v1/tokens: any authenticated caller manages their own API tokens.

A token made through the API never outlives the token that made it.
"""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.api.auth import require_authenticated
from opendata.api.v1.common import BEARER, make_blueprint, runtime
from opendata.services.tokens import SCOPES, token_create, token_list, token_revoke, token_snapshot
from opendata.services.unit_of_work import run

blp = make_blueprint("tokens", "API tokens: create, list and revoke your own.")


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


class TokenCreateSchema(ArgumentsSchema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), load_default=["read"])
    lifetime_days = fields.Integer(load_default=None, validate=validate.Range(min=1))


class TokenListQueryArgsSchema(ArgumentsSchema):
    include_inactive = fields.Boolean(load_default=False)



@blp.route("/tokens")
class Tokens(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(TokenListQueryArgsSchema, location="query")
    @blp.response(200, TokenSchema(many=True))
    def get(self, args):
        """List your own API tokens (never their secrets)."""
        viewer = require_authenticated()
        return run(runtime(), token_list, actor=viewer, include_inactive=args["include_inactive"],
                   present=lambda tokens: [token_snapshot(t) for t in tokens])

    @blp.doc(security=BEARER)
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, CreatedTokenSchema)
    def post(self, args):
        """Create an API token for yourself; the answer shows it once."""
        viewer = require_authenticated()
        lifetime = args["lifetime_days"] or runtime().config.TOKEN_LIFETIME_DAYS
        return run(runtime(), token_create, actor=viewer, username=viewer.user, name=args["name"],
                   scopes=args["scopes"], lifetime_days=lifetime,
                   max_lifetime_days=runtime().config.TOKEN_MAX_LIFETIME_DAYS,
                   present=lambda created: {**token_snapshot(created.token), "token": created.plain})


@blp.route("/tokens/<int:token_id>")
class TokenById(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(204)
    def delete(self, token_id):
        """Revoke one of your tokens (administrators: anyone's); it stops working at once."""
        viewer = require_authenticated()
        run(runtime(), token_revoke, actor=viewer, token_id=token_id)
