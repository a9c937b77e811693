"""The bulk archive tests again, with every artifact (and the archives and their index) in a bucket of
moto's S3 server: pytest runs the imported tests with this module's ``catalogue`` and ``app``."""

from __future__ import annotations

import pytest

from opendata.app import close_app
from tests.api.standards.catalogue import build_catalogue
from tests.api.standards.conftest import make_app
from tests.api.standards.test_bulk_archives import (  # noqa: F401 (collected again, on object storage)
    test_archive_download_has_etag_range_304_and_attachment,
    test_archive_holds_open_data_tables_and_a_valid_manifest,
    test_concurrent_rebuilds_leave_a_consistent_index_and_no_temporary_files,
    test_withdrawn_version_and_withdrawn_dataset_leave_the_archives,
)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory, s3_server):
    return build_catalogue(tmp_path_factory.mktemp("bulk-s3") / "project",
                           **s3_server.settings(s3_server.new_bucket()))


@pytest.fixture(scope="module")
def app(catalogue):
    app = make_app(catalogue)
    yield app
    close_app(app)
