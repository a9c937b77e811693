"""Alembic environment: the models' metadata, and the URL from opendata's settings."""

from __future__ import annotations

from alembic import context

import opendata.store.accounts  # noqa: F401  (registers the accounts tables on Base.metadata)
import opendata.store.disclosure  # noqa: F401  (registers the disclosure change tables)
import opendata.store.jobs  # noqa: F401  (registers the ingest job and upload session tables)
import opendata.store.outbox  # noqa: F401  (registers the outbox of notifications)
import opendata.store.reports  # noqa: F401  (registers the annual report tables)
import opendata.store.requests  # noqa: F401  (registers the disclosure request tables)
import opendata.store.review  # noqa: F401  (registers the review decision and PII resolution tables)
import opendata.store.sessions  # noqa: F401  (registers the console sessions and sign-in throttle)
import opendata.store.showcases  # noqa: F401  (registers the reuse showcase tables)
from opendata.config import load_config
from opendata.store.db import make_engine
from opendata.store.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, autogen_context):
    """Render our column types as plain SQLAlchemy types, so migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or load_config().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True, render_item=_render_item)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
