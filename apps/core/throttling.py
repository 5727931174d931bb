"""The rate limits of DESIGN.md §7 as DRF throttles over the shared Redis counters of
`apps.core.ratelimit`, and the brute-force lock-out answers (django-axes).

- ApiUserRateThrottle: every API request, per user (tenant + user id; anonymous clients:
  tenant + IP), API_RATE_PER_MINUTE (100) a minute;
- SearchRateThrottle: requests with a non-empty `?search=`, per tenant,
  SEARCH_RATE_PER_MINUTE (30) a minute;
- BulkRateThrottle: bulk operations (see below), per user, BULK_RATE_PER_HOUR (10) an hour;
- LoginRateThrottle: POST /api/v1/auth/token/, per IP across all tenants,
  LOGIN_RATE_PER_MINUTE (5) a minute; the sign-in page counts against the same budget
  through `login_rate_hit`.

The first three are REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES; the token view uses the fourth.
Each refusal is DRF's Throttled, which the envelope handler answers 429 `RATE_LIMITED` with
Retry-After.

Scopes. A user id means something only inside its tenant's schema, so user and tenant counters
carry the schema name. The sign-in counter of an IP does not, on purpose: an attacker must not
get five guesses a minute per tenant host by cycling through hosts.

Plans. The API, search and bulk rates of a tenant may be raised by its plans: the limit keys
`platform.api_rate_per_minute`, `platform.search_rate_per_minute` and
`platform.bulk_rate_per_hour` (highest over its usable licences) replace the setting when
higher. The setting is the floor every tenant gets; a plan never lowers it, and a null
("unlimited") in a plan does not lift the limit. Core does not import licensing (DESIGN §2):
licensing registers the lookup as `registry.rate_overrides` at start-up.

Bulk operations. A view opts in with a class attribute `bulk = True` (every request to it
counts), or marks single handlers or viewset actions with `@bulk_operation`:

    class CustomerViewSet(ModelViewSet):
        @bulk_operation
        @action(detail=False, methods=["post"])
        def import_csv(self, request): ...

Lock-out (django-axes, settings AXES_*): after AXES_FAILURE_LIMIT failed sign-ins for one
username the account is locked for AXES_COOLOFF_TIME, whatever the IP. Pages answer with
`lockout_response` (a friendly page; an error envelope under /api/), the token view raises
`AccountLocked` (429 `RATE_LIMITED` with Retry-After). Attempts live in each tenant's schema.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.template.response import TemplateResponse
from django.utils import timezone
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from apps.core.errors import ErrorCode, error_response
from apps.core.ratelimit import Hit, client_ip, hit, rate_key
from apps.core.registry import registry

LOCKED_MESSAGE = "Too many failed sign-ins; this account is locked for {minutes} minutes."


def tenant_rate(setting: str, plan_key: str) -> int:
    """The rate in force for the current tenant: the setting, or its plans' if higher."""
    rate = getattr(settings, setting)
    schema = connection.schema_name
    if registry.rate_overrides is None or schema == settings.PUBLIC_SCHEMA_NAME:
        return rate
    planned = registry.rate_overrides(schema, plan_key)
    return max(rate, planned) if planned is not None else rate


def login_rate_hit(request) -> Hit:
    """Count one sign-in attempt from the request's IP (API and pages share the budget). Without
    Redis no attempt is let through (a 503): guessing must not get unlimited tries."""
    key = rate_key("login", "ip", client_ip(request))
    return hit(key, settings.LOGIN_RATE_PER_MINUTE, 60, fail_open=False)


def throttled_login_page(request):
    """The 429 page of a sign-in form past LOGIN_RATE_PER_MINUTE, or None when allowed."""
    attempt = login_rate_hit(request)
    if attempt.allowed:
        return None
    return TemplateResponse(
        request,
        "identity/login_throttled.html",
        {"retry_after": attempt.retry_after},
        status=429,
        headers={"Retry-After": str(attempt.retry_after)},
    )


def bulk_operation(handler):
    """Mark a view method or viewset action as a bulk operation (BULK_RATE_PER_HOUR)."""
    handler.bulk = True
    return handler


def bulk_rate_hit(request) -> Hit:
    """Count one bulk operation of a page (a CSV import) against the same per-user budget as
    the API's bulk actions (BulkRateThrottle)."""
    return hit(
        rate_key(BulkRateThrottle.scope, _user_ident(request)),
        tenant_rate("BULK_RATE_PER_HOUR", "platform.bulk_rate_per_hour"),
        BulkRateThrottle.window,
    )


class RedisRateThrottle(BaseThrottle):
    """A DRF throttle over `ratelimit.hit`: subclasses say what counts, per what, how many."""

    window = 60
    scope = ""

    def ident(self, request, view) -> str | None:
        """Who is counted (None: this request is not subject to this throttle)."""
        raise NotImplementedError

    def limit(self, request, view) -> int:
        raise NotImplementedError

    def count(self, request, view) -> Hit:
        key = rate_key(self.scope, self.ident(request, view))
        return hit(key, self.limit(request, view), self.window)

    def allow_request(self, request, view) -> bool:
        self.outcome = None
        if self.ident(request, view) is None:
            return True
        self.outcome = self.count(request, view)
        return self.outcome.allowed

    def wait(self) -> float | None:
        return self.outcome.resets_in if self.outcome else None


def _user_ident(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"{connection.schema_name}:user:{user.pk}"
    return f"{connection.schema_name}:ip:{client_ip(request)}"


class ApiUserRateThrottle(RedisRateThrottle):
    """API_RATE_PER_MINUTE requests a minute per user (anonymous clients: per IP), per tenant."""

    scope = "api"

    def ident(self, request, view):
        return _user_ident(request)

    def limit(self, request, view):
        return tenant_rate("API_RATE_PER_MINUTE", "platform.api_rate_per_minute")


class SearchRateThrottle(RedisRateThrottle):
    """SEARCH_RATE_PER_MINUTE searches (`?search=`, any endpoint) a minute per tenant."""

    scope = "search"

    def ident(self, request, view):
        if not request.query_params.get("search", "").strip():
            return None
        return connection.schema_name

    def limit(self, request, view):
        return tenant_rate("SEARCH_RATE_PER_MINUTE", "platform.search_rate_per_minute")


class BulkRateThrottle(RedisRateThrottle):
    """BULK_RATE_PER_HOUR bulk operations an hour per user (opt-in: see the module doc)."""

    scope = "bulk"
    window = 3600

    def ident(self, request, view):
        handler = getattr(view, getattr(view, "action", None) or request.method.lower(), None)
        if not (getattr(view, "bulk", False) or getattr(handler, "bulk", False)):
            return None
        return _user_ident(request)

    def limit(self, request, view):
        return tenant_rate("BULK_RATE_PER_HOUR", "platform.bulk_rate_per_hour")


class LoginRateThrottle(RedisRateThrottle):
    """LOGIN_RATE_PER_MINUTE sign-in attempts (POST) a minute per IP, across all tenants."""

    scope = "login"

    def ident(self, request, view):
        return client_ip(request) if request.method == "POST" else None

    def count(self, request, view):
        return login_rate_hit(request)


# --- Lock-out (django-axes) --------------------------------------------------------------------


def lockout_seconds_left(username: str | None) -> int:
    """Seconds until `username`'s lock-out ends (its latest counted failure + the cool-off)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off() or timedelta(0)
    latest = AccessAttempt.objects.filter(username=username).aggregate(last=Max("attempt_time"))
    if latest["last"] is None:
        return max(1, int(cool_off.total_seconds()))
    return max(1, int((latest["last"] + cool_off - timezone.now()).total_seconds()) + 1)


def locked_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return LOCKED_MESSAGE.format(minutes=minutes)


class AccountLocked(Throttled):
    """A sign-in refused because the account is locked out (429 RATE_LIMITED, Retry-After)."""

    def __init__(self, username: str | None):
        super().__init__(wait=lockout_seconds_left(username) - 1, detail=locked_message())


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: what a locked-out sign-in answers outside the token view."""
    from axes.helpers import get_client_username

    retry_after = lockout_seconds_left(get_client_username(request, credentials))
    headers = {"Retry-After": str(retry_after)}
    if request.path.startswith("/api/"):
        return error_response(ErrorCode.RATE_LIMITED, locked_message(), headers=headers)
    response = TemplateResponse(
        request,
        "identity/locked_out.html",
        {"message": locked_message(), "minutes": max(1, round(retry_after / 60))},
        status=429,
        headers=headers,
    )
    return response.render()
