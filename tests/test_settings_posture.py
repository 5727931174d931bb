"""Production posture by default: DEBUG off, secure cookies, HSTS, host-only sessions."""

import json
import os
import subprocess
import sys

import pytest

PROBE = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'DEBUG': s.DEBUG, 'HSTS': s.SECURE_HSTS_SECONDS, 'SESSION_SECURE': s.SESSION_COOKIE_SECURE,"
    "'CSRF_SECURE': s.CSRF_COOKIE_SECURE, 'SESSION_DOMAIN': s.SESSION_COOKIE_DOMAIN,"
    "'HOSTS': s.ALLOWED_HOSTS, 'CONN_MAX_AGE': s.DATABASES['default']['CONN_MAX_AGE']}))"
)


def load_settings(**env):
    ours = ("DEBUG", "SECRET_KEY", "SECURE_COOKIES", "BASE_DOMAIN")
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PROBE}"],
        capture_output=True,
        text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dotmac.settings", **env},
    )


def test_production_defaults_are_secure():
    env = {"SECRET_KEY": "x" * 50, "BASE_DOMAIN": "dotmac.example.com"}
    result = load_settings(**env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)

    assert values["DEBUG"] is False
    assert values["HSTS"] >= 31536000
    assert values["SESSION_SECURE"] is True
    assert values["CSRF_SECURE"] is True
    assert values["SESSION_DOMAIN"] is None
    assert values["HOSTS"][:2] == ["dotmac.example.com", ".dotmac.example.com"]
    assert values["CONN_MAX_AGE"] > 0


def test_missing_secret_key_refuses_to_start_in_production():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("flag", ["1", "true"])
def test_debug_is_only_on_when_asked(flag):
    values = json.loads(load_settings(DEBUG=flag).stdout)
    assert values["DEBUG"] is True
    assert values["HSTS"] == 0


def test_email_goes_to_the_smtp_server_named_by_email_url():
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS]))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "EMAIL_BACKEND")}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "dotmac.settings", "SECRET_KEY": "x" * 50,
           "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)

    assert json.loads(result.stdout) == [
        "django.core.mail.backends.smtp.EmailBackend", "smtp.example.com", 587, True,
    ]  # fmt: skip
