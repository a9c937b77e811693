"""With OPENDATA_RATE_LIMIT_STORAGE_URL=redis://..., every process serving the API counts against the same
allowance (a real redis-server and two real server processes)."""

from __future__ import annotations

import json

from opendata.app import close_app, create_app
from opendata.config import load_config
from scripts.services import free_fixed_port
from tests.live_server import LiveServer


def test_two_server_processes_share_one_allowance_through_redis(runtime, redis_url):
    settings = {"OPENDATA_RATE_LIMIT_ENABLED": "true", "OPENDATA_RATE_LIMIT_ANONYMOUS_READ": "6 per minute",
                "OPENDATA_RATE_LIMIT_STORAGE_URL": redis_url}
    # each start waits for one answer of /api/v1/status: two of the six calls are spent by then
    with LiveServer(runtime.config.home, **settings) as a, LiveServer(runtime.config.home, **settings) as b:
        statuses = [server.get("/api/v1/status")[0] for server in (a, b, a, b)]
        assert statuses == [200, 200, 200, 200]
        status, body = b.get("/api/v1/status")  # the seventh call, wherever it lands, is over the shared limit
        assert status == 429 and json.loads(body)["code"] == "too-many-requests"
        assert a.get("/api/v1/status")[0] == 429



def test_an_unreachable_redis_degrades_to_counting_in_each_process_not_to_errors(runtime):
    nothing_listens = f"redis://127.0.0.1:{free_fixed_port()}/0"
    app = create_app(load_config({}, HOME=str(runtime.config.home), RATE_LIMIT_STORAGE_URL=nothing_listens,
                                 RATE_LIMIT_ANONYMOUS_READ="2 per minute"))
    client = app.test_client()
    assert [client.get("/api/v1/status").status_code for _ in range(3)] == [200, 200, 429]
    close_app(app)
