"""Persistence: database models and sessions, and the artifact store."""

# Register the accounts tables on Base.metadata wherever the models are used (migrations, tests).
from opendata.store import accounts as _accounts  # noqa: E402,F401
from opendata.store import disclosure as _disclosure  # noqa: E402,F401
from opendata.store import jobs as _jobs  # noqa: E402,F401
from opendata.store import outbox as _outbox  # noqa: E402,F401
from opendata.store import reports as _reports  # noqa: E402,F401
from opendata.store import requests as _requests  # noqa: E402,F401
from opendata.store import review as _review  # noqa: E402,F401
from opendata.store import showcases as _showcases  # noqa: E402,F401
