"""`make run`'s process environment (dotmac/launcher.py)."""

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection

from apps.isp.radius.freeradius import freeradius_binary
from dotmac import launcher
from dotmac.launcher import BASE_DIR, radius_command, run_env, web_command
from tests.servers import child_env, free_port, free_udp_port, http_get, wait_for_http

pytestmark = pytest.mark.slow


def test_beat_starts_when_the_data_folder_does_not_exist_yet(tmp_path):
    """With DATABASE_URL/REDIS_URL given the launcher starts no local services, so nothing had
    made the data folder; beat then died on start-up looking for its schedule file there."""
    data_dir = tmp_path / "fresh" / ".data"
    env = run_env(child_env(DJANGO_SETTINGS_MODULE="dotmac.settings"), data_dir=data_dir)
    env.setdefault("SECRET_KEY", "test")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dotmac", "beat", "--loglevel", "INFO"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(data_dir.glob("celerybeat-schedule*")):
            assert beat.poll() is None, beat.stdout.read().decode()
            time.sleep(0.2)
        time.sleep(1)

        assert list(data_dir.glob("celerybeat-schedule*")), "beat wrote no schedule"
        assert beat.poll() is None, beat.stdout.read().decode()
    finally:
        beat.terminate()
        beat.wait(20)


def test_make_services_prints_urls_that_a_child_process_connects_with(tmp_path):
    """`make services` on the embedded path (no DATABASE_URL/REDIS_URL): the URLs it prints are
    the ones `make run`/`make test` hand their processes, so a fresh process must reach both
    stores with them, the PostgreSQL socket directory included."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DOTMAC_DATA_DIR"] = str(tmp_path / ".data")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "dotmac.launcher", "services"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        encoding="utf-8",
        errors="replace",  # a server's odd byte must not end the reader (the pipe would fill)
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in launcher.stdout], daemon=True
    ).start()
    printed: dict[str, str] = {}
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while len(printed) < 2 and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert launcher.poll() is None, "".join(output)
                continue
            output.append(line)
            key, sep, value = line.strip().partition("=")
            if sep and key in ("DATABASE_URL", "REDIS_URL"):
                printed[key] = value
        assert set(printed) == {"DATABASE_URL", "REDIS_URL"}, "".join(output)

        probe = (
            "import django, redis; django.setup()\n"
            "from django.conf import settings; from django.db import connection\n"
            "with connection.cursor() as cursor:\n"
            "    cursor.execute('SELECT current_database()')\n"
            "    print(cursor.fetchone()[0])\n"
            "print(redis.Redis.from_url(settings.REDIS_URL).ping())\n"
        )
        child = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=BASE_DIR,
            env={
                **env,
                **printed,
                "DJANGO_SETTINGS_MODULE": "dotmac.settings",
                "SECRET_KEY": "test",
            },  # fmt: skip
            capture_output=True,
            text=True,
            timeout=60,
        )

        assert child.returncode == 0, child.stderr
        assert child.stdout.split() == ["dotmac", "True"]
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(120)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait(10)
            while not lines.empty():
                output.append(lines.get())
            here = signal.getsignal(signal.SIGINT)
            printed_out = "".join(output)[-3000:]
            pytest.fail(f"make services did not stop on Ctrl-C (SIGINT here: {here}):\n"
                        f"{printed_out}")  # fmt: skip
    assert launcher.returncode == 0


def database_connections() -> int:
    """Connections to the session's test database, other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics are read once a transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_make_runs_web_server_holds_the_connection_count_flat_over_3000_requests(tmp_path):
    """Issue 16 F10: under Django's development server every request thread kept a database
    connection of its own; after ~2,100 requests on fresh connections PostgreSQL refused
    everyone. `make run` serves with gunicorn (2 workers x 4 threads): at most 8 connections."""
    port = free_port()
    env = run_env(child_env(DJANGO_SETTINGS_MODULE="dotmac.settings"), data_dir=tmp_path / ".d")
    env.setdefault("SECRET_KEY", "test")
    before = database_connections()
    web = subprocess.Popen(
        web_command(port), cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    failures, counts = [], []

    def client(requests: int) -> None:
        for _ in range(requests):
            # urllib opens a new connection for every request.
            status, _, _ = http_get(f"{url}/login/", host="tenant-a.localhost", timeout=20)
            if status != 200:
                failures.append(status)

    try:
        wait_for_http(f"{url}/health/live", web)
        for _ in range(6):  # 6 rounds of 4 concurrent clients x 125 requests = 3,000
            clients = [threading.Thread(target=client, args=(125,)) for _ in range(4)]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join(120)
            counts.append(database_connections() - before)
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(30)

    assert failures == []
    assert max(counts) <= 8, counts  # the server's threads, however many requests came
    assert counts[-1] <= counts[1], counts  # flat: no growth after the threads warmed up


# --- FreeRADIUS beside the web server ----------------------------------------------------------


def radius_env(tmp_path, **more) -> dict:
    env = run_env(child_env(DJANGO_SETTINGS_MODULE="dotmac.settings"), data_dir=tmp_path)
    env.setdefault("SECRET_KEY", "test")
    return {**env, **more}


@pytest.mark.skipif(
    freeradius_binary() is None or not launcher.RLM_REST.exists(),
    reason="FreeRADIUS and its rest module are not installed",
)
def test_make_run_writes_a_freeradius_config_that_asks_its_web_server_and_loads(tmp_path, capsys):
    auth, acct = free_udp_port(), free_udp_port()
    env = radius_env(tmp_path, RADIUS_AUTH_PORT=str(auth), RADIUS_ACCT_PORT=str(acct))

    argv = radius_command(8123, env, data_dir=tmp_path)

    directory = tmp_path / "freeradius"
    assert argv[:4] == [freeradius_binary(), "-f", "-d", str(directory)]
    conf = (directory / "radiusd.conf").read_text()
    assert 'connect_uri = "http://127.0.0.1:8123/_radius"' in conf
    assert f"port = {auth}" in conf
    assert f"port = {acct}" in conf
    assert (directory / "radiusd.conf").stat().st_mode & 0o077 == 0  # it holds the API token
    assert f"RADIUS: FreeRADIUS on 127.0.0.1:{auth}/{acct}" in capsys.readouterr().out
    # FreeRADIUS itself reads it (modules loaded, virtual servers compiled) and exits.
    checked = subprocess.run([*argv, "-C"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_make_run_without_freeradius_says_so_and_runs_without_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(launcher, "freeradius_binary", lambda: None)

    assert radius_command(8123, radius_env(tmp_path), data_dir=tmp_path) is None

    out = capsys.readouterr().out
    assert "RADIUS: FreeRADIUS is not installed (apt-get install freeradius" in out
    assert not (tmp_path / "freeradius").exists()


def test_make_run_runs_without_radius_when_its_port_is_taken(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(launcher, "freeradius_binary", lambda: "/usr/sbin/freeradius")
    monkeypatch.setattr(launcher, "RLM_REST", BASE_DIR / "manage.py")  # a file that exists
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        env = radius_env(tmp_path, RADIUS_AUTH_PORT=str(port))

        assert radius_command(8123, env, data_dir=tmp_path) is None

    assert f"RADIUS: UDP port {port} on 127.0.0.1 is in use" in capsys.readouterr().out


def test_make_run_says_whether_monitoring_probes_with_fping(monkeypatch):
    monkeypatch.setattr(launcher.shutil, "which", lambda name: f"/usr/bin/{name}")
    found = launcher.monitoring_note({})
    monkeypatch.setattr(launcher.shutil, "which", lambda name: None)
    missing = launcher.monitoring_note({})
    switched_off = launcher.monitoring_note({"MONITORING_FPING": ""})

    assert found == "Monitoring: ICMP probes with /usr/bin/fping"
    assert "fping is not installed" in missing
    assert "TCP stand-in" in switched_off


# --- pgbouncer in front of PostgreSQL -----------------------------------------------------------


@pytest.mark.skipif(launcher.pgbouncer.binary() is None, reason="pgbouncer is not installed")
@pytest.mark.django_db
def test_make_run_puts_pgbouncer_in_front_of_postgresql_for_its_servers(tmp_path, capsys):
    """The web server and workers get a URL through a pgbouncer in transaction mode, with
    DATABASE_POOLER set; a Django process connects with it and reads the tenants."""
    env = radius_env(tmp_path)
    if launcher.pgbouncer.target_of(connection.settings_dict)[0].startswith("/") and (
        os.geteuid() == 0
    ):
        pytest.skip("as root pgbouncer runs as nobody, who cannot reach the embedded socket")
    pooler = launcher.LocalPgbouncer(tmp_path)
    try:
        pooled = pooler.start(env)
        assert pooled["DATABASE_POOLER"] == "pgbouncer"
        assert pooled["DATABASE_URL"] != env["DATABASE_URL"]
        assert "pgbouncer (transaction mode) on 127.0.0.1:" in capsys.readouterr().out
        read = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from django.db import connection; "
             "from apps.platform.tenants.models import Tenant; "
             "print(connection.settings_dict['POOLER'], Tenant.objects.count() > 0)"],
            cwd=BASE_DIR, env={**env, **pooled}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert read.returncode == 0, read.stderr[-3000:]
        assert read.stdout.split()[-2:] == ["pgbouncer", "True"]
    finally:
        pooler.stop()
    assert pooler.process is None


def test_make_run_without_pgbouncer_says_so_and_connects_directly(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(launcher.pgbouncer, "binary", lambda: None)

    assert launcher.LocalPgbouncer(tmp_path).start(radius_env(tmp_path)) == {}
    assert "pgbouncer is not installed (apt-get install pgbouncer)" in capsys.readouterr().out
    # A DATABASE_URL that is a pooler already is used as it is.
    assert launcher.LocalPgbouncer(tmp_path).start({"DATABASE_POOLER": "pgbouncer"}) == {}
