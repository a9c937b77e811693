"""One request by its code, as the caller may see it: the submitter's own view, or staff's full record."""

from __future__ import annotations

from typing import Any

from opendata.core.errors import NotFoundError
from opendata.services.access import Viewer
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.queue import staff_detail
from opendata.services.requests.staff import staff_scope
from opendata.services.requests.tracking import applicant_view, own_request
from opendata.services.runtime import Runtime


def request_detail(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str) -> dict[str, Any]:
    """Staff read the whole record (identity masked unless they handle it); the signed-in submitter
    reads the applicant's view; anyone else gets the answer of a code that does not exist."""
    with runtime.sessions() as session:
        scope = staff_scope(session, viewer)
        if scope.everywhere or scope.read:
            try:
                return {"view": "staff", **staff_detail(session=session, policy=policy, viewer=viewer, code=code)}
            except NotFoundError:
                pass  # staff may also have submitted requests of their own elsewhere
        own = own_request(session, viewer, code)
        if own is None:
            raise NotFoundError(f"no request {code!r}")
        return {"view": "applicant", **applicant_view(own, policy)}
