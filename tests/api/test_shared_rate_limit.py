"""With OPENDATA_RATE_LIMIT_STORAGE_URL=redis://..., every process serving the API counts against the same
allowance (a real redis-server and two real server processes)."""

from __future__ import annotations

import json
import time

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


def _command_calls(redis_url: str) -> dict[str, int]:
    """Calls of each Redis command so far (INFO commandstats)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in client.info("commandstats").items()}
    finally:
        client.close()


def test_through_redis_a_request_is_counted_in_one_round_trip_and_its_headers_match_memory(runtime, redis_url):
    answers = {}
    for name, url in (("memory", "memory://"), ("redis", redis_url)):
        app = create_app(load_config({}, HOME=str(runtime.config.home), RATE_LIMIT_STORAGE_URL=url,
                                     RATE_LIMIT_ANONYMOUS_READ="4 per minute"))
        client, address = app.test_client(), f"198.51.100.{len(answers) + 1}"
        before = _command_calls(redis_url)
        answers[name] = [client.get("/api/v1/status", environ_base={"REMOTE_ADDR": address}) for _ in range(5)]
        after = _command_calls(redis_url)
        close_app(app)
        if name == "redis":  # one script a request returns the count and its expiry: no GET, no TTL of its own
            spent = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
            # (commandstats counts the script's own INCRBY and TTL too: one of each per request)
            assert spent.get("evalsha", 0) + spent.get("eval", 0) == 5, spent
            assert spent.get("get", 0) == 0 and spent.get("ttl", 0) == spent.get("incrby", 0) == 5, spent
    for name, responses in answers.items():
        assert [r.status_code for r in responses] == [200, 200, 200, 200, 429], name
        assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["3", "2", "1", "0", "0"], name
        resets = [int(r.headers["X-RateLimit-Reset"]) - int(time.time()) for r in responses]
        assert all(0 <= reset <= 61 for reset in resets), (name, resets)
