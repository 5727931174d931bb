"""pgbouncer in transaction mode in front of the test PostgreSQL (issue 17, part 4): a tenant's
statement never runs with another tenant's search_path (django-tenants #732).

A real pgbouncer (Debian's) is started per module on a port of its own, with fewer server
connections than clients. Two tenants' reads are interleaved over it, from threads and in
and out of transactions, through Django connections with POOLER=pgbouncer
(apps/core/db/base.py). A control shows what the test catches: the same backend without
POOLER, over one server connection, reads the other tenant's rows.
"""

import contextlib
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from django.db import connections, transaction

from apps.core.db import pgbouncer as pgbouncer_server
from apps.core.models import WorkerHeartbeat
from tests.committed import committed
from tests.conftest import TENANTS
from tests.servers import free_port

pytestmark = [
    pytest.mark.skipif(
        pgbouncer_server.binary() is None,
        reason="the pgbouncer binary is absent (Debian: apt-get install pgbouncer; .ci/run does)",
    ),
    pytest.mark.django_db,
]

SCHEMAS = {"a": TENANTS["a"].replace("-", "_"), "b": TENANTS["b"].replace("-", "_")}
CLIENTS = 6
POOL_SIZE = 2  # server connections for the CLIENTS threads


@pytest.fixture(scope="module")
def pgbouncer(django_db_setup, django_db_blocker):
    """(host, port) of a pgbouncer in transaction mode: database `pooled` with POOL_SIZE
    server connections, `single` with one, both the test database."""
    target = pgbouncer_server.target_of(connections["default"].settings_dict)
    if target[0].startswith("/"):
        pytest.skip("the test PostgreSQL listens on a socket only (embedded path)")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    databases = {"pooled": f"pool_size={POOL_SIZE}", "single": "pool_size=1"}
    try:
        process = pgbouncer_server.start(directory, port, databases, target, POOL_SIZE)
    except RuntimeError as error:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(str(error))
    try:
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


def add_alias(alias: str, address, database: str, pooler: str | None) -> None:
    host, port = address
    settings_dict = {
        **connections["default"].settings_dict,
        "NAME": database,
        "HOST": host,
        "PORT": port,
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": False,
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "POOLER": pooler,
    }
    if pooler is None:
        settings_dict.pop("POOLER")
    connections.settings[alias] = settings_dict


def _make_rows():
    direct = connections["default"]
    for slug, schema in SCHEMAS.items():
        direct.set_schema(schema)
        WorkerHeartbeat.objects.bulk_create(
            WorkerHeartbeat(source=f"pgb-{slug}-{n}", schema_name=schema, task_id=f"pgb-{slug}-{n}")
            for n in range(3)
        )


def _remove_rows():
    direct = connections["default"]
    for schema in SCHEMAS.values():
        direct.set_schema(schema)
        WorkerHeartbeat.objects.filter(source__startswith="pgb-").delete()


@pytest.fixture
def rows(django_db_blocker):
    """Committed heartbeats in tenant A's and tenant B's schemas (removed afterwards)."""
    with django_db_blocker.unblock():
        committed(_make_rows)
        yield
        committed(_remove_rows)


def sources(alias: str, slug: str) -> set[str]:
    found = WorkerHeartbeat.objects.using(alias).filter(source__startswith="pgb-")
    return {source[4] for source in found.values_list("source", flat=True)}


def done_with(alias: str) -> None:
    with contextlib.suppress(Exception):
        connections[alias].close()
    connections.settings.pop(alias, None)
    with contextlib.suppress(AttributeError):
        delattr(connections._connections, alias)


def test_two_tenants_interleaved_over_fewer_server_connections_never_mix(
    pgbouncer, rows, django_db_blocker
):
    add_alias("pooled", pgbouncer, "pooled", "pgbouncer")
    wrong, reads, errors = [], [], []
    start = threading.Barrier(CLIENTS)

    def client(number: int):
        try:
            with django_db_blocker.unblock():
                start.wait()
                pooled = connections["pooled"]
                for turn in range(40):
                    slug = "ab"[(number + turn) % 2]
                    pooled.set_schema(SCHEMAS[slug])
                    if turn % 3 == 0:
                        with transaction.atomic(using="pooled"):
                            seen = sources("pooled", slug)
                            seen |= sources("pooled", slug)
                    else:
                        seen = sources("pooled", slug)
                    reads.append(slug)
                    if seen != {slug}:
                        wrong.append((number, turn, slug, seen))
                pooled.close()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        done_with("pooled")

    assert errors == []
    assert len(reads) == CLIENTS * 40
    assert wrong == []


def test_a_change_of_tenant_holds_for_the_next_statement_on_any_server_connection(
    pgbouncer, rows, django_db_blocker
):
    """Sequentially over ONE server connection: client 1 on tenant A, client 2 on tenant B,
    client 1 again. Without POOLER, django-tenants sent client 1's SET once, client 2's SET
    replaced it on the shared server connection, and client 1 reads B's rows: the leak the
    pooled backend prevents."""
    outcomes = {}
    for pooler in ("pgbouncer", None):
        first, second = f"single-1-{pooler}", f"single-2-{pooler}"
        add_alias(first, pgbouncer, "single", pooler)
        add_alias(second, pgbouncer, "single", pooler)
        try:
            with django_db_blocker.unblock():
                connections[first].set_schema(SCHEMAS["a"])
                assert sources(first, "a") == {"a"}
                connections[second].set_schema(SCHEMAS["b"])
                assert sources(second, "b") == {"b"}
                outcomes[pooler] = sources(first, "a")
        finally:
            done_with(first)
            done_with(second)

    assert outcomes["pgbouncer"] == {"a"}
    assert outcomes[None] == {"b"}  # the control: the test sees a leak where there is one


def test_behind_pgbouncer_nothing_is_prepared(pgbouncer, rows, django_db_blocker):
    add_alias("pooled", pgbouncer, "pooled", "pgbouncer")
    try:
        with django_db_blocker.unblock():
            pooled = connections["pooled"]
            pooled.set_schema(SCHEMAS["a"])
            for _ in range(3):
                with pooled.prepared_cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM core_workerheartbeat WHERE source LIKE %s",
                                   ["pgb-%"])  # fmt: skip
                    assert cursor.fetchone() == (3,)
            with pooled.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_prepared_statements")
                assert cursor.fetchone() == (0,)
    finally:
        done_with("pooled")


def advisory_locks() -> int:
    """Advisory locks held in this test database (pg_locks is the whole cluster's)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0]


def test_a_named_lock_behind_pgbouncer_is_a_lease_that_holds_and_is_released(
    pgbouncer, django_db_blocker
):
    """Provisioning and the spare schemas hold a lock across transactions (apps.core.db.locks).
    A session advisory lock behind transaction pooling stays on one server connection while its
    unlock may run on another: there the lock is a lease row, never an advisory lock."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.core.db.locks import held
    from apps.core.models import Lease

    add_alias("pooled", pgbouncer, "pooled", "pgbouncer")
    add_alias("other", pgbouncer, "pooled", "pgbouncer")
    try:
        with django_db_blocker.unblock():
            with held("test:lease", using="pooled") as mine:
                with held("test:lease", using="other") as theirs:
                    assert (mine, theirs) == (True, False)
                assert advisory_locks() == 0
                assert Lease.objects.using("pooled").filter(name="test:lease").count() == 1
            with held("test:lease", using="other") as theirs:
                assert theirs is True  # released: the next one takes it
            assert not Lease.objects.using("pooled").filter(name="test:lease").exists()
            # A holder that died leaves its lease only until it runs out.
            Lease.objects.using("pooled").create(
                name="test:lease", holder="dead", expires_at=timezone.now() - timedelta(seconds=1)
            )
            with held("test:lease", using="other") as theirs:
                assert theirs is True
            assert not Lease.objects.using("pooled").filter(name="test:lease").exists()
    finally:
        done_with("pooled")
        done_with("other")
