"""Who may see what: the one place where disclosure rules become decisions and SQL filters.

Every outward path (API, CKAN, DCAT, feeds, bulk files, downloads, row queries) asks here.
A :class:`Viewer` is built per request (opendata.api.auth) from a token's user, roles, scopes and
access grants (opendata.services.accounts.viewer_for_user); anonymous callers get ``ANONYMOUS``.

The rules, for every caller:
- a dataset's metadata is public while the dataset is active, whatever its disclosure class
  (a closed dataset appears with its legal reason, and no data anywhere); administrators also see
  datasets withdrawn from the catalogue;
- published versions are listed to everyone; unpublished versions (awaiting review, invalid,
  rejected, withdrawn) and the review views (with the validation report's rows) only to the
  dataset organization's **staff**: its publishers and reviewers (roles held for it or for an
  ancestor organization) and administrators. Membership of the organization alone, or the
  ``requester`` role, gives nothing;
- data (downloads, rows, archives, distributions) is served only for published versions: of
  ``unconditional`` datasets to everyone; of ``conditional`` datasets to the organization's staff,
  administrators and holders of an unexpired, unrevoked access grant (to the user, or to the
  organization the user belongs to); of ``closed`` datasets to nobody.

Only committed classes count: a loosening waiting for review (opendata.services.disclosure)
changes nothing here until its last step is taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from opendata.core import lifecycle
from opendata.core.errors import OpendataError
from opendata.store.models import Dataset, Version

ALL_SCOPES = frozenset({"read", "publish", "review", "admin"})


class AuthenticationError(OpendataError):
    """No valid credentials: a wrong, expired or revoked token."""

    code = "unauthorized"


class PermissionDeniedError(OpendataError):
    """Valid credentials without the role or token scope the action needs."""

    code = "forbidden"


@dataclass(frozen=True)
class Viewer:
    """The caller of a request: anonymous, a token's user, or a trusted local operator (CLI).

    ``organization_ids``: the organizations the viewer is staff of, whose unpublished versions,
    review views and conditional data the viewer sees: those they publish or review for, with
    their sub-organizations (never the organization a user merely belongs to). ``publish_`` and
    ``review_organization_ids``: where the viewer may publish or review. ``scopes``: what the
    credentials allow (a token's scopes; every scope for a local operator). ``request_id`` and
    ``address`` say where the call came from, for the audit log.
    """

    user: str | None = None
    organization_ids: frozenset[int] = field(default_factory=frozenset)
    granted_dataset_ids: frozenset[int] = field(default_factory=frozenset)
    # (dataset id, column) withheld by a partial grant (部分公开): such a dataset is not in
    # granted_dataset_ids, so no file or export serves it; row queries serve its other columns
    partial_grants: frozenset[tuple[int, str]] = field(default_factory=frozenset)
    is_admin: bool = False
    user_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    publish_organization_ids: frozenset[int] = field(default_factory=frozenset)
    review_organization_ids: frozenset[int] = field(default_factory=frozenset)
    token_id: int | None = None
    request_id: str | None = field(default=None, compare=False)
    address: str | None = field(default=None, compare=False)

    @property
    def is_anonymous(self) -> bool:
        return self.user is None

    def has_scope(self, scope: str) -> bool:
        """True when the credentials carry ``scope`` (``admin`` carries every scope)."""
        return scope in self.scopes or "admin" in self.scopes

    def require_scope(self, scope: str) -> None:
        """Raise AuthenticationError when anonymous, PermissionDeniedError when the scope is missing."""
        if self.is_anonymous:
            raise AuthenticationError("authentication required")
        if not self.has_scope(scope):
            raise PermissionDeniedError(f"this action needs the {scope!r} scope")

    def require_admin(self) -> None:
        """Raise unless the viewer is an administrator acting with the ``admin`` scope."""
        self.require_scope("admin")
        if not self.is_admin:
            raise PermissionDeniedError("this action is for administrators")

    def withheld_columns(self, dataset_id: int) -> frozenset[str]:
        """The columns of a dataset this viewer reaches only through a partial grant (empty when none)."""
        return frozenset(c for d, c in self.partial_grants if d == dataset_id)

    def can_publish_for(self, organization_id: int) -> bool:
        """True when the viewer may register datasets and upload versions for the organization."""
        return self.is_admin or (self.has_scope("publish") and organization_id in self.publish_organization_ids)

    def can_review_for(self, organization_id: int) -> bool:
        """True when the viewer may review and approve versions of the organization's datasets."""
        return self.is_admin or (self.has_scope("review") and organization_id in self.review_organization_ids)


ANONYMOUS = Viewer()


def system_viewer(name: str = "cli") -> Viewer:
    """A trusted local operator (the ``opendata`` command): an administrator with every scope."""
    return Viewer(user=name, is_admin=True, roles=frozenset({"administrator"}), scopes=ALL_SCOPES)


def _staff_organization_ids(viewer: Viewer) -> frozenset[int]:
    return viewer.organization_ids | viewer.publish_organization_ids | viewer.review_organization_ids


def is_staff_of(viewer: Viewer, organization_id: int) -> bool:
    """True for administrators and the organization's publishers and reviewers (the one staff rule).

    Staff see the organization's unpublished versions, review views and conditional data.
    """
    return viewer.is_admin or organization_id in _staff_organization_ids(viewer)


def staff_organization_clause(viewer: Viewer, column: ColumnElement[int]) -> ColumnElement[bool]:
    """SQL filter: rows whose organization ``column`` the viewer is staff of."""
    if viewer.is_admin:
        return true()
    own = _staff_organization_ids(viewer)
    return column.in_(sorted(own)) if own else false()


def dataset_listed_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL filter: datasets whose catalogue entry the viewer may see."""
    if viewer.is_admin:
        return true()
    return Dataset.state == lifecycle.DATASET_ACTIVE


def version_listed_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL filter: versions the viewer may see listed (not necessarily their data)."""
    if viewer.is_admin:
        return true()
    own = _staff_organization_ids(viewer)
    if not own:
        return Version.state == lifecycle.PUBLISHED
    own_datasets = select(Dataset.id).where(Dataset.organization_id.in_(sorted(own)))
    return or_(Version.state == lifecycle.PUBLISHED, Version.dataset_id.in_(own_datasets))


def data_served_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL filter over Version joined to Dataset: versions whose data the viewer may receive."""
    if viewer.is_admin:  # every dataset, withdrawn ones too, but never closed data
        return and_(Version.state == lifecycle.PUBLISHED, Dataset.disclosure != "closed")
    conditional = false()
    own = _staff_organization_ids(viewer)
    if own or viewer.granted_dataset_ids:
        conditional = and_(Dataset.disclosure == "conditional",
                           or_(Dataset.organization_id.in_(sorted(own)),
                               Dataset.id.in_(sorted(viewer.granted_dataset_ids))))
    return and_(Version.state == lifecycle.PUBLISHED, Dataset.state == lifecycle.DATASET_ACTIVE,
                or_(Dataset.disclosure == "unconditional", conditional))


def can_see_dataset(viewer: Viewer, dataset: Dataset) -> bool:
    """True when the dataset's catalogue entry is visible to the viewer."""
    return viewer.is_admin or dataset.state == lifecycle.DATASET_ACTIVE


def can_see_version(viewer: Viewer, version: Version) -> bool:
    """True when the version appears in the viewer's version lists."""
    if not can_see_dataset(viewer, version.dataset):
        return False
    return version.state == lifecycle.PUBLISHED or is_staff_of(viewer, version.dataset.organization_id)


def works_on_version(viewer: Viewer, version: Version) -> bool:
    """True for the version's uploader and the staff of its organization: those whose work it is (the
    department console shows a version to them only, in any state)."""
    if version.created_by is not None and viewer.user is not None and version.created_by == viewer.user \
            and viewer.user_id is not None:
        return True
    return is_staff_of(viewer, version.dataset.organization_id)


def can_read_report(viewer: Viewer, version: Version) -> bool:
    """True when the viewer may read a version's validation report and findings in any state: its
    uploader and the staff of its organization (anyone else only once its data is theirs to receive)."""
    return works_on_version(viewer, version) or can_receive_data(viewer, version)


def can_receive_data(viewer: Viewer, version: Version) -> bool:
    """True when the viewer may download or query the version's data."""
    ds = version.dataset
    if version.state != lifecycle.PUBLISHED or not can_see_dataset(viewer, ds):
        return False
    if ds.disclosure == "unconditional":
        return True
    if ds.disclosure == "conditional":
        return is_staff_of(viewer, ds.organization_id) or ds.id in viewer.granted_dataset_ids
    return False  # closed: never served


def latest_served_version(viewer: Viewer, dataset: Dataset) -> Version | None:
    """The newest published version whose data the viewer may receive, if any."""
    for version in sorted(dataset.versions, key=lambda v: v.number, reverse=True):
        if can_receive_data(viewer, version):
            return version
    return None
