"""``create_app()``: the only place where the web application is wired."""

from __future__ import annotations

import gc
from typing import Any

from flask import Flask, jsonify
from flask_smorest import Api

from opendata import __version__
from opendata.config import Config, configure_logging, load_config
from opendata.services.runtime import Runtime
from opendata.services.search import check_search_settings


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    """Build the Flask app for a configuration (default: from OPENDATA_ variables)."""
    config = config or load_config(**overrides)
    configure_logging(config)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.SECRET_KEY,
        API_TITLE="opendata API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/static/swagger-ui/",
        # the paths hold /api/v1 already: the server is the site's root, so tools that join a
        # server URL and a path (Schemathesis, openapi-generator, Swagger UI) do not double it
        API_SPEC_OPTIONS={"servers": [{"url": "/", "description": "this site (every path starts with /api/)"}]},
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=config.MAX_UPLOAD_BYTES,
    )
    app.json.ensure_ascii = False
    runtime = Runtime(config)
    app.extensions["opendata"] = runtime
    check_search_settings(runtime)  # a bad synonym file stops the server here, not at its first search

    from opendata import web
    from opendata.api import arguments, auth, docs_ui, errors, html, jsonguard, ratelimit, security

    api = Api(app)
    arguments.init_app(app, api)  # before any route: path integers beyond 64 bits match none
    errors.init_app(app)
    security.init_app(app)
    ratelimit.init_app(app, config)  # before auth, so requests with a bad token are counted too
    auth.init_app(app)
    jsonguard.init_app(app)  # unpaired surrogates in JSON bodies: 400 before any view
    _register_blueprints(app, api)
    web.register(app, limit_per_address=ratelimit.limit_per_address)  # the portal: home, search, datasets, organizations, themes, preferences
    for blueprint in web.PAGE_BLUEPRINTS:  # errors there are pages; elsewhere, pages for browsers only
        html.register_page_blueprint(app, blueprint)
    for name, render in web.html_pages().items():
        html.register_page(app, name, render)
    docs_ui.register(app)  # Swagger UI's files for /api/docs, from an installed package

    @app.get("/api/v1/status")
    def status():
        """Liveness and version."""
        return jsonify({"status": "ok", "version": __version__, "initialized": runtime.is_initialized()})

    return app


def start_background_work(app: Flask) -> None:
    """Start the notification worker (deadline sweep, outbox) of a serving process, unless turned off."""
    from opendata.services.notifier import NotificationWorker

    runtime = app.extensions["opendata"]
    interval = runtime.config.OUTBOX_INTERVAL_SECONDS
    if interval > 0:  # a part of the runtime: started once, stopped first when the runtime closes
        runtime.part("notifier", lambda: NotificationWorker(runtime, interval).start())


def freeze_startup_objects() -> None:
    """Leave what start-up built out of the garbage collector's full passes (a serving process only).

    The modules, the app and its mappers are about 160,000 objects that live as long as the
    process; a full collection walked all of them, about 80 ms with the interpreter lock held,
    during which every request in flight waited. Frozen (gc.freeze), a full pass walks only what
    was made since. Garbage made at start-up is collected first, since frozen objects never are.
    """
    gc.collect()
    gc.freeze()


def close_app(app: Flask) -> None:
    """Stop what the app started: its runtime closes ingest workers, usage counters (flushed), row engines,
    the search index and the database."""
    app.extensions["opendata"].close()


def _register_blueprints(app: Flask, api: Api) -> None:
    """Blueprints are added here as the read and write APIs grow."""
    from opendata.api import blueprints

    blueprints.register(app, api)
