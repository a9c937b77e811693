"""Rate limits (Flask-Limiter): per API token, and per address for callers without a valid token.

Limits and the counter storage come from settings (``OPENDATA_RATE_LIMIT_*``); ``memory://`` in the
embedded mode (counters per process), Redis when several processes serve the API. A breach answers
429 in the one error shape with ``Retry-After``. Must be initialised before opendata.api.auth, so
requests with a bad token are counted (against the address) before they are refused.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from werkzeug.middleware.proxy_fix import ProxyFix

from opendata.api.auth import resolve_viewer
from opendata.config import Config

EXTENSION_KEY = "opendata_limiter"


def init_app(app: Flask, config: Config) -> Limiter:
    """Install the limiter with the configured limits (disabled when OPENDATA_RATE_LIMIT_ENABLED is off)."""
    if config.TRUSTED_PROXIES > 0:
        # The caller's address comes from X-Forwarded-For, as set by the given number of proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.TRUSTED_PROXIES, x_proto=config.TRUSTED_PROXIES)
    anonymous, per_token = config.RATE_LIMIT_ANONYMOUS, config.RATE_LIMIT_TOKEN

    def _limit() -> str:
        return per_token if _token_id() is not None else anonymous

    app.after_request(_no_retry_after_on_success)  # registered first, so it runs after the limiter's hook
    limiter = Limiter(
        key_func=rate_limit_key,
        app=app,
        default_limits=[_limit],
        storage_uri=config.RATE_LIMIT_STORAGE_URL,
        headers_enabled=True,
        enabled=config.RATE_LIMIT_ENABLED,
        key_prefix="opendata",
    )
    app.extensions[EXTENSION_KEY] = limiter
    return limiter


def rate_limit_key() -> str:
    """``token:<id>`` for a valid token, else ``addr:<address>`` (bad tokens count against the address)."""
    token_id = _token_id()
    return f"token:{token_id}" if token_id is not None else f"addr:{request.remote_addr}"


def _no_retry_after_on_success(response):
    # Flask-Limiter puts Retry-After on every answer; it only means something on 429, 503 and 3xx.
    if 200 <= response.status_code < 300:
        response.headers.pop("Retry-After", None)
    return response


def _token_id() -> int | None:
    viewer, _error = resolve_viewer()
    return viewer.token_id
