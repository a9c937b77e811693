"""The one table of HTTP statuses (opendata.api.errors.STATUS): every domain error is in it, and no
service error carries an HTTP status of its own."""

from __future__ import annotations

import importlib
import pkgutil

import opendata
from opendata.api.errors import STATUS, status_for
from opendata.core.errors import OpendataError

# Raised only while starting up or on the command line, never inside a request.
NOT_HTTP = {"ConfigError"}


def _all_domain_errors() -> set[type[OpendataError]]:
    for info in pkgutil.walk_packages(opendata.__path__, "opendata."):
        importlib.import_module(info.name)
    found, todo = set(), [OpendataError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return {cls for cls in found if cls.__module__.startswith("opendata.")}


def test_every_domain_error_has_its_own_entry_in_the_status_table():
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in _all_domain_errors()
                     if c.__name__ not in NOT_HTTP
                     and not any(k in STATUS for k in c.__mro__[:c.__mro__.index(OpendataError)]))
    assert missing == [], f"add these to opendata.api.errors.STATUS: {missing}"


def test_no_error_class_decides_its_own_http_status():
    carrying = sorted(c.__name__ for c in _all_domain_errors() if "http_status" in vars(c))
    assert carrying == []


def test_statuses_follow_the_table_through_subclasses():
    class Unlisted(OpendataError):
        code = "unlisted"

    assert status_for(Unlisted("x")) == 400
    for cls, status in STATUS.items():
        assert status_for(cls("x")) == status
