"""The "stock" project of benchmarks/api_throughput.py --stock: django-tenants + DRF + simplejwt
as their documentation sets them up, nothing of DotMac's (no envelope, licence, audit, rate
limit, metrics). The same library versions as DotMac (the same virtualenv)."""

import os
from urllib.parse import urlsplit

url = urlsplit(os.environ["STOCK_DATABASE_URL"])
SECRET_KEY = "stock-benchmark-secret-key-not-for-production-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

SHARED_APPS = [
    "django_tenants",
    "customers",
    "django.contrib.contenttypes",
    "django.contrib.auth",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "catalog",
]
INSTALLED_APPS = [*SHARED_APPS, *[app for app in TENANT_APPS if app not in SHARED_APPS],
                  "rest_framework", "rest_framework_simplejwt", "django_filters"]  # fmt: skip
TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"

# Django's startproject middleware, django-tenants' first.
MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
ROOT_URLCONF = "stockproject.urls"
PUBLIC_SCHEMA_URLCONF = "stockproject.urls"
DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": url.path.lstrip("/"),
        "USER": url.username or "postgres",
        "PASSWORD": url.password or "",
        "HOST": url.hostname or "127.0.0.1",
        "PORT": url.port or 5432,
        "CONN_MAX_AGE": 600,
    }
}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
}
SIMPLE_JWT = {"SIGNING_KEY": SECRET_KEY}
from datetime import timedelta  # noqa: E402

SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] = timedelta(hours=1)
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
