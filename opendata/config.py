"""Settings from environment variables prefixed ``OPENDATA_``.

Settings are a table (name, default, help), as Datasette does; docs/configuration.md lists every
one and a test fails when a setting is missing there.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opendata.core.errors import OpendataError

DEFAULT_SECRET_KEY = "dev-insecure-change-me"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
    Setting("BASE_URL", "http://127.0.0.1:5000", "Public base URL of every link the API, exports, feeds and pages write; when left at the default, links use the host of the request instead."),
    Setting("CATALOG_FILE", "catalog.yaml", "Catalogue file read by `opendata sync`, relative to the working directory."),
    Setting("SCHEMAS_DIR", "schemas", "Folder of Table Schemas named by catalog.yaml, relative to the working directory."),
    Setting("MAX_UPLOAD_BYTES", 2 * 1024**3, "Largest accepted upload in bytes (413 beyond it).", int),
    Setting("ROW_QUERY_TIMEOUT", 5.0, "Seconds a row query may run before it is interrupted.", float),
    Setting("SQLITE_BUSY_TIMEOUT_MS", 10_000, "SQLite busy timeout in milliseconds (embedded mode).", int),
    Setting("LOG_LEVEL", "INFO", "Level of the opendata loggers: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
            lambda v: v.strip().upper()),
    Setting("INGEST_WORKERS", 1, "Ingest jobs one server process runs at once (embedded mode); each runs in a "
            "child process with OPENDATA_INGEST_MEMORY_MB of memory.", int),
    Setting("INGEST_MEMORY_MB", 2048, "Memory (MiB) of the child process an ingest or a publish preparation runs "
            "in: it is stopped when its resident memory passes this, and its address space is capped at four "
            "times this; the job fails naming the limit, the server carries on. DuckDB (row database, profiles) keeps "
            "to a quarter of it and spills to disk beyond.", int),
    Setting("INGEST_MAX_COLUMNS", 2_000, "Most columns (cells) in any row of an uploaded file, the header "
            "included.", int),
    Setting("INGEST_MAX_CELL_BYTES", 1024**2, "Largest cell of an uploaded file, in bytes (UTF-8).", int),
    Setting("INGEST_MAX_ROW_BYTES", 16 * 1024**2, "Longest row of an uploaded text file (a CSV record or line, a "
            "JSON record), in bytes.", int),
    Setting("INGEST_MAX_JSON_DEPTH", 64, "Deepest nesting of arrays and objects in one JSON record.", int),
    Setting("INGEST_MAX_WORKBOOK_BYTES", 1024**3, "Largest XLSX workbook once unpacked (checked from the archive "
            "and while its XML streams), and largest XLS file, in bytes.", int),
    Setting("LIMIT_ERRORS", 1000, "Errors a validation report keeps in full (as frictionless' limit-errors); "
            "every error is still counted by type and field.", int),
    Setting("INGEST_STALE_SECONDS", 120.0, "An ingest job whose owner process has not refreshed its heartbeat for "
            "this many seconds is failed at the next start-up (a dead pid on the same host is failed at once).", float),
    Setting("UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024, "Bytes the console's upload page sends per resumable (tus) "
            "PATCH: a dropped connection loses at most one chunk; keep it under the reverse proxy's body limit.", int),
    Setting("UPLOAD_EXPIRY_HOURS", 24, "Hours a resumable (tus) upload may stay incomplete before it expires.", int),
    Setting("SQL_ECHO", False, "Log every SQL statement (debugging).", _bool),
    Setting("TOKEN_LIFETIME_DAYS", 90, "Days a new API token is valid unless a shorter life is asked for.", int),
    Setting("TOKEN_MAX_LIFETIME_DAYS", 365, "Longest life, in days, an API token may be given.", int),
    Setting("RATE_LIMIT_ENABLED", True, "Apply rate limits (turn off only for benchmarks).", _bool),
    Setting("RATE_LIMIT_ANONYMOUS_READ", "1200 per minute", "Reads (GET of the API and standards endpoints, "
            "every CKAN action) allowed per address for callers without a token (Flask-Limiter syntax; several "
            "limits separated by ';').", str),
    Setting("RATE_LIMIT_ANONYMOUS_WRITE", "60 per minute", "Other API requests allowed per address for callers "
            "without a valid token (in practice failed sign-ins and bad tokens, so guessing stays slow).", str),
    Setting("RATE_LIMIT_TOKEN_READ", "3000 per minute", "Reads allowed per API token.", str),
    Setting("RATE_LIMIT_TOKEN_WRITE", "600 per minute", "Writes (uploads, review steps, registry changes) allowed "
            "per API token.", str),
    Setting("RATE_LIMIT_PAGES", "3000 per minute", "Portal page views allowed per address, counted apart from "
            "API calls (their static files are not counted), so a class behind one address can browse.", str),
    Setting("RATE_LIMIT_STORAGE_URL", "memory://", "Where rate-limit counters live: memory:// in the embedded "
            "mode (per process), redis://host:6379 when several processes serve the API.", str),
    Setting("JOB_QUEUE_URL", "", "Redis URL of the job queue (scale-out mode, e.g. redis://host:6379/1): "
            "ingests, publish preparation and bulk builds are sent there and run by `opendata worker` processes; "
            "empty: each server process runs them itself (embedded mode).", str),
    Setting("JOB_RETRIES", 3, "Times a queued job is tried again after a transient fault (database or storage "
            "unreachable, its worker killed); a bad file is never retried. Then it fails, saying why.", int),
    Setting("JOB_RETRY_BACKOFF_SECONDS", 5.0, "Wait before the first retry of a queued job; it doubles with each "
            "retry (up to 5 minutes).", float),
    Setting("JOB_QUEUE_HEARTBEAT_SECONDS", 60.0, "A worker silent for this long is taken for dead: its "
            "unfinished jobs go back to the queue for another worker.", float),
    Setting("REVIEW_STEPS", "submit,review,approve", "Review steps (三审) a version goes through before it is "
            "published, in order, comma-separated; 'submit' is a publisher's step, the others reviewers'; the last "
            "one publishes.", str),
    Setting("ACCEL_REDIRECT_PREFIX", "", "Internal nginx location that maps $OPENDATA_HOME, such as "
            "/_opendata_files/ (`opendata nginx-config` prints it). When set, downloads and bulk archives answer "
            "with X-Accel-Redirect and nginx sends the bytes; empty: the app sends them itself.", str),
    Setting("ARTIFACT_STORE", "local", "Where sources, versions' files, row databases and bulk archives are "
            "stored: local ($OPENDATA_HOME/artifacts, the embedded default) or s3 (an S3-compatible bucket shared by "
            "every replica and worker; pip install 'opendata[s3]').", lambda v: v.strip().lower()),
    Setting("S3_BUCKET", "", "Bucket of the artifacts (OPENDATA_ARTIFACT_STORE=s3); it must exist.", str),
    Setting("S3_PREFIX", "", "Key prefix of every object this site writes in the bucket, such as opendata/ "
            "(several sites may share a bucket).", str),
    Setting("S3_ENDPOINT_URL", "", "URL of an S3-compatible server (MinIO, Ceph, a cloud's); empty: AWS S3 of "
            "OPENDATA_S3_REGION. Presigned download URLs name this host, so clients must reach it.", str),
    Setting("S3_REGION", "", "Region of the bucket (empty: the client's default, or us-east-1).", str),
    Setting("S3_ACCESS_KEY_ID", "", "Access key of the bucket; empty: boto3's own chain (AWS_ACCESS_KEY_ID, "
            "~/.aws/credentials, an instance role).", str),
    Setting("S3_SECRET_ACCESS_KEY", "", "Secret key that goes with OPENDATA_S3_ACCESS_KEY_ID.", str),
    Setting("S3_PART_MB", 64, "Files larger than this many MiB are uploaded in parts of this size (at least 5), "
            "each checked by its own SHA-256.", int),
    Setting("DOWNLOAD_REDIRECT_SECONDS", 0, "With OPENDATA_ARTIFACT_STORE=s3: 0 streams "
            "downloads and bulk archives through the app (Range, ETag = sha256); more answers 302 to a presigned URL "
            "of the store valid this many seconds, after the disclosure rules were checked. No effect on a local "
            "folder.", int),
    Setting("REQUESTS_OFFICE_HOURS", "09:00-17:00", "Office hours of the receiving organisations (local time, "
            "HH:MM-HH:MM): a request received after closing time or on a non-working day counts as received on the "
            "next working day.", str),
    Setting("REQUESTS_TIMEZONE", "Asia/Shanghai", "Time zone of the office hours and of the days deadlines count "
            "in (an IANA name).", str),
    Setting("REQUESTS_CORRECTION_DAYS", 15, "Working days an applicant has to send a corrected request (补正) "
            "unless staff set another period; none by then closes the request as 六.1.", int),
    Setting("REQUESTS_AGENCY_PAUSE_DAYS", 15, "Most working days a consultation of another agency may pause the "
            "reply clock (a third party has 15 by law); the clock restarts on its own after that.", int),
    Setting("REQUESTS_ATTACHMENT_MAX_BYTES", 20 * 1024**2, "Largest reply attachment in bytes (413 beyond it).",
            int),
    Setting("REQUESTS_ATTACHMENT_TYPES", "pdf,ofd,png,jpeg,csv,txt,xlsx,docx,zip", "Reply attachment types "
            "accepted, recognised by their content (comma-separated; any of pdf, ofd, png, jpeg, csv, txt, xlsx, "
            "docx, zip).", str),
    Setting("REQUESTS_OFTEN_THRESHOLD", 3, "Different applicants after which a subject or dataset is listed as "
            "often requested (Art. 44 review).", int),
    Setting("REQUESTS_SUBMIT_RATE_LIMIT", "10 per hour;50 per day", "Submissions allowed per address (public "
            "form and API; Flask-Limiter syntax).", str),
    Setting("REQUESTS_STATUS_RATE_LIMIT", "20 per minute;200 per day", "Status look-ups (tracking code plus "
            "contact) allowed per address, answered or not (Flask-Limiter syntax).", str),
    Setting("SMTP_HOST", "", "SMTP server for notifications; empty: messages stay in the outbox, listed for "
            "staff.", str),
    Setting("SMTP_PORT", 587, "SMTP server port.", int),
    Setting("SMTP_TLS", "starttls", "starttls, ssl (implicit TLS, usually port 465) or none (a local relay "
            "only).", str),
    Setting("SMTP_USERNAME", "", "SMTP login, if the server needs one.", str),
    Setting("SMTP_PASSWORD", "", "SMTP password, if the server needs one.", str),
    Setting("SMTP_SENDER", "", "From address of notifications, such as 信息公开 <gkb@example.gov.cn>; required "
            "when OPENDATA_SMTP_HOST is set.", str),
    Setting("OUTBOX_MAX_ATTEMPTS", 8, "Delivery attempts of a message before it is marked failed.", int),
    Setting("OUTBOX_RETRY_SECONDS", 60, "Wait before the first retry of a message; doubled after each "
            "failure, at most a day.", int),
    Setting("OUTBOX_INTERVAL_SECONDS", 60, "Seconds between two runs of the server's notification worker "
            "(request deadlines, then the outbox); 0 turns it off (run `opendata requests sweep` and "
            "`opendata outbox send` from cron instead).", int),
    Setting("READBACK_FRICTIONLESS_ROWS", 10_000, "Rows of a version's CSV that frictionless-py itself reads "
            "before the version is published (0: all). pyarrow and pandas read every row, and every row is checked "
            "with frictionless' rules by the vectorized validator; frictionless-py is ~20x slower, so it reads a "
            "prefix.", int),
    Setting("SEARCH_PINYIN", True, "Let catalogue search read a Latin word that starts no indexed word as pinyin, "
            "full (caizheng) or initials (czys), and find the Chinese words of titles and keywords it spells.", _bool),
    Setting("SEARCH_SYNONYMS_FILE", "", "A file of search synonyms added to the built-in table "
            "(opendata/store/data/search_synonyms.txt, same format: one group per line, comma-separated; "
            "`a => b, c` for one way). Read when the server starts.", str),
    Setting("REPORTS_REQUEST_KINDS", "disclosure,data-access", "Kinds of request table 三 of the annual report "
            "counts (comma-separated: disclosure, data-access). Data-access applications concern conditional "
            "(依申请公开) datasets and are counted by default.", str),
    Setting("TIMELINESS_NOTICE_DAYS", 7, "Days before a dataset falls due (its update frequency's maximum age "
            "after its last publication) that it counts as due soon on the timeliness board and its publishers get "
            "a notice (0 to 366).", int),
    Setting("SHOWCASE_SCREENSHOT_MAX_BYTES", 2 * 1024**2, "Largest showcase screenshot in bytes (PNG, JPEG or "
            "WebP; 413 beyond it).", int),
    Setting("SHOWCASE_SUBMIT_RATE_LIMIT", "5 per hour;20 per day", "Showcase submissions allowed per address "
            "(Flask-Limiter syntax).", str),
    Setting("TRUSTED_PROXIES", 0, "Reverse proxies in front of the app whose X-Forwarded-For is trusted for the "
            "caller's address (0: use the connection's address).", int),
    Setting("SESSION_IDLE_MINUTES", 60, "Minutes without a request after which a console session ends (the "
            "department console's sign-in).", int),
    Setting("SESSION_MAX_HOURS", 12, "Hours after sign-in at which a console session ends however active it is.",
            int),
    Setting("SESSION_COOKIE_SECURE", True, "Mark the console's session cookie Secure (and name it with the "
            "__Host- prefix). Browsers keep Secure cookies from https and from http://localhost or 127.0.0.1; turn "
            "off only for a development server reached over plain http at another address. Production refuses "
            "to start with it off.", _bool),
    Setting("SIGN_IN_BACKOFF_AFTER", 3, "Failed sign-ins in a row for one username after which each further "
            "attempt must wait (1 s, doubling each time).", int),
    Setting("SIGN_IN_LOCKOUT_AFTER", 10, "Failed sign-ins in a row for one username after which it is locked "
            "(audited; an administrator can unlock it sooner).", int),
    Setting("SIGN_IN_LOCKOUT_MINUTES", 15, "Minutes a locked username stays locked.", int),
    Setting("SIGN_IN_RATE_LIMIT", "100 per hour", "Sign-in attempts allowed per address, answered or not "
            "(Flask-Limiter syntax; several limits separated by ';').", str),
)


# settings that were split: a deployment still setting the old name is told, not silently ignored
RENAMED = {"RATE_LIMIT_ANONYMOUS": ("RATE_LIMIT_ANONYMOUS_READ", "RATE_LIMIT_ANONYMOUS_WRITE"),
           "RATE_LIMIT_TOKEN": ("RATE_LIMIT_TOKEN_READ", "RATE_LIMIT_TOKEN_WRITE")}


@dataclass(frozen=True)
class DataFolder:
    """The layout of OPENDATA_HOME, decided here only."""

    home: Path

    @property
    def database(self) -> Path:
        return self.home / "opendata.db"

    @property
    def artifacts(self) -> Path:
        return self.home / "artifacts"

    @property
    def uploads(self) -> Path:
        """Upload bodies waiting for their job (same filesystem as the artifacts, so a rename moves them)."""
        return self.home / "uploads"

    @property
    def bulk(self) -> Path:
        return self.home / "bulk"

    @property
    def cache(self) -> Path:
        """Local copies of objects of an object store (the row engine's DuckDB files) and its work folders."""
        return self.home / "cache"

    @property
    def search_index(self) -> Path:
        return self.home / "search.sqlite3"


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

    @cached_property
    def folder(self) -> DataFolder:
        """Where each kind of file lives under OPENDATA_HOME."""
        return DataFolder(self.home)

    @property
    def database_url(self) -> str:
        """OPENDATA_DATABASE_URL (postgresql:// meaning psycopg 3), or the embedded SQLite file."""
        return with_psycopg(self.values["DATABASE_URL"]) or f"sqlite:///{self.folder.database}"

    @property
    def is_production(self) -> bool:
        return self.values["ENV"] == "production"

    @property
    def artifacts_dir(self) -> Path:
        return self.folder.artifacts

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
    for old, new in RENAMED.items():
        if f"OPENDATA_{old}" in env:
            raise ConfigError(f"OPENDATA_{old} was replaced by {' and '.join(f'OPENDATA_{n}' for n in new)} "
                              "(reads cost less than writes; see docs/security.md)")
    if values["ENV"] not in ("development", "production"):
        raise ConfigError("OPENDATA_ENV must be 'development' or 'production'")
    check_accel_prefix(values["ACCEL_REDIRECT_PREFIX"])
    check_clients(values)
    if values["ARTIFACT_STORE"] not in ("local", "s3"):
        raise ConfigError(f"OPENDATA_ARTIFACT_STORE={values['ARTIFACT_STORE']!r} must be local or s3")
    if values["ARTIFACT_STORE"] == "s3" and not values["S3_BUCKET"]:
        raise ConfigError("OPENDATA_S3_BUCKET is required when OPENDATA_ARTIFACT_STORE is s3")
    if values["SMTP_TLS"] not in ("starttls", "ssl", "none"):
        raise ConfigError("OPENDATA_SMTP_TLS must be starttls, ssl or none")
    if values["SMTP_HOST"] and not values["SMTP_SENDER"]:
        raise ConfigError("OPENDATA_SMTP_SENDER is required when OPENDATA_SMTP_HOST is set")
    if values["LOG_LEVEL"] not in LOG_LEVELS:
        raise ConfigError(f"OPENDATA_LOG_LEVEL={values['LOG_LEVEL']!r} must be one of {', '.join(LOG_LEVELS)}")
    if values["ENV"] == "production" and not values["SESSION_COOKIE_SECURE"]:
        raise ConfigError("refusing to start in production with OPENDATA_SESSION_COOKIE_SECURE off: session "
                          "cookies would travel over plain http")
    if values["ENV"] == "production" and values["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigError("refusing to start in production with the default OPENDATA_SECRET_KEY; set a random one")
    return Config(values)


# URL schemes of the scale-out services -> the client library each needs and the extra that installs it
CLIENTS = {"postgresql": ("psycopg", "postgres"), "postgres": ("psycopg", "postgres"),
           "redis": ("redis", "redis"), "rediss": ("redis", "redis")}


def with_psycopg(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy alone would pick psycopg2)."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


# settings whose value is never printed, and URLs whose password is not
_SECRETS = frozenset({"SECRET_KEY", "S3_SECRET_ACCESS_KEY", "SMTP_PASSWORD"})
_URLS = frozenset({"DATABASE_URL", "RATE_LIMIT_STORAGE_URL", "JOB_QUEUE_URL"})


def without_password(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***`` (for output and logs)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc or ":" not in parts.netloc.rsplit("@", 1)[0]:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:***@{host}"))


def shown_value(name: str, value: Any, default: Any = None) -> Any:
    """A setting's value as commands print it: a secret as ``(set)`` (the public default as it is), a URL's password as ``***``."""
    if name in _SECRETS:
        return "(set)" if value and value != default else value
    if name in _URLS and isinstance(value, str):
        return without_password(value)
    return value


def check_clients(values: Mapping[str, Any]) -> None:
    """A PostgreSQL or Redis URL needs its client library: say which extra to install instead of failing later."""
    for setting in ("DATABASE_URL", "RATE_LIMIT_STORAGE_URL"):
        scheme = str(values[setting]).split(":", 1)[0].split("+", 1)[0]
        if scheme in CLIENTS and importlib.util.find_spec(CLIENTS[scheme][0]) is None:
            module, extra = CLIENTS[scheme]
            raise ConfigError(f"OPENDATA_{setting} names {scheme}, but its client library ({module}) is not "
                              f"installed: pip install 'opendata[{extra}]'")
    queue = str(values["JOB_QUEUE_URL"])
    if queue:
        if queue.split(":", 1)[0] not in ("redis", "rediss"):
            raise ConfigError(f"OPENDATA_JOB_QUEUE_URL={queue!r} must be a redis:// or rediss:// URL (or empty)")
        for module in ("dramatiq", "redis"):
            if importlib.util.find_spec(module) is None:
                raise ConfigError(f"OPENDATA_JOB_QUEUE_URL is set, but its client library ({module}) is not "
                                  "installed: pip install 'opendata[queue]'")


def check_accel_prefix(prefix: str) -> None:
    """An X-Accel-Redirect prefix is empty (off) or an nginx location path such as /_opendata_files/."""
    if prefix and not (prefix.startswith("/") and prefix.endswith("/") and "//" not in prefix and " " not in prefix):
        raise ConfigError(f"OPENDATA_ACCEL_REDIRECT_PREFIX={prefix!r} must be a location path that starts and ends "
                          "with '/', such as /_opendata_files/")


def configure_logging(config: Config) -> None:
    """Set the level of the ``opendata`` loggers from OPENDATA_LOG_LEVEL (handlers are the server's)."""
    logging.getLogger("opendata").setLevel(config.LOG_LEVEL)
