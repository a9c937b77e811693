"""Organizations: list, tree and detail, with counts of what the caller may see."""

from __future__ import annotations

from flask.views import MethodView

from opendata.api.v1.common import make_blueprint, runtime, viewer
from opendata.api.v1.schemas import (
    OrganizationDetailSchema,
    OrganizationListSchema,
    OrganizationTreeSchema,
)
from opendata.services.published import organizations

blp = make_blueprint("organizations", "Publishing organizations (部门) and their dataset counts.")


@blp.route("/organizations")
class Organizations(MethodView):
    @blp.response(200, OrganizationListSchema)
    def get(self):
        """List organizations (parents before children) with dataset counts."""
        return {"organizations": organizations.list_organizations(runtime=runtime(), viewer=viewer())}


@blp.route("/organizations/tree")
class OrganizationTree(MethodView):
    @blp.response(200, OrganizationTreeSchema)
    def get(self):
        """Organizations as a tree; datasets_total counts descendants too."""
        return {"organizations": organizations.organization_tree(runtime=runtime(), viewer=viewer())}


@blp.route("/organizations/<org_id>")
class OrganizationById(MethodView):
    @blp.response(200, OrganizationDetailSchema)
    def get(self, org_id: str):
        """Get one organization with its contact, children, counts and themes."""
        return organizations.organization_detail(runtime=runtime(), slug=org_id, viewer=viewer())
