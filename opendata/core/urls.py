"""The one URL builder: every URL the platform writes into an answer, an export or a page.

A :class:`Links` is made from one base URL. Which base is decided in one rule,
:meth:`opendata.config.Config.public_base_url` (the configured public base URL when set on purpose,
else the host of the request being answered); the HTTP layer builds Links with
:func:`opendata.api.urls.links` and the pages with :func:`opendata.web.context.links`. Work done
outside a request (bulk archives) uses the configured base URL when set, else site-relative URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from opendata.core.vocab import ARTIFACTS

API = "/api/v1"


@dataclass(frozen=True)
class Links:
    """Absolute URLs of the platform's public resources, from one base URL ("" gives site-relative ones)."""

    base_url: str

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def dataset_page(self, identifier: str) -> str:
        return self.url(f"/datasets/{quote(identifier)}")

    def dataset_api(self, identifier: str) -> str:
        return self.url(f"{API}/datasets/{quote(identifier)}")

    def version_api(self, identifier: str, number: int) -> str:
        return self.url(f"{API}/datasets/{quote(identifier)}/versions/{number}")

    def download(self, identifier: str, kind: str, number: int | None = None) -> str:
        """The download URL of a file kind (csv, csv-excel, parquet): the latest version's, or one version's."""
        root = self.version_api(identifier, number) if number is not None else self.dataset_api(identifier)
        return f"{root}/download.{ARTIFACTS[kind].download_suffix}"

    def rows(self, identifier: str, number: int | None = None) -> str:
        root = self.version_api(identifier, number) if number is not None else self.dataset_api(identifier)
        return f"{root}/rows"

    def datapackage(self, identifier: str) -> str:
        return self.url(f"/datasets/{quote(identifier)}/datapackage.json")

    def schema_org(self, identifier: str) -> str:
        return self.url(f"/datasets/{quote(identifier)}.jsonld")

    def organization(self, slug: str) -> str:
        return self.url(f"/organizations/{quote(slug)}")

    def job(self, uuid: str) -> str:
        return self.url(f"{API}/jobs/{uuid}")

    def tus_upload(self, identifier: str, uuid: str) -> str:
        return self.url(f"{API}/datasets/{quote(identifier)}/uploads/tus/{uuid}")

    def datasets_feed(self) -> str:
        return self.url(f"{API}/feeds/datasets.atom")

    def bulk(self, name: str) -> str:
        return self.url(f"/bulk/{name}")

    def disclosure_change(self, change_id: int) -> str:
        """A disclosure change under review (POST /api/v1/datasets/{id}/disclosure answers it)."""
        return self.url(f"{API}/review/disclosure-changes/{change_id}")

    def request_status(self) -> str:
        """Where an applicant follows a request for disclosure (tracking code and contact)."""
        return self.url("/requests/status")

    def report_page(self, slug: str, year: int, number: int | None = None) -> str:
        """An annual disclosure report's page (the latest version, or one version)."""
        page = self.url(f"/reports/{quote(slug)}/{int(year)}")
        return page if number is None else f"{page}/versions/{int(number)}"

    def report_api(self, slug: str, year: int, number: int | None = None) -> str:
        """An annual disclosure report in the API (the latest version, or one version)."""
        root = self.url(f"{API}/reports/{quote(slug)}/{int(year)}")
        return root if number is None else f"{root}/versions/{int(number)}"

    def report_file(self, slug: str, year: int, number: int, kind: str) -> str:
        """A published report's file: json (the bytes its sha256 is of), xlsx or docx."""
        return f"{self.report_api(slug, year, number)}/report.{kind}"

    def showcase_page(self, name: str) -> str:
        """A published reuse showcase's page."""
        return self.url(f"/showcases/{quote(name)}")

    def showcase_api(self, name: str) -> str:
        """A reuse showcase in the API."""
        return self.url(f"{API}/showcases/{quote(name)}")

    def showcase_screenshot(self, name: str) -> str:
        """A showcase's screenshot (its ETag is the image's sha256)."""
        return f"{self.showcase_api(name)}/screenshot"


SITE = Links("")  # site-relative links: for answers whose caller gives no base, and work outside a request
