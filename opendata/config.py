"""Settings from environment variables prefixed ``OPENDATA_``.

Settings are a table (name, default, help), as Datasette does; docs/configuration.md lists every
one and a test fails when a setting is missing there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from opendata.core.errors import OpendataError

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


@dataclass(frozen=True)
class Setting:
    """One configuration setting."""

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


SETTINGS: tuple[Setting, ...] = (
    Setting("HOME", "./var", "Data folder: the SQLite database, artifacts, jobs and bulk files live here."),
    Setting("DATABASE_URL", "", "SQLAlchemy URL of the metadata database; empty means sqlite:///$OPENDATA_HOME/opendata.db."),
    Setting("SECRET_KEY", DEFAULT_SECRET_KEY, "Key that signs cursors and sessions. Must be changed in production."),
    Setting("ENV", "development", "development or production; production refuses to start with the default secret key."),
    Setting("BASE_URL", "http://127.0.0.1:5000", "Public base URL used in links of DCAT, data.json, feeds and downloads."),
    Setting("CATALOG_FILE", "catalog.yaml", "Catalogue file read by `opendata sync`, relative to the working directory."),
    Setting("SCHEMAS_DIR", "schemas", "Folder of Table Schemas named by catalog.yaml, relative to the working directory."),
    Setting("MAX_UPLOAD_BYTES", 2 * 1024**3, "Largest accepted upload in bytes (413 beyond it).", int),
    Setting("ROW_QUERY_TIMEOUT", 5.0, "Seconds a row query may run before it is interrupted.", float),
    Setting("ROW_QUERY_MAX_LIMIT", 10_000, "Largest page a row query may ask for.", int),
    Setting("SQLITE_BUSY_TIMEOUT_MS", 10_000, "SQLite busy timeout in milliseconds (embedded mode).", int),
    Setting("LOG_LEVEL", "INFO", "Logging level."),
    Setting("INGEST_WORKERS", 1, "Ingest worker threads in the server process (embedded mode).", int),
    Setting("INGEST_STALE_SECONDS", 120.0, "An ingest job whose owner process has not refreshed its heartbeat for "
            "this many seconds is failed at the next start-up (a dead pid on the same host is failed at once).", float),
    Setting("UPLOAD_EXPIRY_HOURS", 24, "Hours a resumable (tus) upload may stay incomplete before it expires.", int),
    Setting("SQL_ECHO", False, "Log every SQL statement (debugging).", _bool),
    Setting("TOKEN_LIFETIME_DAYS", 90, "Days a new API token is valid unless a shorter life is asked for.", int),
    Setting("TOKEN_MAX_LIFETIME_DAYS", 365, "Longest life, in days, an API token may be given.", int),
    Setting("RATE_LIMIT_ENABLED", True, "Apply rate limits (turn off only for benchmarks).", _bool),
    Setting("RATE_LIMIT_ANONYMOUS", "60 per minute", "Requests allowed per address for callers without a token "
            "(Flask-Limiter syntax; several limits separated by ';').", str),
    Setting("RATE_LIMIT_TOKEN", "600 per minute", "Requests allowed per API token (Flask-Limiter syntax).", str),
    Setting("RATE_LIMIT_STORAGE_URL", "memory://", "Where rate-limit counters live: memory:// in the embedded "
            "mode (per process), redis://host:6379 when several processes serve the API.", str),
    Setting("REVIEW_STEPS", "submit,review,approve", "Review steps (三审) a version goes through before it is "
            "published, in order, comma-separated; 'submit' is a publisher's step, the others reviewers'; the last "
            "one publishes.", str),
    Setting("ACCEL_REDIRECT_PREFIX", "", "Internal nginx location that maps $OPENDATA_HOME, such as "
            "/_opendata_files/ (`opendata nginx-config` prints it). When set, downloads and bulk archives answer "
            "with X-Accel-Redirect and nginx sends the bytes; empty: the app sends them itself.", str),
    Setting("TRUSTED_PROXIES", 0, "Reverse proxies in front of the app whose X-Forwarded-For is trusted for the "
            "caller's address (0: use the connection's address).", int),
)


@dataclass(frozen=True)
class Config:
    """Resolved settings; build with :func:`load_config`."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name.upper()]
        except KeyError:
            raise AttributeError(name) from None

    @cached_property
    def home(self) -> Path:
        return Path(self.values["HOME"]).resolve()

    @property
    def database_url(self) -> str:
        return self.values["DATABASE_URL"] or f"sqlite:///{self.home / 'opendata.db'}"

    @property
    def is_production(self) -> bool:
        return self.values["ENV"] == "production"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "artifacts"

    def public_base_url(self, request_host_url: str) -> str:
        """OPENDATA_BASE_URL when set on purpose (in the environment, or other than the default), else
        the request's own host: the default points at a development server."""
        configured = str(self.values["BASE_URL"])
        if "OPENDATA_BASE_URL" in os.environ or configured != _setting_default("BASE_URL"):
            return configured.rstrip("/")
        return request_host_url.rstrip("/")


def _setting_default(name: str) -> Any:
    return next(s.default for s in SETTINGS if s.name == name)


class ConfigError(OpendataError):
    """A setting has a bad value, or production is started with an unsafe one."""

    code = "config-error"


def load_config(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Read ``OPENDATA_*`` variables (from ``environ`` or os.environ), apply overrides, check."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = env.get(f"OPENDATA_{s.name}")
        if raw is None:
            values[s.name] = s.default
            continue
        try:
            values[s.name] = s.parse(raw)
        except ValueError:
            raise ConfigError(f"OPENDATA_{s.name}={raw!r} is not a valid value: {s.help}") from None
    for key, value in overrides.items():
        if key.upper() not in values:
            raise ConfigError(f"unknown setting {key!r}")
        values[key.upper()] = value
    if values["ENV"] not in ("development", "production"):
        raise ConfigError("OPENDATA_ENV must be 'development' or 'production'")
    check_accel_prefix(values["ACCEL_REDIRECT_PREFIX"])
    if values["ENV"] == "production" and values["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigError("refusing to start in production with the default OPENDATA_SECRET_KEY; set a random one")
    return Config(values)


def check_accel_prefix(prefix: str) -> None:
    """An X-Accel-Redirect prefix is empty (off) or an nginx location path such as /_opendata_files/."""
    if prefix and not (prefix.startswith("/") and prefix.endswith("/") and "//" not in prefix and " " not in prefix):
        raise ConfigError(f"OPENDATA_ACCEL_REDIRECT_PREFIX={prefix!r} must be a location path that starts and ends "
                          "with '/', such as /_opendata_files/")
