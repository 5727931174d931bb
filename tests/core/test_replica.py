"""Read replicas (issue 17, part 5): reports read from a real streaming standby, writes and
read-your-writes stay on the primary, and a standby that is down sends reads back.

The machine's PostgreSQL refuses replication connections (its pg_hba has no `replication`
line), so this module starts a PostgreSQL of its own (initdb in a temporary directory, on a
free port), loads the session's test database into it (pg_dump | psql: the tenants and their
data as the rest of the suite has them), makes a standby of it with `pg_basebackup -R`
(streaming) and starts that on another port. Only this module's tests are pointed at them:
the `default` alias moves to the new primary for the module (and back after), and a `replica`
alias is added for the standby, as DATABASE_REPLICA_URL adds it. Everything is removed at the
end. The tests run in autocommit (no rolled-back test transaction: a read inside one stays on
the primary by design, and the standby would never see its rows); their database is thrown
away.

Skipped on the embedded path (the test PostgreSQL listens on a socket only) and where the
PostgreSQL server binaries are absent.
"""

import contextlib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django_tenants.utils import schema_context

from apps.core.db import replica as routing
from apps.core.models import WorkerHeartbeat
from apps.identity.models import User
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens
from tests.servers import free_port


def _bindir() -> Path | None:
    candidates = [os.environ.get("PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(str(Path(initdb).parent))
    for candidate in candidates:
        if candidate and all(
            (Path(candidate) / name).exists()
            for name in ("initdb", "pg_ctl", "pg_basebackup", "postgres")
        ):
            return Path(candidate)
    return None


BINDIR = _bindir()
SCHEMA_A = TENANTS["a"].replace("-", "_")


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL's server refuses to run as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, **kwargs)
    if result.returncode:
        raise RuntimeError(f"{command[0]} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result


def _psql(port: int, sql: str, database: str = "postgres") -> str:
    command = [str(BINDIR / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    return _run([*command, "-XAtqc", sql, database]).stdout.strip()


def _wait_ready(port: int, recovery: bool) -> None:
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(RuntimeError):
            if _psql(port, "SELECT pg_is_in_recovery()") == ("t" if recovery else "f"):
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL on port {port} did not come up")
        time.sleep(0.2)


class Cluster:
    """A primary and its streaming standby in a temporary directory."""

    def __init__(self, source: dict):
        self.source = source
        self.base = Path(tempfile.mkdtemp(prefix="dotmac-replica-"))
        self.primary_dir, self.standby_dir = self.base / "primary", self.base / "standby"
        self.primary_port, self.standby_port = free_port(), free_port()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")

    def pg_ctl(self, directory: Path, *args: str) -> None:
        log = self.base / f"{directory.name}.log"
        _run(_as_postgres([str(BINDIR / "pg_ctl"), "-D", str(directory), "-l", str(log), *args]))

    def start(self) -> "Cluster":
        _run(_as_postgres([str(BINDIR / "initdb"), "-D", str(self.primary_dir), "-U", "postgres",
                           "--auth=trust", "--no-sync", "-E", "UTF8"]))  # fmt: skip
        with open(self.primary_dir / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.base}'\nfsync = off\n"
                "synchronous_commit = off\nfull_page_writes = off\nwal_level = replica\n"
                "max_wal_senders = 4\nhot_standby = on\nshared_buffers = 32MB\n"
                "max_connections = 40\n"
            )
        self.pg_ctl(self.primary_dir, "-w", "start")
        _wait_ready(self.primary_port, recovery=False)
        name = self.source["NAME"]
        _psql(self.primary_port, f'CREATE DATABASE "{name}"')
        source = self.source
        dump = subprocess.Popen(
            [str(BINDIR / "pg_dump"), "-h", source["HOST"] or "127.0.0.1",
             "-p", str(source["PORT"] or 5432), "-U", source["USER"] or "postgres", "-Fp", name],
            stdout=subprocess.PIPE,
            env={**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""},
        )  # fmt: skip
        load = [str(BINDIR / "psql"), "-h", "127.0.0.1", "-p", str(self.primary_port),
                "-U", "postgres", "-Xq", "-v", "ON_ERROR_STOP=1", name]  # fmt: skip
        _run(load, stdin=dump.stdout)
        if dump.wait(60):
            raise RuntimeError("pg_dump of the test database failed")
        _run(_as_postgres([str(BINDIR / "pg_basebackup"), "-h", "127.0.0.1",
                           "-p", str(self.primary_port), "-U", "postgres",
                           "-D", str(self.standby_dir), "-R", "-X", "stream", "-c", "fast",
                           "--no-sync"]))  # fmt: skip
        with open(self.standby_dir / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.standby_port}\n")
        self.start_standby()
        return self

    def start_standby(self) -> None:
        self.pg_ctl(self.standby_dir, "-w", "start")
        _wait_ready(self.standby_port, recovery=True)

    def stop_standby(self) -> None:
        self.pg_ctl(self.standby_dir, "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        for directory in (self.standby_dir, self.primary_dir):
            if (directory / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError):
                    self.pg_ctl(directory, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    default = connections["default"].settings_dict
    host = default.get("OPTIONS", {}).get("host") or default["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        pytest.skip("the test PostgreSQL listens on a socket only (embedded path)")
    if BINDIR is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are absent")
    saved = {key: default[key] for key in ("HOST", "PORT")}
    made = Cluster(dict(default))
    try:
        made.start()
        with django_db_blocker.unblock():
            connections["default"].close()
            default.update(HOST="127.0.0.1", PORT=made.primary_port)
            connections.settings[routing.REPLICA] = {
                **default,
                "PORT": made.standby_port,
                "OPTIONS": {**default.get("OPTIONS", {}), "connect_timeout": 2},
            }
            routing.forget_verdicts()
            yield made
    finally:
        with django_db_blocker.unblock():
            for alias in ("default", routing.REPLICA):
                with contextlib.suppress(Exception):
                    connections[alias].close()
            connections.settings.pop(routing.REPLICA, None)
            with contextlib.suppress(AttributeError):
                delattr(connections._connections, routing.REPLICA)
            default.update(saved)
            routing.forget_verdicts()
        made.stop()


@pytest.fixture
def db_open(cluster, django_db_blocker):
    """Database access in autocommit against the module's primary and standby."""
    with django_db_blocker.unblock():
        yield cluster
        connections["default"].set_schema_to_public()


@pytest.fixture
def api(db_open):
    """Tenant A's owner over the API, the marker of the sign-in's own write cleared (it pins
    the owner's reads to the primary for a few seconds, as it should)."""
    client = HostClient(host_of(TENANTS["a"]))
    client.authenticate(obtain_tokens(client)["access"])
    _unpin()
    return client


def _unpin() -> None:
    """Clear tenant A's owner's read-your-writes marker (set by a sign-in, which writes)."""
    with schema_context(SCHEMA_A):
        owner = User.objects.get(username="owner")
    cache.delete(routing._marker_key(SCHEMA_A, owner.pk))


def _tables(queries) -> str:
    return " ".join(query["sql"] for query in queries)


@pytest.mark.django_db  # also what makes the session create its test database
def test_without_a_replica_every_read_is_the_primarys():
    if routing.REPLICA in connections.settings:
        pytest.skip("DATABASE_REPLICA_URL is set for this run")
    with routing.replica():
        assert routing.read_alias() == "default"


def test_a_report_read_goes_to_the_standby_with_the_tenants_search_path(db_open):
    with schema_context(SCHEMA_A), routing.unit_of_work(), routing.replica():
        alias = routing.read_alias()
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), current_schema()")
            in_recovery, schema = cursor.fetchone()

    assert alias == "replica"
    assert (in_recovery, schema) == (True, SCHEMA_A)
    # Outside the block (a list, a form, a service): the primary.
    with schema_context(SCHEMA_A), routing.unit_of_work():
        assert routing.read_alias() == "default"


def test_the_standby_streams_what_the_primary_commits(db_open):
    with schema_context(SCHEMA_A):
        WorkerHeartbeat.objects.create(source="replica-test", schema_name=SCHEMA_A,
                                       task_id="replica-streamed")  # fmt: skip
        deadline = time.monotonic() + 20
        with routing.unit_of_work(), routing.replica():  # this unit of work wrote nothing
            while not WorkerHeartbeat.objects.filter(task_id="replica-streamed").exists():
                assert time.monotonic() < deadline, "the standby never received the row"
                time.sleep(0.1)
            assert routing.read_alias() == "replica"


def test_the_isp_dashboard_and_crm_reports_read_from_the_standby(api):
    standby, primary = connections["replica"], connections["default"]
    for path in ("/isp/", "/api/v1/crm/reports/pipeline/", "/api/v1/crm/reports/win-rate/"):
        with (
            CaptureQueriesContext(standby) as on_standby,
            CaptureQueriesContext(primary) as on_primary,
        ):
            response = api.get(path) if path.startswith("/api") else _page(api, path)
        assert response.status_code == 200, (path, response.content[:500])
        assert on_standby.captured_queries, path
        # The report's own tables were read on the standby, never on the primary.
        table = "isp_invoice" if path == "/isp/" else "crm_opportunity"
        assert table in _tables(on_standby.captured_queries), path
        assert table not in _tables(on_primary.captured_queries), path


def _page(api: HostClient, path: str):
    page = HostClient(api.host)
    page.sign_in()
    _unpin()  # the sign-in wrote (last login)
    return page.get(path)


def test_a_write_and_the_reads_after_it_stay_on_the_primary(api):
    standby, primary = connections["replica"], connections["default"]
    with CaptureQueriesContext(standby) as on_standby:
        created = api.post_json("/api/v1/crm/leads/", {"last_name": "Replica", "source": "website"})
    assert created.status_code == 201, created.content
    assert on_standby.captured_queries == []

    # The next request by the same user (any worker: the marker is in Redis) reads the report
    # from the primary, and sees the lead at once whatever the standby's lag.
    with CaptureQueriesContext(standby) as on_standby, CaptureQueriesContext(primary) as on_primary:
        conversion = api.get("/api/v1/crm/reports/lead-conversion/")
    assert conversion.status_code == 200
    assert on_standby.captured_queries == []
    assert "crm_lead" in _tables(on_primary.captured_queries)
    web = next(row for row in conversion.json()["data"] if row["id"] == "website")
    assert web["attributes"]["total"] >= 1


def test_the_pin_lasts_the_window_then_reads_return_to_the_standby(api):
    with override_settings(DB_REPLICA_PIN_SECONDS=1):
        assert api.post_json("/api/v1/crm/leads/", {"last_name": "Window"}).status_code == 201
        time.sleep(1.2)
    with CaptureQueriesContext(connections["replica"]) as on_standby:
        assert api.get("/api/v1/crm/reports/lead-conversion/").status_code == 200
    assert "crm_lead" in _tables(on_standby.captured_queries)


def test_inside_a_write_or_a_transaction_reads_stay_on_the_primary(db_open):
    with schema_context(SCHEMA_A), routing.unit_of_work(), routing.replica():
        with transaction.atomic():
            assert routing.read_alias() == "default"
        assert routing.read_alias() == "replica"
        WorkerHeartbeat.objects.create(source="replica-test", schema_name=SCHEMA_A,
                                       task_id="replica-pinned")  # fmt: skip
        assert routing.read_alias() == "default"
        assert WorkerHeartbeat.objects.filter(task_id="replica-pinned").exists()
    # An object read from the standby is saved on the primary.
    with schema_context(SCHEMA_A), routing.unit_of_work():
        with routing.replica():
            deadline = time.monotonic() + 20
            while not (beat := WorkerHeartbeat.objects.filter(task_id="replica-pinned").first()):
                assert time.monotonic() < deadline, "the standby never received the row"
                time.sleep(0.1)
        assert beat._state.db == "replica"
        beat.source = "replica-saved"
        beat.save()
        assert beat._state.db == "default"
        assert WorkerHeartbeat.objects.get(task_id="replica-pinned").source == "replica-saved"
    # A task is a unit of work of its own (Celery's task_prerun): it starts unpinned.
    routing.task_started()
    try:
        with schema_context(SCHEMA_A), routing.replica():
            assert routing.read_alias() == "replica"
    finally:
        routing.task_finished()


def test_the_standby_down_sends_reads_back_to_the_primary(api, cluster):
    cluster.stop_standby()
    try:
        routing.forget_verdicts()
        with CaptureQueriesContext(connections["default"]) as on_primary:
            started = time.monotonic()
            response = api.get("/api/v1/crm/reports/pipeline/")
            first = time.monotonic() - started
        assert response.status_code == 200, response.content[:500]
        assert "crm_opportunity" in _tables(on_primary.captured_queries)
        assert first < 5
        # The verdict is kept: the next reads do not try the standby again.
        with schema_context(SCHEMA_A), routing.unit_of_work(), routing.replica():
            started = time.monotonic()
            assert routing.read_alias() == "default"
            assert time.monotonic() - started < 0.05
    finally:
        cluster.start_standby()
        routing.forget_verdicts()
    with schema_context(SCHEMA_A), routing.unit_of_work(), routing.replica():
        assert routing.read_alias() == "replica"


def test_a_standby_dying_between_checks_fails_one_read_then_reads_go_to_the_primary(
    db_open, cluster
):
    routing.forget_verdicts()
    with schema_context(SCHEMA_A), routing.unit_of_work(), routing.replica():
        assert routing.read_alias() == "replica"
        assert WorkerHeartbeat.objects.count() >= 0  # the replica connection is open and fresh
        cluster.stop_standby()
        try:
            with pytest.raises(OperationalError):
                WorkerHeartbeat.objects.count()
            connections["replica"].close()  # as Django does at the end of the failed request
            # Marked down by the failure itself: no verdict to wait out.
            assert routing.read_alias() == "default"
            assert WorkerHeartbeat.objects.count() >= 0
        finally:
            cluster.start_standby()
            routing.forget_verdicts()


def test_database_replica_url_adds_the_replica_alias():
    probe = (
        "import json; from django.conf import settings as s; r = s.DATABASES['replica'];"
        "print(json.dumps({'host': r['HOST'], 'port': r['PORT'], 'name': r['NAME'],"
        "'engine': r['ENGINE'], 'test': r['TEST'], 'timeout': r['OPTIONS']['connect_timeout'],"
        "'pooler': r.get('POOLER'), 'routers': s.DATABASE_ROUTERS}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dotmac.settings",
        "SECRET_KEY": "x" * 50,
        "DATABASE_REPLICA_URL": "postgres://reader@standby.internal:5433/dotmac",
        "DATABASE_POOLER": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)

    assert (values["host"], values["port"], values["name"]) == ("standby.internal", 5433, "dotmac")
    assert values["engine"] == "apps.core.db"
    assert values["test"] == {"MIRROR": "default"}  # tests never create a database for it
    assert values["timeout"] == 2
    assert values["pooler"] is None
    assert values["routers"][0] == "apps.core.db.replica.ReplicaRouter"
