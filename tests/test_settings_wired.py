"""Every setting is read by the code (no documented setting that nothing reads), and LOG_LEVEL works."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import opendata
from opendata.app import close_app, create_app
from opendata.config import SETTINGS, ConfigError, load_config

PACKAGE = Path(opendata.__file__).parent


def test_every_setting_is_read_outside_the_settings_table():
    code = "\n".join(p.read_text("utf-8") for p in PACKAGE.rglob("*.py") if p.name != "config.py")
    config_py = (PACKAGE / "config.py").read_text("utf-8")
    unread = [s.name for s in SETTINGS
              if not re.search(rf"\b{s.name}\b", code)
              and not re.search(rf"values\[\"{s.name}\"\]|self\.{s.name}\b|config\.{s.name}\b", config_py)]
    assert unread == []


def test_log_level_sets_the_opendata_loggers(tmp_path):
    app = create_app(HOME=str(tmp_path / "home"), LOG_LEVEL="WARNING")
    try:
        assert logging.getLogger("opendata.services.jobs").getEffectiveLevel() == logging.WARNING
    finally:
        close_app(app)
        logging.getLogger("opendata").setLevel(logging.NOTSET)


def test_a_bad_log_level_is_refused_naming_the_setting():
    with pytest.raises(ConfigError, match="OPENDATA_LOG_LEVEL"):
        load_config({"OPENDATA_LOG_LEVEL": "loud"})
    assert load_config({"OPENDATA_LOG_LEVEL": "debug"}).LOG_LEVEL == "DEBUG"
