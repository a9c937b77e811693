"""Swagger UI's own files for the docs page at /api/docs, served by the app (no CDN: works offline).

flask-smorest renders /api/docs and loads ``swagger-ui.css``, ``swagger-ui-bundle.js`` and
``swagger-ui-standalone-preset.js`` from ``OPENAPI_SWAGGER_UI_URL``. Those files come from the
``dist`` folder of the flask-swagger-ui package (Swagger UI 5.x), found without importing it; only
its files are used, not its blueprint. Without the package /api/docs still answers (its assets are
404) and the start-up log says why.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Flask, abort, send_from_directory

PACKAGE = "flask_swagger_ui"
REQUIREMENT = "flask-swagger-ui>=5.34.0"
ASSET_SUFFIXES = (".js", ".css", ".png")
MAX_AGE = 24 * 3600  # the URL carries no version: a day, then revalidated by ETag/Last-Modified


def dist_dir() -> Path | None:
    """The installed Swagger UI ``dist`` folder, or None when the package is not installed."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "dist"
        if (folder / "swagger-ui-bundle.js").is_file():
            return folder
    return None


def register(app: Flask) -> None:
    """Serve the Swagger UI files at ``OPENAPI_SWAGGER_UI_URL`` when that is a path on this app."""
    url = app.config.get("OPENAPI_SWAGGER_UI_URL") or ""
    if not url.startswith("/"):
        return  # no Swagger UI page, or its files are served from elsewhere
    folder = dist_dir()
    if folder is None:
        app.logger.warning("Swagger UI files not found (package %s is not installed: pip install '%s'); "
                           "%s renders without its scripts and styles", PACKAGE, REQUIREMENT,
                           _docs_path(app))
        return

    def swagger_ui_asset(filename: str):
        if not filename.endswith(ASSET_SUFFIXES):
            abort(404)
        # safe_join inside send_from_directory answers 404 for any path that leaves the folder
        return send_from_directory(folder, filename, max_age=MAX_AGE)

    app.add_url_rule(f"{url.rstrip('/')}/<path:filename>", endpoint="swagger_ui_asset",
                     view_func=swagger_ui_asset, methods=["GET"])


def _docs_path(app: Flask) -> str:
    prefix = (app.config.get("OPENAPI_URL_PREFIX") or "").rstrip("/")
    return f"{prefix}/{(app.config.get('OPENAPI_SWAGGER_UI_PATH') or '').lstrip('/')}"
