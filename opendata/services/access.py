"""Who may see what: the one place where disclosure rules become decisions and SQL filters.

Every outward path (API, CKAN, DCAT, feeds, bulk files, downloads, row queries) asks here.
Today every caller is anonymous; the departments issue adds users, organizations, reviewers
and access grants to :class:`Viewer` and widens the rules below, without changing callers.

Rules for anonymous callers:
- a dataset's metadata is public while the dataset is active, whatever its disclosure class
  (a closed dataset appears with its legal reason, and no data anywhere);
- only published versions are listed;
- data (downloads, rows, archives, distributions) is served only for published versions of
  ``unconditional`` datasets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, true

from opendata.core import lifecycle
from opendata.store.models import Dataset, Version


@dataclass(frozen=True)
class Viewer:
    """The caller of a request. Anonymous unless authenticated (departments issue)."""

    user: str | None = None
    organization_ids: frozenset[int] = field(default_factory=frozenset)
    granted_dataset_ids: frozenset[int] = field(default_factory=frozenset)
    is_admin: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.user is None


ANONYMOUS = Viewer()


def dataset_listed_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL filter: datasets whose catalogue entry the viewer may see."""
    if viewer.is_admin:
        return true()
    return Dataset.state == lifecycle.DATASET_ACTIVE


def version_listed_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL filter: versions the viewer may see listed (not necessarily their data)."""
    if viewer.is_admin:
        return true()
    return Version.state == lifecycle.PUBLISHED


def data_served_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL filter over Version joined to Dataset: versions whose data the viewer may receive."""
    if viewer.is_admin:
        return Version.state == lifecycle.PUBLISHED
    return and_(Version.state == lifecycle.PUBLISHED, Dataset.state == lifecycle.DATASET_ACTIVE,
                Dataset.disclosure == "unconditional")


def can_see_dataset(viewer: Viewer, dataset: Dataset) -> bool:
    """True when the dataset's catalogue entry is visible to the viewer."""
    return viewer.is_admin or dataset.state == lifecycle.DATASET_ACTIVE


def can_see_version(viewer: Viewer, version: Version) -> bool:
    """True when the version appears in the viewer's version lists."""
    return can_see_dataset(viewer, version.dataset) and (viewer.is_admin or version.state == lifecycle.PUBLISHED)


def can_receive_data(viewer: Viewer, version: Version) -> bool:
    """True when the viewer may download or query the version's data."""
    ds = version.dataset
    if version.state != lifecycle.PUBLISHED or not can_see_dataset(viewer, ds):
        return False
    if ds.disclosure == "unconditional":
        return True
    if ds.disclosure == "conditional":
        return viewer.is_admin or ds.organization_id in viewer.organization_ids or ds.id in viewer.granted_dataset_ids
    return False  # closed: never served


def latest_served_version(viewer: Viewer, dataset: Dataset) -> Version | None:
    """The newest published version whose data the viewer may receive, if any."""
    for version in sorted(dataset.versions, key=lambda v: v.number, reverse=True):
        if can_receive_data(viewer, version):
            return version
    return None
