"""DotMac settings: everything comes from the environment (or a `.env` file).

Every variable read here is documented in the README with its default. Production is the
default posture: DEBUG is off unless asked for, cookies are secure and host-only, HSTS is on.
"""

import base64
import binascii
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else "dev-insecure-secret-key")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")


# --- Personal data encrypted at rest (apps.core.encryption) -----------------------------------
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys; new values are encrypted with the first,
# any of them decrypts (rotation: prepend a new key, run `manage.py reencrypt_fields`, then drop
# the old one). FIELD_HASH_KEY: the key of the blind indexes that keep phone numbers, postcodes
# and cities searchable by exact value; independent of the Fernet keys so that rotating them
# never touches it (changing it needs `reencrypt_fields`, which recomputes every index). Under
# DEBUG both default to keys derived from SECRET_KEY; without DEBUG both must be set.
def _derived_key(purpose: str) -> str:
    digest = hashlib.sha256(f"dotmac:{purpose}:{SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _check_fernet_key(key: str) -> str:
    try:
        valid = len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, binascii.Error):
        valid = False
    if not valid:
        raise environ.ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 "
            'bytes). Generate one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        )
    return key


FIELD_ENCRYPTION_KEYS = [
    _check_fernet_key(key)
    for key in env.list("FIELD_ENCRYPTION_KEYS", default=[_derived_key("fields")] if DEBUG else [])
    if key.strip()
]
if not FIELD_ENCRYPTION_KEYS:
    raise environ.ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off (comma-separated Fernet keys; "
        'generate one with: python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())")'
    )
FIELD_HASH_KEY = env.str("FIELD_HASH_KEY", default=_derived_key("hash") if DEBUG else "")
if len(FIELD_HASH_KEY) < 32:
    raise environ.ImproperlyConfigured(
        "FIELD_HASH_KEY must be set when DEBUG is off, at least 32 characters (e.g. python -c "
        "'import secrets; print(secrets.token_urlsafe(32))'); keep it when FIELD_ENCRYPTION_KEYS "
        "rotate."
    )

# --- Hosts ------------------------------------------------------------------------------------
# The public (platform) host is BASE_DOMAIN; tenants answer on <slug>.BASE_DOMAIN.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower()
PUBLIC_HOSTS = [BASE_DOMAIN, *env.list("EXTRA_PUBLIC_HOSTS", default=[])]
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.list("EXTRA_ALLOWED_HOSTS", default=[])]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Applications -----------------------------------------------------------------------------
# Public schema only: the management platform. Both: core, identity (platform staff are users
# of the public schema; each tenant has its own user base) and Django's plumbing.
SHARED_APPS = [
    # Before django_tenants: its migrate_schemas command overrides theirs.
    "apps.platform.tenants",
    "apps.core",
    "apps.platform.catalog",
    "apps.platform.licensing",
    "apps.platform.billing",
    "apps.platform.partners",
    "apps.platform.metering",
    "apps.identity",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "apps.core.admin_config.DotMacAdminConfig",
    "django.contrib.staticfiles",
    # After the admin: django-tenants' own admin index and app list (Django 4's markup with
    # inline styles, which the Content-Security-Policy refuses) must not shadow Django's. Our
    # admin site lists only the apps of the schema it serves anyway (apps.core.admin_site).
    "django_tenants",
    "rest_framework",
    "rest_framework_api_key",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    # Swagger UI's files served from here (SWAGGER_UI_DIST below): the docs page loads nothing
    # from a CDN, which the Content-Security-Policy would refuse.
    "drf_spectacular_sidecar",
    "csp",
    # inet/cidr fields' containment lookups (net_contained, net_contains_or_equals).
    "netfields",
    "guardian",
    "django_prometheus",
    # Failed sign-ins and lock-outs: a table in the public schema (platform staff) and in each
    # tenant's (its own users' lock-outs, seen and cleared in its own admin).
    "axes",
]
TENANT_APPS = [
    "apps.core",
    "apps.identity",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "apps.core.admin_config.DotMacAdminConfig",
    "rest_framework_simplejwt.token_blacklist",
    "guardian",
    "axes",
    # Catalog apps: each switched on per tenant by its subscription (licensing middleware).
    "apps.isp",
    "apps.crm",
    "apps.commerce",
    "apps.projects",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenant schemas are cloned from this migrated template (kept current by migrate_schemas)
# or, faster, renamed from a pool of spares cloned from it ahead of time.
TENANT_BASE_SCHEMA = "tenant_template"
SPARE_SCHEMAS = env.int("SPARE_SCHEMAS", default=2)
# Each request sets search_path once, not before every query.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The security headers (see "Security" below) before everything that may answer on its own:
    # probes, routing (an unknown host, a suspended tenant), the licence's upgrade page.
    "django.middleware.security.SecurityMiddleware",
    "apps.core.security.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A data store that is down: a 503 in the request's format (apps.core.outage), with the
    # headers above.
    "apps.core.outage.OutageMiddleware",
    # Probes and metrics answer on any host (a kubelet calls the pod IP), before routing.
    "apps.core.middleware.OperationsMiddleware",
    "apps.platform.tenants.middleware.TenantRoutingMiddleware",
    # The tenant's API requests by app and its active users, for its daily usage (read after
    # the response, when authentication, DRF's too, has put the user on the request).
    "apps.core.middleware.UsageMiddleware",
    "apps.platform.licensing.middleware.LicenseMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.core.db.replica.ReplicaMiddleware",
    "apps.identity.sessions.SessionTimeoutMiddleware",
    "apps.identity.middleware.AppAreaAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last before metrics (axes' advice): turns a locked-out sign-in into its lock-out answer.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "dotmac.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "dotmac.urls_public"
WSGI_APPLICATION = "dotmac.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.identity.shell.shell",
            ],
        },
    },
]
if DEBUG:
    # Templates read afresh on every render: gunicorn's --reload (`make run`) watches modules,
    # not templates, and Django's cached loader only forgets under runserver's autoreloader.
    TEMPLATES[0]["APP_DIRS"] = False
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]

# --- Data stores ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/dotmac"),
}
# django-tenants' backend with a health check skipped on recently used connections (see module).
DATABASES["default"]["ENGINE"] = "apps.core.db"
# Persistent connections: a new PostgreSQL connection per request costs more than the request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DB_HEALTH_CHECK_DELAY = env.float("DB_HEALTH_CHECK_DELAY", default=5.0)
# The hot paths' prepared statements (apps/core/db/base.py): off behind a transaction-mode
# pooler that does not track them (pgbouncer < 1.21).
# DATABASE_POOLER=pgbouncer: DATABASE_URL is a pgbouncer in transaction mode; every statement
# carries its tenant's search_path (apps/core/db/base.py), no prepared statements, no
# server-side cursors. Migrations and management commands may use PostgreSQL directly.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=not DATABASE_POOLER)
if DATABASE_POOLER:
    DATABASES["default"]["POOLER"] = DATABASE_POOLER
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
    "DB_CONNECT_TIMEOUT", default=5
)
# DATABASE_REPLICA_URL: a streaming standby of DATABASE_URL's database. Reports, dashboards and
# exports that opt in (`apps.core.db.replica.replica()`) read from it; everything else, every
# write and a writer's reads for DB_REPLICA_PIN_SECONDS after stay on the primary; an
# unreachable standby (DB_REPLICA_CONNECT_TIMEOUT) sends the reads back to the primary for
# DB_REPLICA_RETRY_SECONDS. See apps/core/db/replica.py.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DB_REPLICA_CONNECT_TIMEOUT = env.int("DB_REPLICA_CONNECT_TIMEOUT", default=2)
DB_REPLICA_CHECK_SECONDS = env.float("DB_REPLICA_CHECK_SECONDS", default=5.0)
DB_REPLICA_RETRY_SECONDS = env.float("DB_REPLICA_RETRY_SECONDS", default=10.0)
DB_REPLICA_PIN_SECONDS = env.int("DB_REPLICA_PIN_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "ENGINE": "apps.core.db",
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # The test runner points it at the test database instead of creating one.
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = DB_REPLICA_CONNECT_TIMEOUT
    # Behind pgbouncer in transaction mode too (DATABASE_REPLICA_POOLER, by default the
    # primary's): every statement carries its search_path.
    if replica_pooler := env.str("DATABASE_REPLICA_POOLER", default=DATABASE_POOLER):
        DATABASES["replica"]["POOLER"] = replica_pooler
        DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASE_ROUTERS = [
    "apps.core.db.replica.ReplicaRouter",
    "django_tenants.routers.TenantSyncRouter",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="dotmac"),
        # Tenant-aware keys: every key is prefixed with the current schema (DESIGN §9).
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
}

# --- Auth and sessions ------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account before any password is checked (authenticates nobody).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "apps.identity.backends.RolePermissionBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
# Object permissions without a guardian "AnonymousUser" row in every schema.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False
# Host-only cookies: a session of one tenant is never sent to another tenant's host.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A browser session ends after SESSION_IDLE_SECONDS without a request, and at the latest
# SESSION_ABSOLUTE_SECONDS after sign-in (apps.identity.sessions.SessionTimeoutMiddleware).
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Lock-out (django-axes): AXES_FAILURE_LIMIT failed sign-ins for one username, from any IP, lock
# it for AXES_COOLOFF_MINUTES; refused attempts while locked do not extend the lock. Answered
# 429 (API: RATE_LIMITED with Retry-After; pages: a friendly page). Cleared by deleting the
# access attempt in the admin.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "apps.core.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "apps.core.ratelimit.client_ip"
AXES_VERBOSE = False
# W006 asks to lock by IP too: per-IP guessing is the sign-in rate limit's job (LOGIN_RATE_...);
# locking by username alone is what stops guessing one account from many addresses.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- Security (production posture unless DEBUG) -----------------------------------------------
# HSTS: browsers keep to https for a year, tenant hosts (subdomains) included. Sent on https
# requests only (behind a TLS proxy: SECURE_PROXY_SSL_HEADER); off under DEBUG, where `make run`
# serves http://localhost and a pinned HSTS entry would outlive the session. Preloading binds
# every subdomain of BASE_DOMAIN for months: the operator's decision, off by default.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# Links to other sites get no referrer (an ISP customer's id, a CRM record in the path).
SECURE_REFERRER_POLICY = "same-origin"
# A page opened from another site cannot reach back into our window (admin popups: same origin).
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Probes are called over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^health", r"^metrics$"]
# Content-Security-Policy (django-csp) of every HTML page: scripts, styles, fonts and requests
# from our own origin only, no inline script, no inline style, no plugin, no framing. Pages keep
# their code in static files and hand it data in data- attributes or json_script; a bar's width
# is a class (static/css/widths.css). tests/core/test_security_headers.py refuses any inline
# script, handler, javascript: URL or style in the templates, and the browser tests fail on any
# violation. No page needs a nonce: one that truly did would add csp.constants.NONCE to
# script-src and the csp.context_processors.nonce context processor.
# Everything that is not HTML gets CONTENT_SECURITY_POLICY_NON_HTML instead (apps.core.security).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the small icons that stylesheets (Django admin's, Swagger UI's) inline.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        # Where browsers report violations (e.g. a collector of the operator's), if anywhere.
        "report-uri": env.str("CSP_REPORT_URI", default="") or None,
    },
}
# JSON, CSV, scripts, styles, images: a document that loads and runs nothing, and is never framed.
CONTENT_SECURITY_POLICY_NON_HTML = {
    "DIRECTIVES": {"default-src": [NONE], "frame-ancestors": [NONE]},
}
# Permissions-Policy (django-permissions-policy): no page uses a sensor, a device, payment
# handlers or an interest API; deny them to every page and every frame. A feature a page comes
# to need (the technician app's geolocation, passkeys) is opened for `self` here. Only names
# Chromium knows: it logs an error for any other (e.g. bluetooth), which the browser tests fail.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- Internationalisation and files -----------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / ".data" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
STORAGES = {
    # Uploaded files live under a per-tenant prefix (DESIGN §9).
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MULTITENANT_RELATIVE_MEDIA_ROOT = "tenants/%s"
# Where `manage.py tenant_backup` writes when not given --output.
TENANT_BACKUP_DIR = env.path("TENANT_BACKUP_DIR", default=BASE_DIR / ".data" / "backups")

# --- API --------------------------------------------------------------------------------------
API_VERSION = "1.0"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.identity.authentication.TenantJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.identity.permissions.AppAreaAccess"],
    "DEFAULT_RENDERER_CLASSES": ["apps.core.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.EnvelopePagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.api.filters.StrictFilterBackend",
        "apps.core.api.filters.StrictSearchFilter",
        "apps.core.api.filters.StrictOrderingFilter",
    ],
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.autoschema.KitAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Rate limits (DESIGN §7): Redis counters shared by all workers; rates below and per plan.
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.ApiUserRateThrottle",
        "apps.core.throttling.SearchRateThrottle",
        "apps.core.throttling.BulkRateThrottle",
    ],
    # Client IPs for limits: X-Forwarded-For is trusted only as written by this many proxies.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
# Requests per user a minute (anonymous: per IP); plans may raise it (platform.api_rate_per_
# minute). Sign-ins per IP a minute, API and pages together, across tenants. Searches per tenant
# a minute (platform.search_rate_per_minute). Bulk operations per user an hour.
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", default=100)
# A list is counted exactly up to this many rows; past it, meta.pagination carries the
# planner's estimate and count_is_estimate: true (apps/core/api/pagination.py). 0: always exact.
API_COUNT_EXACT_UP_TO = env.int("API_COUNT_EXACT_UP_TO", default=10_000)
LOGIN_RATE_PER_MINUTE = env.int("LOGIN_RATE_PER_MINUTE", default=5)
SEARCH_RATE_PER_MINUTE = env.int("SEARCH_RATE_PER_MINUTE", default=30)
BULK_RATE_PER_HOUR = env.int("BULK_RATE_PER_HOUR", default=10)
# Redis namespace of the counters (apps/core/ratelimit.py).
RATE_LIMIT_KEY_PREFIX = CACHES["default"]["KEY_PREFIX"]
SPECTACULAR_SETTINGS = {
    "TITLE": "DotMac API",
    "DESCRIPTION": "Multi-tenant, multi-app SaaS platform. Every response uses the envelope "
    "{data, meta, links}; every error {error: {code, message, details, request_id}}.",
    "VERSION": API_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from drf-spectacular-sidecar's static files, not a CDN (the CSP allows 'self').
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.envelope_postprocessing_hook",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("status", "kind") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "apps.isp.models.customers.Customer.Kind",
        "ProjectMemberRoleEnum": "apps.projects.constants.MemberRole",
        "CustomerStatusEnum": "apps.isp.models.customers.Customer.Status",
        "TimelineEventKindEnum": "apps.isp.models.customers.TimelineEvent.Kind",
        "DocumentLineKindEnum": "apps.isp.models.billing.LineKind",
        "PlanStatusEnum": "apps.isp.models.plans.ServicePlan.Status",
        "ServiceStatusEnum": "apps.isp.models.subscriptions.Service.Status",
        "InvoiceStatusEnum": "apps.isp.models.billing.Invoice.Status",
        "PaymentStatusEnum": "apps.isp.models.billing.Payment.Status",
        "PaymentMethodEnum": "apps.isp.models.billing.Payment.Method",
        "BillingRunStatusEnum": "apps.isp.models.billing.BillingRun.Status",
        "NasTypeEnum": "apps.isp.models.radius.NasType",
        "RadiusLoginKindEnum": "apps.isp.models.radius.RadiusLogin.Kind",
        "RadiusSessionStatusEnum": "apps.isp.models.radius.RadiusSession.Status",
        "ProductStatusEnum": "apps.commerce.constants.ProductStatus",
        "OrderStatusEnum": "apps.commerce.constants.OrderStatus",
        "MovementKindEnum": "apps.commerce.constants.MovementKind",
        "FulfilmentStatusEnum": "apps.commerce.constants.FulfilmentStatus",
        "LedgerKindEnum": "apps.commerce.constants.LedgerKind",
        "MonitorMethodEnum": "apps.isp.models.monitoring.Monitor.Method",
        "WorkOrderKindEnum": "apps.isp.models.field.WorkOrder.Kind",
        "WorkOrderStatusEnum": "apps.isp.models.field.WorkOrder.Status",
        "TicketStatusEnum": "apps.isp.models.support.Ticket.Status",
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_ACCESS_SECONDS", default=300)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_REFRESH_SECONDS", default=86400)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": "apps.identity.api.serializers.TenantTokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "apps.identity.api.serializers.TenantTokenRefreshSerializer",
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
# No task runs for ever: Celery raises SoftTimeLimitExceeded in it, then kills it at the hard
# limit. /health/ready fails while a task has run past TASK_STALL_SECONDS (apps.core.taskwatch).
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
TASK_STALL_SECONDS = env.int("TASK_STALL_SECONDS", default=900)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# The queue tasks are sent to and workers consume: another name lets two installations (or a
# benchmark next to a dev server) share one broker without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".data" / "celerybeat-schedule")
)

# --- Operations -------------------------------------------------------------------------------
# /metrics answers to a bearer token or to clients in these networks; to nobody else.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
PROMETHEUS_EXPORT_MIGRATIONS = False

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "apps.core.logging.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s %(tenant)s] %(name)s: "
            "%(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Unknown hosts are answered 404 by the router; no need to log them as errors.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
        # Failed sign-ins and lock-outs are warnings; axes' bookkeeping is not news.
        "axes": {"level": "WARNING"},
    },
}

# --- Licensing ---------------------------------------------------------------------------------
# Days a past-due subscription stays usable before its app switches off.
LICENSE_GRACE_DAYS = env.int("LICENSE_GRACE_DAYS", default=7)

# --- Metering (apps.platform.metering, apps.core.usage) ----------------------------------------
# Days the Redis counters of a day (requests, task time, active users) are kept, so a day can be
# measured again; the percentage of a quota (platform.max_storage_mb, platform.max_db_mb) at
# which the tenant's super admin is warned; days of the daily series kept.
USAGE_COUNTER_DAYS = env.int("USAGE_COUNTER_DAYS", default=8)
QUOTA_WARNING_PERCENT = env.int("QUOTA_WARNING_PERCENT", default=80)
USAGE_SERIES_DAYS = env.int("USAGE_SERIES_DAYS", default=400)

# --- Platform billing (apps.platform.billing) ---------------------------------------------------
# The card gateway the platform charges tenants through, days to pay an invoice, the days after
# a failed payment (a soft decline) on which it is tried again, and the days past due after
# which the subscriptions are cancelled (suspended after LICENSE_GRACE_DAYS).
PLATFORM_PAYMENT_GATEWAY = env.str(
    "PLATFORM_PAYMENT_GATEWAY", default="apps.core.payments.SandboxGateway"
)
BILLING_DUE_DAYS = env.int("BILLING_DUE_DAYS", default=14)
BILLING_RETRY_DAYS = env.list("BILLING_RETRY_DAYS", cast=int, default=[3, 5, 7])
BILLING_CANCEL_AFTER_DAYS = env.int("BILLING_CANCEL_AFTER_DAYS", default=30)
# Soft unsubscribe: days a cancelled app's data is kept in the tenant's schema (exportable, and
# back on resubscription) before a final export and the emptying of the app's tables.
BILLING_RETENTION_DAYS = env.int("BILLING_RETENTION_DAYS", default=90)

# ISP RADIUS: changes of authorization (CoA / Disconnect, apps.isp.services.coa). One attempt is
# one packet waiting this many seconds; an unanswered one is sent again after 5, 10, 20... s
# (the base doubled), until the attempts run out and the change shows as failed.
RADIUS_COA_TIMEOUT = env.float("RADIUS_COA_TIMEOUT", default=2.0)
RADIUS_COA_MAX_ATTEMPTS = env.int("RADIUS_COA_MAX_ATTEMPTS", default=6)
RADIUS_COA_BACKOFF = env.float("RADIUS_COA_BACKOFF", default=5.0)

# ISP monitoring (apps.isp.services.probes, monitoring): the fping binary ("" = the pure-Python
# TCP fallback), its interval between requests in ms (fping's -i: 1 ms is its unprivileged
# minimum), how many devices one probe batch (one task, one fping call) takes, and an optional
# fence: when set, only addresses inside these networks are ever probed (on top of probing only
# the management IPs the tenant registered).
MONITORING_FPING = env.str("MONITORING_FPING", default="fping")
MONITORING_FPING_INTERVAL_MS = env.float("MONITORING_FPING_INTERVAL_MS", default=1.0)
MONITORING_BATCH_SIZE = env.int("MONITORING_BATCH_SIZE", default=5000)
MONITORING_PROBE_NETWORKS = env.list("MONITORING_PROBE_NETWORKS", default=[])

# Card gateways (classes implementing apps.core.payments.PaymentGateway): the ISP's billing and
# the shop's checkout, each the sandbox unless configured.
ISP_PAYMENT_GATEWAY = env.str("ISP_PAYMENT_GATEWAY", default="apps.isp.gateways.SandboxGateway")
COMMERCE_PAYMENT_GATEWAY = env.str(
    "COMMERCE_PAYMENT_GATEWAY", default="apps.core.payments.SandboxGateway"
)

# --- RADIUS (apps.isp.radius) -------------------------------------------------------------------
# FreeRADIUS asks DotMac over HTTP (rlm_rest) at RADIUS_API_URL/_radius/, signing in with
# RADIUS_API_TOKEN (by default derived from SECRET_KEY: `manage.py radius_config` writes the same
# value into the FreeRADIUS configuration it generates). Set it explicitly when FreeRADIUS runs
# elsewhere (docker/compose.yaml passes it to both).
RADIUS_API_TOKEN = env.str("RADIUS_API_TOKEN", default="") or _derived_key("radius-api")
RADIUS_API_URL = env.str("RADIUS_API_URL", default="http://127.0.0.1:8000")
RADIUS_AUTH_PORT = env.int("RADIUS_AUTH_PORT", default=1812)
RADIUS_ACCT_PORT = env.int("RADIUS_ACCT_PORT", default=1813)

# --- Demo -------------------------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="dotmac-demo")

# Outgoing mail (invitations, password resets): printed to the console unless EMAIL_URL names
# an SMTP server, e.g. smtp+tls://user:password@smtp.example.com:587.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"no-reply@{BASE_DOMAIN}")
CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"
