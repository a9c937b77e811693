"""Scale-out URLs: postgresql:// means psycopg 3, and a URL whose client library is missing is refused at
start-up with the extra to install (not a traceback at the first request)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from opendata.config import ConfigError, load_config


@pytest.mark.parametrize("given", ["postgresql://od@db:5432/opendata", "postgres://od@db:5432/opendata",
                                   "postgresql+psycopg://od@db:5432/opendata"])
def test_a_postgresql_url_is_read_with_psycopg_3(given):
    assert load_config({"OPENDATA_DATABASE_URL": given}).database_url == "postgresql+psycopg://od@db:5432/opendata"


@pytest.mark.parametrize(("setting", "url", "module", "extra"), [
    ("DATABASE_URL", "postgresql://od@db/opendata", "psycopg", "postgres"),
    ("RATE_LIMIT_STORAGE_URL", "redis://cache:6379", "redis", "redis"),
    ("JOB_QUEUE_URL", "redis://cache:6379/1", "dramatiq", "queue"),
])
def test_a_service_url_without_its_client_library_names_the_extra_to_install(setting, url, module, extra):
    # a fresh interpreter where the client library cannot be imported, as in a base install
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            "from opendata.config import ConfigError, load_config\n"
            f"try:\n    load_config({{'OPENDATA_{setting}': {url!r}}})\n"
            "except ConfigError as err:\n    print(err)\nelse:\n    print('accepted')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert f"OPENDATA_{setting}" in out and f"pip install 'opendata[{extra}]'" in out


def test_the_embedded_defaults_need_no_service_client():
    code = ("import sys; sys.modules['psycopg'] = None; sys.modules['redis'] = None\n"
            "from opendata.config import load_config; print(load_config({}).database_url)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("sqlite:///")


@pytest.mark.parametrize("url", ["amqp://broker:5672", "cache:6379", "http://cache:6379"])
def test_a_job_queue_url_that_is_not_redis_is_refused_naming_the_setting(url):
    with pytest.raises(ConfigError, match="OPENDATA_JOB_QUEUE_URL.*redis://"):
        load_config({"OPENDATA_JOB_QUEUE_URL": url})
