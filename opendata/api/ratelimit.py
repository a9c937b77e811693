"""Rate limits (Flask-Limiter): reads cost less than writes, and page views are not API calls.

Every request falls in one class, counted on its own, per API token for callers with a valid
token and per address for everyone else (bad tokens count against the address):

- ``read``: GET/HEAD/OPTIONS of the API and standards endpoints, and every CKAN action (they
  only read, whatever the method: ckanapi POSTs them);
- ``write``: any other request to the API;
- ``page``: the portal's HTML pages and the API documentation page, per address (a class of 50
  behind one address browses freely); their static files are not counted at all.

The numbers are settings (``OPENDATA_RATE_LIMIT_*``), documented with their reasons in
docs/security.md. Counters live in ``OPENDATA_RATE_LIMIT_STORAGE_URL`` (``memory://`` per
process in the embedded mode, Redis when several processes serve). A breach answers 429 in the
one error shape with ``Retry-After``. Must be initialised before opendata.api.auth, so requests
with a bad token are counted (against the address) before they are refused.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, request
from flask_limiter import ApplicationLimit, Limiter
from limits import parse_many
from limits.storage import RedisStorage
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from opendata.api.auth import resolve_viewer
from opendata.config import Config

EXTENSION_KEY = "opendata_limiter"
log = logging.getLogger(__name__)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAGE_BLUEPRINTS = frozenset({"web", "preferences"})  # the portal and its language and display switches
PAGE_ENDPOINTS = frozenset({"api-docs.openapi_swagger_ui"})
STATIC_ENDPOINTS = frozenset({"static", "web.static", "swagger_ui_asset"})
READ_ONLY_BLUEPRINTS = frozenset({"ckan"})  # every CKAN action this API has only reads


def request_class() -> str:
    """``static``, ``page``, ``read`` or ``write``: what the current request costs."""
    endpoint = request.endpoint or ""
    if endpoint in STATIC_ENDPOINTS:
        return "static"
    if request.blueprint in PAGE_BLUEPRINTS or endpoint in PAGE_ENDPOINTS:
        return "page"
    if request.method in READ_METHODS or request.blueprint in READ_ONLY_BLUEPRINTS:
        return "read"
    return "write"


class CountingRedisStorage(RedisStorage):
    """Redis counters in one round trip a request instead of three.

    Flask-Limiter's fixed window counts a request with ``incr`` (a script: INCRBY, EXPIRE on a new
    key), then reads the same key's count (GET) and expiry (TTL) for the ``X-RateLimit-*`` headers:
    three round trips, about half a millisecond of each API call in the scale-out mode. Here the
    script returns the count and the TTL together and the thread keeps them for the reads that
    follow in the same request (at most a second: later reads go to Redis). The headers then show
    the count this request made, as the memory storage does. URLs ``opendata+redis://`` (and
    ``opendata+rediss://``, ``opendata+redis+unix://``), which init_app makes of the setting's.
    """

    STORAGE_SCHEME = ["opendata+redis", "opendata+rediss", "opendata+redis+unix"]
    SCRIPT_INCR_EXPIRE_TTL = """
local current = redis.call("incrby", KEYS[1], ARGV[2])
if tonumber(current) == tonumber(ARGV[2]) then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""
    FRESH_SECONDS = 1.0

    def __init__(self, uri: str, **options) -> None:
        self._counted = threading.local()
        super().__init__(uri.removeprefix("opendata+"), **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(self.SCRIPT_INCR_EXPIRE_TTL)

    def _last(self, key: str) -> tuple[int, float] | None:
        """The count and expiry this thread's last ``incr`` of ``key`` left, if it was just now."""
        last = getattr(self._counted, "last", None)
        if last is None or last[0] != key or time.monotonic() - last[3] > self.FRESH_SECONDS:
            return None
        return last[1], last[2]

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        count, ttl = self.lua_incr_expire_ttl([self.prefixed_key(key)], [expiry, amount])
        self._counted.last = (key, int(count), max(int(ttl), 0) + time.time(), time.monotonic())
        return int(count)

    def get(self, key: str) -> int:
        last = self._last(key)
        return last[0] if last is not None else super().get(key)

    def get_expiry(self, key: str) -> float:
        last = self._last(key)
        return last[1] if last is not None else super().get_expiry(key)

    def clear(self, key: str) -> None:
        self._counted.last = None
        super().clear(key)


def storage_url(url: str) -> str:
    """The limits URL for the setting: Redis through CountingRedisStorage, anything else as given."""
    scheme = url.split("://", 1)[0]
    return f"opendata+{url}" if scheme in ("redis", "rediss", "redis+unix") else url


def init_app(app: Flask, config: Config) -> Limiter:
    """Install the limiter with the configured limits (disabled when OPENDATA_RATE_LIMIT_ENABLED is off)."""
    if config.TRUSTED_PROXIES > 0:
        # The caller's address comes from X-Forwarded-For, as set by the given number of proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.TRUSTED_PROXIES, x_proto=config.TRUSTED_PROXIES)
    limits = {
        ("page", False): config.RATE_LIMIT_PAGES, ("page", True): config.RATE_LIMIT_PAGES,
        ("read", False): config.RATE_LIMIT_ANONYMOUS_READ, ("read", True): config.RATE_LIMIT_TOKEN_READ,
        ("write", False): config.RATE_LIMIT_ANONYMOUS_WRITE, ("write", True): config.RATE_LIMIT_TOKEN_WRITE,
    }

    def _limit() -> str:
        kind = request_class()
        return limits[(kind, kind != "page" and not rate_limit_key().startswith("addr:"))]

    app.after_request(_no_retry_after_on_success)  # registered first, so it runs after the limiter's hook
    limiter = Limiter(
        key_func=rate_limit_key,
        app=app,
        # one counter per class and caller, shared by every route of the class
        application_limits=[ApplicationLimit(_limit, scope=lambda _endpoint: request_class(),
                                             exempt_when=lambda: request_class() == "static")],
        storage_uri=storage_url(config.RATE_LIMIT_STORAGE_URL),
        headers_enabled=True,
        enabled=config.RATE_LIMIT_ENABLED,
        key_prefix="opendata",
        # Redis unreachable: count per process (logged) instead of answering 500 to every request;
        # Flask-Limiter goes back to Redis once it answers again
        in_memory_fallback_enabled=True,
    )
    app.extensions[EXTENSION_KEY] = limiter
    return limiter


def limit_per_address(limits: str, scope: str) -> None:
    """Count this call against the caller's address under ``limits`` (Flask-Limiter syntax, e.g. a
    setting such as OPENDATA_REQUESTS_STATUS_RATE_LIMIT) in its own ``scope``; 429 with Retry-After
    when one is spent. For operations whose every call must cost the same, answered or not (tracking
    code look-ups, public submissions), on top of the class limits."""
    limiter = current_app.extensions.get(EXTENSION_KEY)
    if limiter is None or not limiter.enabled:
        return
    address = request.remote_addr or "-"
    for item in parse_many(limits):
        strategy = limiter.limiter  # the in-memory fallback while the shared storage is unreachable
        try:
            allowed = strategy.hit(item, "opendata-scope", scope, address)
        except Exception:  # noqa: BLE001 - the storage's client raises its own errors (redis, ...)
            if limiter._fallback_limiter is None:  # noqa: SLF001 - Flask-Limiter's own fallback
                raise
            log.warning("rate-limit storage unreachable; counting %s in this process", scope)
            strategy = limiter._fallback_limiter  # noqa: SLF001
            allowed = strategy.hit(item, "opendata-scope", scope, address)
        if not allowed:
            reset, _remaining = strategy.get_window_stats(item, "opendata-scope", scope, address)
            raise TooManyRequests(f"too many {scope} from this address ({item}); try again later",
                                  retry_after=max(1, int(reset - time.time())))


def rate_limit_key() -> str:
    """``token:<id>`` for a valid token, ``user:<id>`` for a signed-in console session (its uploads and
    job polling count as the user's, like a token's), else ``addr:<address>`` (bad tokens count
    there). Pages are always counted per address."""
    if request_class() != "page":
        viewer, _error = resolve_viewer()
        if viewer.token_id is not None:
            return f"token:{viewer.token_id}"
        if viewer.user_id is not None:
            return f"user:{viewer.user_id}"
    return f"addr:{request.remote_addr}"


def _no_retry_after_on_success(response):
    # Flask-Limiter puts Retry-After on every answer; it only means something on 429, 503 and 3xx.
    if 200 <= response.status_code < 300:
        response.headers.pop("Retry-After", None)
    return response

