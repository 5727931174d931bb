"""Production server behaviour: graceful shutdown (DESIGN.md §7) and structured logs."""

import contextlib
import json
import threading
import time
import urllib.error

import pytest

from tests.servers import Gunicorn

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_sigterm_lets_the_in_flight_request_finish_then_exits_zero():
    with Gunicorn(workers=1) as web:
        result = {}

        def slow_request():
            result["response"] = web.get("/test/slow/?seconds=3", timeout=20)

        caller = threading.Thread(target=slow_request)
        caller.start()
        time.sleep(1)  # the request is now in flight
        started = time.monotonic()
        web.terminate()
        caller.join(20)
        web.process.wait(20)
        elapsed = time.monotonic() - started

    status, _, body = result["response"]
    assert status == 200
    assert body == b"slept 3.0"
    assert web.process.returncode == 0
    assert elapsed < 10


def test_new_connections_are_refused_while_draining():
    with Gunicorn(workers=1) as web:
        caller = threading.Thread(target=lambda: web.get("/test/slow/?seconds=3", timeout=20))
        caller.start()
        time.sleep(1)
        web.terminate()
        time.sleep(0.5)
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            web.get("/health/live", timeout=2)
        caller.join(20)


def test_shutdown_is_capped_at_the_graceful_timeout():
    with Gunicorn(workers=1, env={"GUNICORN_GRACEFUL_TIMEOUT": "2"}) as web:

        def abandoned_request():
            # Cut off by the shutdown: its connection is dropped, which is the point.
            with contextlib.suppress(OSError, urllib.error.URLError):
                web.get("/test/slow/?seconds=30", timeout=40)

        threading.Thread(target=abandoned_request, daemon=True).start()
        time.sleep(1)
        started = time.monotonic()
        web.terminate()
        web.process.wait(20)
        elapsed = time.monotonic() - started

    assert elapsed < 8


def test_logs_are_json_lines_with_request_id_and_tenant():
    with Gunicorn(workers=1) as web:
        status, headers, _ = web.get("/api/v1/no-such-thing/", host="tenant-a.localhost")
        time.sleep(0.3)
        output = web.output()

    assert status == 404
    request_id = headers["X-Request-ID"]
    records = []
    for line in output.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    mine = [r for r in records if r.get("request_id") == request_id]
    assert mine, output
    assert {r["tenant"] for r in mine} == {"tenant_a"}
    assert {"time", "level", "logger", "message"} <= set(mine[0])
