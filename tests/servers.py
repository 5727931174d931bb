"""Real servers for tests that must cross a process boundary (probes, shutdown, workers)."""

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

from dotmac.launcher import LocalRedis

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database the test session created (test_<name>), for child processes.

    The host is a TCP host or, on the embedded path (pgserver), a socket directory: a path does
    not survive as the host part of a URL (`postgres://user@/sock/dir:5432/db` connects to the
    default socket instead), so it goes in the `host` query parameter libpq reads.
    """
    db = connection.settings_dict
    host = db["HOST"] or db["OPTIONS"].get("host", "")
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    if not host or host.startswith("/"):
        query = f"?{urlencode({'host': host})}" if host else ""
        return f"postgresql://{user}{password}@/{db['NAME']}{query}"
    return f"postgresql://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**overrides: str) -> dict[str, str]:
    """The environment of every process a test starts (gunicorn, a Celery worker, a script, a
    billing run to kill): the test settings, this session's database and Redis, and this
    session's queue and key prefixes (inherited through os.environ)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        **overrides,
    }


def http_get(url: str, host: str | None = None, timeout: float = 10, headers=None):
    """GET returning (status, headers, body) without raising on 4xx/5xx."""
    request = urllib.request.Request(
        url, headers={**({"Host": host} if host else {}), **(headers or {})}
    )
    return _open(request, timeout)


def http_post_json(url: str, payload: dict, host: str | None = None, timeout: float = 10):
    """POST a JSON body, returning (status, headers, body) without raising on 4xx/5xx."""
    headers = {"Content-Type": "application/json", **({"Host": host} if host else {})}
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers)
    return _open(request, timeout)


def _open(request: urllib.request.Request, timeout: float):
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Gunicorn:
    """gunicorn with DotMac's production config, serving the test database."""

    def __init__(self, *, workers: int = 1, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        defaults = {
            "WEB_CONCURRENCY": str(workers),
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            "DOTMAC_TEST_URLS": "1",
            "GUNICORN_DRAIN_SECONDS": "0",  # a test that drains says so
        }
        self.env = child_env(**{**defaults, **(env or {})})
        self.process: subprocess.Popen | None = None
        self.log_path = None

    def __enter__(self) -> "Gunicorn":
        import tempfile

        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
        self.log_path = self.log.name
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:dotmac.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{self.port}",
                "dotmac.wsgi",
            ],  # fmt: skip
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.output()}")
            with contextlib.suppress(OSError):
                status, _, _ = http_get(f"{self.url}/health/live", timeout=1)
                if status == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not come up:\n{self.output()}")

    def get(self, path: str, host: str = "localhost", **kwargs):
        return http_get(f"{self.url}{path}", host=host, **kwargs)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log_path).read_text(errors="replace")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)


class Browser:
    """A cookie-keeping client for a real server: signs in through the login form (CSRF and
    all) and then browses with its session cookie, like a person would."""

    def __init__(self, base_url: str, host: str):
        self.base_url, self.host = base_url, host
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect(),
        )

    def fetch(self, path: str, data: dict | None = None) -> tuple[int, dict, bytes]:
        """GET (or POST `data` as a form): status, headers and body, 4xx/5xx included."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            f"{self.base_url}{path}", data=body, headers={"Host": self.host}
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        status, _, body = self.fetch(path, data)
        return status, body.decode(errors="replace")

    def try_sign_in(self, username: str, password: str) -> tuple[int, dict, bytes]:
        """Post the login form (with the CSRF token its page gave) and answer what came back."""
        _, page = self.request("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.fetch(
            "/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )

    def sign_in(self, username: str, password: str) -> None:
        status, _, _ = self.try_sign_in(username, password)
        assert status == 302, f"sign-in refused ({status})"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class RedisServer(LocalRedis):
    """A Redis of a test's own (`make run`'s, dotmac.launcher), on a port fixed at creation so
    that it can be stopped and started again where its clients expect it."""

    def __init__(self, data_dir: Path):
        super().__init__(data_dir, port=free_port())

    def start(self) -> "RedisServer":
        super().start()
        return self


class PostgresCopy:
    """A PostgreSQL server of a test's own (the pgserver wheel), holding a copy of the session's
    test database (its committed tenants), so that a test may stop and start it."""

    def __init__(self, data_dir: Path):
        from pgserver._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.data_dir = data_dir
        self.server = None
        self.name = connection.settings_dict["NAME"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/{self.name}?{urlencode({'host': str(self.data_dir)})}"

    def start(self) -> "PostgresCopy":
        import pgserver

        self.server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        return self

    def copy_test_database(self) -> "PostgresCopy":
        """Dump the session's test database (committed rows only) into this server."""
        self.server.psql(f'CREATE DATABASE "{self.name}";')
        dump = self.data_dir.parent / "copy.sql"
        subprocess.run(
            [
                str(self.bin / "pg_dump"),
                "--no-owner",
                "--no-privileges",
                "--file",
                str(dump),
                test_database_url(),
            ],  # fmt: skip
            check=True,
        )
        # Column options of the source server's own (this machine's PostgreSQL tags every column
        # with a `pg_attver` option that a stock server refuses) stay behind.
        text = dump.read_text()
        dump.write_text(re.sub(r"(?m)^ALTER TABLE ONLY .* SET \(pg_attver=\d+\);\n", "", text))
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-f", str(dump), self.url],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None


def wait_for_http(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    """Until `url` answers 200 (or the server exits, or the time is up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        with contextlib.suppress(OSError):
            if http_get(url, timeout=1)[0] == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {seconds} s")


def free_udp_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FreeRadius:
    """Debian's FreeRADIUS on the project's generated configuration (apps/isp/radius/
    freeradius.py), asking the given DotMac server, on free loopback ports."""

    def __init__(self, api_url: str, token: str, **overrides):
        import tempfile

        from apps.isp.radius.freeradius import FreeRadiusConfig

        self.directory = Path(tempfile.mkdtemp(prefix="freeradius-"))
        self.config = FreeRadiusConfig(
            directory=self.directory,
            api_url=api_url,
            token=token,
            auth_port=free_udp_port(),
            acct_port=free_udp_port(),
            **overrides,
        )
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "FreeRadius":
        from apps.isp.radius.freeradius import command, freeradius_binary, started, write_config

        binary = freeradius_binary()
        if binary is None:
            raise RuntimeError("FreeRADIUS is not installed: apt-get install freeradius")
        write_config(self.config)
        args = command(self.config, binary)
        if os.environ.get("FREERADIUS_DEBUG"):  # every packet and module call in output()
            args.append("-xx")
        self.process = started(args, self.directory / "stdout.log")
        return self

    def output(self) -> str:
        if self.process is not None:
            self.process.log.flush()
        text = (self.directory / "stdout.log").read_text(errors="replace")
        log = self.directory / "log" / "radius.log"
        return text + (log.read_text(errors="replace") if log.exists() else "")

    def radclient(
        self, kind: str, secret: str, *packets: dict, timeout: float = 3, retries: int = 1
    ) -> list[dict[str, str] | None]:
        """Send packets (attribute → value) one after the other with radclient, as a NAS on
        127.0.0.1 would; each answer as {"code": "Access-Accept", attribute: value, ...}, or
        None when FreeRADIUS did not answer."""
        port = self.config.auth_port if kind == "auth" else self.config.acct_port
        answers = []
        for packet in packets:
            text = ",".join(f'{name}="{value}"' for name, value in packet.items())
            done = subprocess.run(
                ["radclient", "-x", "-D", "/usr/share/freeradius", "-r", str(retries),
                 "-t", str(timeout), f"127.0.0.1:{port}", kind, secret],
                input=text.encode(), capture_output=True, timeout=60,
            )  # fmt: skip
            answers.append(_radclient_answer(done.stdout.decode(errors="replace")))
        return answers

    def __exit__(self, *exc) -> None:
        from apps.isp.radius.freeradius import stopped

        stopped(self.process)
        import shutil

        shutil.rmtree(self.directory, ignore_errors=True)


def _radclient_answer(output: str) -> dict[str, str] | None:
    """radclient -x's 'Received Access-Accept Id 1 ...' and the attribute lines after it."""
    answer = None
    for line in output.splitlines():
        received = re.match(r"Received (\S+) Id", line)
        if received:
            answer = {"code": received.group(1)}
        elif answer is not None and "=" in line:
            name, _, value = line.strip().partition(" = ")
            answer[name.strip()] = value.strip().strip('"')
    return answer
