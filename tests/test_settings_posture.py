"""Production posture by default: DEBUG off, secure cookies, HSTS, host-only sessions, the
security headers' settings."""

import json
import os
import subprocess
import sys

import pytest

PROBE = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'DEBUG': s.DEBUG, 'HSTS': s.SECURE_HSTS_SECONDS, 'SESSION_SECURE': s.SESSION_COOKIE_SECURE,"
    "'CSRF_SECURE': s.CSRF_COOKIE_SECURE, 'SESSION_DOMAIN': s.SESSION_COOKIE_DOMAIN,"
    "'HOSTS': s.ALLOWED_HOSTS, 'CONN_MAX_AGE': s.DATABASES['default']['CONN_MAX_AGE'],"
    "'HSTS_SUBDOMAINS': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'HSTS_PRELOAD': s.SECURE_HSTS_PRELOAD,"
    "'CSP': s.CONTENT_SECURITY_POLICY['DIRECTIVES'], 'REFERRER': s.SECURE_REFERRER_POLICY,"
    "'COOP': s.SECURE_CROSS_ORIGIN_OPENER_POLICY, 'NOSNIFF': s.SECURE_CONTENT_TYPE_NOSNIFF,"
    "'PERMISSIONS': s.PERMISSIONS_POLICY, 'MIDDLEWARE': s.MIDDLEWARE}))"
)


def load_settings(**env):
    ours = ("DEBUG", "SECRET_KEY", "SECURE_COOKIES", "BASE_DOMAIN", "SECURE_HSTS_PRELOAD",
            "SECURE_HSTS_SECONDS", "CSP_REPORT_URI")  # fmt: skip
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
    assert values["HSTS_SUBDOMAINS"] is False  # http://localhost under `make run`


def test_production_pins_https_for_a_year_on_every_tenant_host_but_does_not_preload():
    values = json.loads(load_settings(SECRET_KEY="x" * 50).stdout)

    assert values["HSTS"] == 31536000
    assert values["HSTS_SUBDOMAINS"] is True  # <slug>.BASE_DOMAIN are subdomains
    assert values["HSTS_PRELOAD"] is False  # binds the whole domain for months: the operator's call
    preloaded = json.loads(load_settings(SECRET_KEY="x" * 50, SECURE_HSTS_PRELOAD="1").stdout)
    assert preloaded["HSTS_PRELOAD"] is True


@pytest.mark.parametrize("debug", ["0", "1"])
def test_the_security_headers_are_on_in_production_and_under_debug(debug):
    values = json.loads(load_settings(SECRET_KEY="x" * 50, DEBUG=debug).stdout)

    csp = values["CSP"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]  # no 'unsafe-inline' for scripts or styles
    assert csp["object-src"] == csp["frame-ancestors"] == ["'none'"]
    assert csp["report-uri"] is None
    assert values["REFERRER"] == "same-origin"
    assert values["COOP"] == "same-origin"
    assert values["NOSNIFF"] is True
    assert all(values["PERMISSIONS"][f] == [] for f in ("camera", "microphone", "geolocation"))
    # Before the middleware that answers on its own (probes, routing, licence).
    middleware = values["MIDDLEWARE"]
    for early in ("django.middleware.security.SecurityMiddleware",
                  "apps.core.security.ContentSecurityPolicyMiddleware",
                  "django_permissions_policy.PermissionsPolicyMiddleware"):  # fmt: skip
        assert middleware.index(early) < middleware.index(
            "apps.core.middleware.OperationsMiddleware"
        )


def test_violation_reports_go_where_csp_report_uri_says():
    values = json.loads(
        load_settings(SECRET_KEY="x" * 50, CSP_REPORT_URI="https://csp.example.com/r").stdout
    )

    assert values["CSP"]["report-uri"] == "https://csp.example.com/r"


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
