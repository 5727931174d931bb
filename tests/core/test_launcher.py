"""`make run`'s process environment (dotmac/launcher.py)."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from dotmac.launcher import BASE_DIR, run_env
from tests.servers import child_env

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
        text=True,
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
        launcher.wait(60)
    assert launcher.returncode == 0
