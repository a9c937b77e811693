"""The calling style ckanapi.TestAppCKAN expects (webtest's ``post``), over a Flask test client."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class WebtestResponse:
    status: int
    body: str


class FlaskTestApp:
    """Enough of webtest.TestApp for ckanapi.TestAppCKAN: ``post(url, params, headers, expect_errors)``."""

    def __init__(self, client):
        self.client = client

    def post(self, url, params=None, headers=None, expect_errors=True, **_kw):
        r = self.client.post(url, data=params, headers=headers or {})
        return WebtestResponse(r.status_code, r.get_data(as_text=True))
