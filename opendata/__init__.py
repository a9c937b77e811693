"""opendata: an open government data publishing platform."""

__version__ = "0.1.0"
