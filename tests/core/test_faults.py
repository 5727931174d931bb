"""Faults against real servers (issue 16, item 4): a gunicorn of the test's own on a Redis and a
PostgreSQL of its own, which the tests stop and start. While one is down, pages and the API
answer a clean 503 in their format (never a 500 or a debug page), what can work without it
works, sign-in fails closed; when it is back, the same server answers 200 without a restart.
"""

import json

import pytest

from tests.conftest import PASSWORD, TENANTS, host_of
from tests.servers import Browser, Gunicorn, PostgresCopy, RedisServer, http_post_json

# django_db: the session database is set up only for a run holding a test that asks for it.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HOST = host_of(TENANTS["a"])


@pytest.fixture(scope="module")
def stores(django_db_setup, tmp_path_factory):
    """A Redis and a PostgreSQL (a copy of the session's committed tenants) of the module's own."""
    base = tmp_path_factory.mktemp("faults")
    redis_server = RedisServer(base / "redis").start()
    postgres = PostgresCopy(base / "postgres").start().copy_test_database()
    yield redis_server, postgres
    redis_server.stop()
    postgres.stop()


@pytest.fixture
def web(stores):
    redis_server, postgres = stores
    # DEBUG as under `make run`: the page a fault drew there was Django's debug page.
    env = {"DATABASE_URL": postgres.url, "REDIS_URL": redis_server.url, "DEBUG": "1"}
    with Gunicorn(workers=1, env=env) as server:
        yield server
    # Whatever a test stopped is running again for the next one.
    if redis_server.process is None:
        redis_server.start()
    if postgres.server is None:
        postgres.start()


def token_of(web) -> str:
    status, _, body = http_post_json(
        f"{web.url}/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, host=HOST
    )
    assert status == 200, body
    return json.loads(body)["data"]["attributes"]["access"]


def api_get(web, path: str, token: str):
    return web.get(path, host=HOST, headers={"Authorization": f"Bearer {token}"})


def assert_unavailable_page(status, headers, body) -> None:
    assert status == 503, body[:300]
    assert headers["Retry-After"] == "5"
    assert headers["Content-Type"].startswith("text/html")
    text = body.decode()
    assert "Briefly unavailable" in text
    assert "Traceback" not in text
    assert headers["X-Request-ID"] in text
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def assert_unavailable_envelope(status, headers, body) -> None:
    assert status == 503, body[:300]
    assert headers["Retry-After"] == "5"
    error = json.loads(body)["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["request_id"] == headers["X-Request-ID"]


def test_without_redis_pages_answer_503_bearer_tokens_work_and_sign_in_fails_closed(web, stores):
    redis_server, _ = stores
    browser = Browser(web.url, HOST)
    browser.sign_in("owner", PASSWORD)
    token = token_of(web)
    assert browser.request("/isp/")[0] == 200

    redis_server.stop()
    try:
        # A page with a session cookie: the session store is Redis (then PostgreSQL).
        assert_unavailable_page(*browser.fetch("/isp/"))
        # The API with a bearer token needs no Redis: the rate limit lets it through and the
        # licences are read from PostgreSQL.
        status, _, body = api_get(web, "/api/v1/isp/customers/", token)
        assert status == 200, body
        # Sign-in's limit fails closed: no password is tried without it, on the API or a page.
        assert_unavailable_envelope(
            *http_post_json(
                f"{web.url}/api/v1/auth/token/",
                {"username": "owner", "password": PASSWORD},
                host=HOST,
            )
        )
        assert_unavailable_page(*Browser(web.url, HOST).try_sign_in("owner", PASSWORD))
    finally:
        redis_server.start()

    assert browser.request("/isp/")[0] == 200  # the same session, the same server
    Browser(web.url, HOST).sign_in("owner", PASSWORD)
    assert token_of(web)


def test_without_postgresql_everything_answers_503_then_200_without_a_restart(web, stores):
    _, postgres = stores
    browser = Browser(web.url, HOST)
    browser.sign_in("owner", PASSWORD)
    token = token_of(web)
    pid = web.process.pid

    postgres.stop()
    try:
        assert_unavailable_page(*browser.fetch("/isp/"))
        assert_unavailable_envelope(*api_get(web, "/api/v1/isp/customers/", token))
        # An unknown host cannot be told from a tenant's without the database.
        assert_unavailable_page(*web.get("/", host="nobody.localhost"))
        assert web.get("/health/ready")[0] == 503
        assert web.get("/health/live")[0] == 200
    finally:
        postgres.start()

    assert browser.request("/isp/")[0] == 200
    status, _, body = api_get(web, "/api/v1/isp/customers/", token)
    assert status == 200, body
    assert web.get("/health/ready")[0] == 200
    assert web.get("/", host="nobody.localhost")[0] == 404
    assert web.process.pid == pid
    assert web.process.poll() is None
