"""Rate limits (Flask-Limiter): per API token, and per address for callers without a valid token.

Portal page views are counted per address apart from API calls, under their own, higher limit
(``OPENDATA_RATE_LIMIT_PAGES``): many readers share one address (a class, a library, a hackathon
venue), and a page costs far less than what one scripted API client can ask for.

Limits and the counter storage come from settings (``OPENDATA_RATE_LIMIT_*``); ``memory://`` in the
embedded mode (counters per process), Redis when several processes serve the API. A breach answers
429 in the one error shape with ``Retry-After``. Must be initialised before opendata.api.auth, so
requests with a bad token are counted (against the address) before they are refused.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse_many
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from opendata.api.auth import resolve_viewer
from opendata.api.html import is_page_route
from opendata.config import Config

EXTENSION_KEY = "opendata_limiter"


def init_app(app: Flask, config: Config) -> Limiter:
    """Install the limiter with the configured limits (disabled when OPENDATA_RATE_LIMIT_ENABLED is off)."""
    if config.TRUSTED_PROXIES > 0:
        # The caller's address comes from X-Forwarded-For, as set by the given number of proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.TRUSTED_PROXIES, x_proto=config.TRUSTED_PROXIES)
    anonymous, per_token, pages = config.RATE_LIMIT_ANONYMOUS, config.RATE_LIMIT_TOKEN, config.RATE_LIMIT_PAGES

    def _limit() -> str:
        if _token_id() is not None:
            return per_token
        return pages if is_page_route() else anonymous

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


def limit_per_address(limits: str, scope: str) -> None:
    """Count this call against the caller's address under ``limits`` (Flask-Limiter syntax, e.g. a
    setting such as OPENDATA_REQUESTS_STATUS_RATE_LIMIT) in its own ``scope``; 429 with Retry-After
    when one is spent. For operations whose every call must cost the same, answered or not (tracking
    code look-ups, public submissions), on top of the default limits."""
    limiter = current_app.extensions.get(EXTENSION_KEY)
    if limiter is None or not limiter.enabled:
        return
    strategy, address = limiter.limiter, request.remote_addr or "-"
    for item in parse_many(limits):
        if not strategy.hit(item, "opendata-scope", scope, address):
            reset, _remaining = strategy.get_window_stats(item, "opendata-scope", scope, address)
            raise TooManyRequests(f"too many {scope} from this address ({item}); try again later",
                                  retry_after=max(1, int(reset - time.time())))


def rate_limit_key() -> str:
    """``token:<id>`` for a valid token, else ``page:<address>`` for a portal page and ``addr:<address>``
    for the API (bad tokens count against the address)."""
    token_id = _token_id()
    if token_id is not None:
        return f"token:{token_id}"
    return f"{'page' if is_page_route() else 'addr'}:{request.remote_addr}"


def _no_retry_after_on_success(response):
    # Flask-Limiter puts Retry-After on every answer; it only means something on 429, 503 and 3xx.
    if 200 <= response.status_code < 300:
        response.headers.pop("Retry-After", None)
    return response


def _token_id() -> int | None:
    viewer, _error = resolve_viewer()
    return viewer.token_id
