"""`make run`'s process environment (dotmac/launcher.py)."""

import os
import subprocess
import sys
import time

import pytest

from dotmac.launcher import BASE_DIR, run_env

pytestmark = pytest.mark.slow


def test_beat_starts_when_the_data_folder_does_not_exist_yet(tmp_path):
    """With DATABASE_URL/REDIS_URL given the launcher starts no local services, so nothing had
    made the data folder; beat then died on start-up looking for its schedule file there."""
    data_dir = tmp_path / "fresh" / ".data"
    env = run_env({**os.environ, "DJANGO_SETTINGS_MODULE": "dotmac.settings"}, data_dir=data_dir)
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
