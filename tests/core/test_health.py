"""Probes (DESIGN.md §7), in-process and against a real gunicorn with a data store stopped."""

import json
import time

import pytest
from celery import current_app
from celery.signals import task_prerun

from apps.core import taskwatch
from apps.core.localcache import redis_client
from tests.conftest import HostClient
from tests.servers import Gunicorn, RedisServer, free_port

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
def test_ready_recovers_when_redis_comes_back(tmp_path):
    redis_server = RedisServer(tmp_path).start()
    try:
        with Gunicorn(env={"REDIS_URL": redis_server.url}) as web:
            assert web.get("/health/ready")[0] == 200
            redis_server.stop()
            assert web.get("/health/ready")[0] == 503
            redis_server.start()
            assert web.get("/health/ready")[0] == 200
    finally:
        redis_server.stop()


# --- A stalled worker (issue 16 F5) ------------------------------------------------------------


@pytest.fixture
def watched():
    """The running-task hash of this session, emptied before and after."""
    client = redis_client()
    client.delete(taskwatch.running_key())
    yield client
    client.delete(taskwatch.running_key())


def started(client, task_id: str, name: str, seconds_ago: float) -> None:
    entry = json.dumps({"name": name, "started": time.time() - seconds_ago})
    client.hset(taskwatch.running_key(), task_id, entry)


def test_ready_fails_naming_a_task_running_past_the_stall_time(watched, settings):
    settings.TASK_STALL_SECONDS = 600
    started(watched, "t-busy", "isp.billing_run", seconds_ago=30)
    assert HostClient("localhost").get("/health/ready").status_code == 200

    started(watched, "t-stuck", "isp.billing_run", seconds_ago=601)
    response = HostClient("localhost").get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert [d["field"] for d in body["error"]["details"]] == ["workers"]
    assert "isp.billing_run (t-stuck) for 601 s" in body["checks"]["workers"]["error"]
    assert "t-busy" not in body["checks"]["workers"]["error"]


def test_a_task_whose_worker_died_is_dropped_after_the_hard_time_limit(watched, settings):
    started(watched, "t-dead", "isp.billing_run", seconds_ago=settings.CELERY_TASK_TIME_LIMIT + 61)
    watched.hset(taskwatch.running_key(), "t-garbled", b"not json")

    assert HostClient("localhost").get("/health/ready").status_code == 200
    assert watched.hlen(taskwatch.running_key()) == 0


def test_a_real_task_is_watched_while_it_runs_and_forgotten_when_it_ends(watched, celery_worker):
    seen = []
    original = taskwatch._started

    def spy(**kwargs):
        original(**kwargs)
        seen.append(watched.hgetall(taskwatch.running_key()))

    task_prerun.connect(spy, weak=False, dispatch_uid="test-spy")
    try:
        result = current_app.send_task("core.record_heartbeat", args=("probe",))
        result.get(timeout=30)
    finally:
        task_prerun.disconnect(dispatch_uid="test-spy")

    assert [json.loads(v)["name"] for v in seen[-1].values()] == ["core.record_heartbeat"]
    # The result is stored before task_postrun runs: the entry goes a moment after get().
    deadline = time.monotonic() + 10
    while watched.hlen(taskwatch.running_key()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watched.hlen(taskwatch.running_key()) == 0


def test_a_web_pods_probe_may_skip_the_workers_check(watched, settings):
    settings.TASK_STALL_SECONDS = 600
    started(watched, "t-stuck", "isp.billing_run", seconds_ago=601)

    response = HostClient("localhost").get("/health/ready", {"skip": "workers"})

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"serving", "database", "redis"}
