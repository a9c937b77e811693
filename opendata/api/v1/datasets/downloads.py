"""Downloads of a version's CSV, Excel-friendly CSV and Parquet: streamed, resumable, cacheable.

Range (206, 416) and If-None-Match / If-Modified-Since (304) are answered (see opendata/api/files.py,
which also hands the bytes to nginx when X-Accel-Redirect is configured); the ETag is the file's
sha256 (strong), Last-Modified the publication time (on the latest-version URL, the later of that and
the last withdrawal of a newer version, so a date validator never matches a file this URL no longer
sends). The file name is the dataset's Chinese title per RFC 5987 with an ASCII fallback.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import quote

from flask import Response, request
from flask.views import MethodView

from opendata.api.files import StoredFile, send_redirect, send_stored
from opendata.api.v1.common import make_blueprint, runtime, usage, viewer
from opendata.core import vocab
from opendata.core.errors import NotFoundError
from opendata.core.files import BOM
from opendata.services.published.downloads import DownloadFile, download_url, resolve_download
from opendata.services.usage import DOWNLOAD

blp = make_blueprint("downloads", "Whole-file downloads (Range, ETag = sha256, Last-Modified).")

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f]+')
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")
_KINDS = tuple(k for k in vocab.ARTIFACT_KINDS if k.download_suffix)  # csv, csv-excel, parquet
_EXT = {k.key: k.download_suffix.rsplit(".", 1)[-1] for k in _KINDS}  # the saved file's extension
_MEDIA = {k.key: k.media_type for k in _KINDS}
_RESPONSES = {"description": "the file (206 for a satisfiable Range, 304 when not modified)"}


def content_disposition(title: str, fallback: str) -> str:
    """attachment with the UTF-8 name per RFC 5987 (filename*) and an ASCII fallback (filename)."""
    fallback = _NOT_TOKEN.sub("_", fallback)  # a quoted ASCII name, whatever the identifier holds
    name = _UNSAFE.sub("_", title).strip(" .") or fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='!#$&+-.^_`|~')}"


def _names(f: DownloadFile, excel: bool) -> tuple[str, str]:
    suffix = "-excel" if excel else ""
    ext = _EXT[f.kind]
    return f"{f.title}-v{f.number}{suffix}.{ext}", f"{f.identifier}-v{f.number}{suffix}.{ext}"


def _serve(dataset_id: str, kind: str, number: int | None, *, latest: bool) -> Response:
    rt = runtime()
    excel = kind == "csv-excel" or request.args.get("excel", "").lower() in ("1", "true", "yes")
    wanted = "csv-excel" if excel and kind == "csv" else kind
    f = resolve_download(runtime=rt, identifier=dataset_id, kind=wanted, number=number, viewer=viewer())
    if f is None and wanted == "csv-excel":  # a version from before the Excel artifact: BOM + canonical CSV
        base = resolve_download(runtime=rt, identifier=dataset_id, kind="csv", number=number, viewer=viewer())
        if base is None:
            raise NotFoundError(f"dataset '{dataset_id}' has no CSV file")
        f = replace(base, kind="csv-excel", bytes=base.bytes + len(BOM), sha256=f"{base.sha256}-bom", prefix=BOM)
    if f is None:
        raise NotFoundError(f"dataset '{dataset_id}' has no {kind} file")
    stored = StoredFile(f.path, f.bytes, f.sha256, _MEDIA[f.kind], f.last_modified, prefix=f.prefix,
                        opener=f.opener)
    utf8, ascii_name = _names(f, excel)
    disposition = content_disposition(utf8, ascii_name)

    def counted() -> None:
        usage().hit(f.dataset_id, DOWNLOAD)

    # the disclosure rules were applied by resolve_download: only a file this caller may have gets a URL
    url = download_url(runtime=rt, f=replace(f, media_type=_MEDIA[f.kind]), disposition=disposition)
    if url is not None:
        response = send_redirect(stored, url, on_first_byte=counted)
    else:
        response = send_stored(stored, home=rt.config.home, accel_prefix=rt.config.ACCEL_REDIRECT_PREFIX,
                               cache_control=_cache_control(latest), on_first_byte=counted)
        response.headers["Content-Disposition"] = disposition
    response.headers["X-Dataset-Version"] = str(f.number)
    return response


def _cache_control(latest: bool) -> str:
    """Every download is revalidated (``no-cache``; the sha256 ETag makes that a 304), numbered ones too.

    A version's bytes never change, but who may receive them does: a tightened class, a withdrawal
    or an expired grant must stop the file at the next request, also in shared caches. A file sent
    to a caller with a token (conditional data) is ``private``: no shared cache keeps it.
    """
    del latest  # the latest alias and a numbered version are revalidated alike
    return ("private" if request.headers.get("Authorization") else "public") + ", no-cache"


def _file_views(kind: str, suffix: str, label: str) -> None:
    class Latest(MethodView):
        @blp.response(200, content_type=_MEDIA[kind], description=_RESPONSES["description"])
        def get(self, dataset_id: str):
            return _serve(dataset_id, kind, None, latest=True)

    class ByVersion(MethodView):
        @blp.response(200, content_type=_MEDIA[kind], description=_RESPONSES["description"])
        def get(self, dataset_id: str, number: int):
            return _serve(dataset_id, kind, number, latest=False)

    Latest.get.__doc__ = f"Download the latest version as {label}."
    ByVersion.get.__doc__ = f"Download one version as {label}."
    Latest.__name__ = ByVersion.__name__ = f"Download{kind.title().replace('-', '')}"
    blp.route(f"/datasets/<dataset_id>/download.{suffix}", endpoint=f"latest_{kind}")(Latest)
    blp.route(f"/datasets/<dataset_id>/versions/<int:number>/download.{suffix}", endpoint=f"version_{kind}")(ByVersion)


_file_views("csv", "csv", "CSV (UTF-8; add ?excel=1 for the UTF-8-with-BOM variant)")
_file_views("csv-excel", "excel.csv", "CSV for Excel (UTF-8 with BOM)")
_file_views("parquet", "parquet", "Parquet")
