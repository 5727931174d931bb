"""The backend skips the per-request `SELECT 1` on a recently used connection, not an idle one."""

import time

import pytest
from django.db import connections

pytestmark = pytest.mark.django_db  # the test database; the test uses a connection of its own


@pytest.fixture
def own_connection(django_db_blocker, monkeypatch):
    with django_db_blocker.unblock():
        conn = connections.create_connection("default")
        checks = []
        real_is_usable = conn.is_usable

        def counting_is_usable():
            checks.append(1)
            return real_is_usable() and not conn.server_restarted

        monkeypatch.setattr(conn, "is_usable", counting_is_usable)
        conn.checks = checks
        conn.server_restarted = False
        try:
            yield conn
        finally:
            conn.close()


def new_request(conn):
    """What Django does at request start and end: re-arm the health check."""
    conn.close_if_unusable_or_obsolete()


def query(conn):
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_recently_used_connection_is_not_checked(own_connection, settings):
    settings.DB_HEALTH_CHECK_DELAY = 5
    query(own_connection)

    new_request(own_connection)
    query(own_connection)

    assert own_connection.checks == []


def test_idle_connection_is_checked_and_a_dead_one_replaced(own_connection, settings):
    settings.DB_HEALTH_CHECK_DELAY = 5
    query(own_connection)
    first_pid = own_connection.connection.info.backend_pid
    own_connection._last_used = time.monotonic() - 6  # idle for longer than the delay
    own_connection.server_restarted = True

    new_request(own_connection)
    query(own_connection)

    assert own_connection.checks == [1]
    assert own_connection.connection.info.backend_pid != first_pid


def test_zero_delay_checks_every_request_like_django(own_connection, settings):
    settings.DB_HEALTH_CHECK_DELAY = 0
    query(own_connection)

    for _ in range(3):
        new_request(own_connection)
        query(own_connection)

    assert own_connection.checks == [1, 1, 1]
