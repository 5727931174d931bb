"""Real servers for tests that must cross a process boundary (probes, shutdown, workers)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

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
        self.env = child_env(
            WEB_CONCURRENCY=str(workers),
            LOG_LEVEL="INFO",
            LOG_FORMAT="json",
            DOTMAC_TEST_URLS="1",
            **(env or {}),
        )
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
        import http.cookiejar

        self.base_url, self.host = base_url, host
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect(),
        )

    def request(self, path: str, data: dict | None = None):
        import urllib.parse

        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            f"{self.base_url}{path}", data=body, headers={"Host": self.host}
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def sign_in(self, username: str, password: str) -> None:
        import re

        _, page = self.request("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        assert status == 302, f"sign-in refused ({status})"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
