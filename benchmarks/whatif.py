"""The profile's suggestions, applied as reversible patches, to measure them before making them.

profile_api.py uses them as ablations (in-process, µs per request); whatif_wsgi.py serves DotMac
with some of them applied, so that api_throughput.py measures their effect on req/s and p99:

    BENCH_WHATIF=serializer,generation,metrics,healthcheck \\
        python benchmarks/api_throughput.py --tenant-app whatif_wsgi:application

Each change is a context manager; none of them touches a file of the project.
"""

import contextlib
import time

# --- Changes that the report suggests making in the code ---------------------------------------


@contextlib.contextmanager
def middleware_changed(app, remove=(), add=()):
    """settings.MIDDLEWARE without the classes named in `remove`, with `add` (dotted paths)
    inserted where the first removed one was (or first), and the handler's chain rebuilt."""
    from django.conf import settings

    original = list(settings.MIDDLEWARE)
    kept, position = [], None
    for dotted in original:
        if dotted.rsplit(".", 1)[-1] in remove:
            position = len(kept) if position is None else position
            continue
        kept.append(dotted)
    position = 0 if position is None else position
    settings.MIDDLEWARE = kept[:position] + list(add) + kept[position:]
    app.load_middleware()
    try:
        yield
    finally:
        settings.MIDDLEWARE = original
        app.load_middleware()


_lean_metrics = None


class LeanMetricsMiddleware:
    """What django_prometheus's two middlewares could shrink to: one latency histogram and one
    response counter by method and status (3 multiprocess value writes instead of ~17)."""

    def __init__(self, get_response):
        global _lean_metrics
        from prometheus_client import Counter, Histogram

        if _lean_metrics is None:
            _lean_metrics = (
                Histogram("bench_http_request_seconds", "Request latency (what-if)."),
                Counter("bench_http_responses_total", "Responses (what-if).", ["method", "status"]),
            )
        self.latency, self.responses = _lean_metrics
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        self.latency.observe(time.perf_counter() - started)
        self.responses.labels(request.method, response.status_code).inc()
        return response


def lean_metrics(app):
    return middleware_changed(
        app,
        remove=("PrometheusBeforeMiddleware", "PrometheusAfterMiddleware"),
        add=("whatif.LeanMetricsMiddleware",),
    )


def no_prometheus(app):
    return middleware_changed(
        app, remove=("PrometheusBeforeMiddleware", "PrometheusAfterMiddleware")
    )


@contextlib.contextmanager
def no_generation_get(app=None):
    """GenerationalCache trusting its copy without the per-request Redis GET (what a pub/sub
    invalidation listener, or one GET per N ms, would cost: nearly nothing)."""
    from apps.core.localcache import GenerationalCache

    original = GenerationalCache._current_generation
    GenerationalCache._current_generation = lambda self: self._generation or b"0"
    try:
        yield
    finally:
        GenerationalCache._current_generation = original


@contextlib.contextmanager
def no_health_check(app=None):
    """CONN_HEALTH_CHECKS off: no `SELECT 1` before the first query of each request."""
    from django.db import connection

    original = connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False  # read again at each connect
    connection.health_check_enabled = False
    try:
        yield
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = original
        connection.health_check_enabled = original


def plain_me_serializer_class():
    from django.db import connection
    from rest_framework import serializers

    from apps.identity.api.serializers import MeSerializer

    class PlainMeSerializer(serializers.Serializer):
        """MeSerializer's output from declared fields: no ModelSerializer field building."""

        id = serializers.IntegerField(read_only=True)
        username = serializers.CharField(read_only=True)
        email = serializers.EmailField(read_only=True)
        first_name = serializers.CharField(read_only=True)
        last_name = serializers.CharField(read_only=True)
        is_superuser = serializers.BooleanField(read_only=True)
        last_login = serializers.DateTimeField(read_only=True)
        tenant = serializers.SerializerMethodField()
        roles = serializers.SerializerMethodField()
        apps = serializers.SerializerMethodField()
        permissions = serializers.SerializerMethodField()

        def get_tenant(self, user) -> str:
            return connection.schema_name

        # The rest as the real serializer computes them (cached role profile, licence).
        get_roles = MeSerializer.get_roles
        get_apps = MeSerializer.get_apps
        get_permissions = MeSerializer.get_permissions

    return PlainMeSerializer


@contextlib.contextmanager
def plain_serializer(app=None):
    """MeView with a plain Serializer of declared fields instead of the ModelSerializer."""
    from apps.identity.api.views import MeView

    original = MeView.serializer_class
    MeView.serializer_class = plain_me_serializer_class()
    try:
        yield
    finally:
        MeView.serializer_class = original


@contextlib.contextmanager
def me_as_dict(app=None):
    """MeView answering a hand-built dict: no serializer at all."""
    from django.db import connection
    from rest_framework.response import Response

    from apps.identity.access import openable_areas, role_profile
    from apps.identity.api.views import MeView

    def retrieve(self, request, *args, **kwargs):
        user = request.user
        last_login = user.last_login and user.last_login.isoformat().replace("+00:00", "Z")
        return Response(
            {
                "id": user.id,
                "username": user.username,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "is_superuser": user.is_superuser,
                "last_login": last_login,
                "tenant": connection.schema_name,
                "roles": list(role_profile(user).roles),
                "apps": [area.key for area in openable_areas(user)],
                "permissions": ["*"] if user.is_superuser else sorted(user.get_all_permissions()),
            }
        )

    MeView.retrieve = retrieve
    try:
        yield
    finally:
        del MeView.retrieve


# --- Measurements only (not suggestions) --------------------------------------------------------


@contextlib.contextmanager
def trivial_view(app=None):
    """MeView.dispatch answering a constant JsonResponse: what the rest of the stack costs."""
    from django.http import JsonResponse

    from apps.identity.api.views import MeView

    MeView.dispatch = lambda self, request, *args, **kwargs: JsonResponse({"ok": True})
    try:
        yield
    finally:
        del MeView.dispatch


@contextlib.contextmanager
def user_cached(app=None):
    """No user query: the authenticated user comes from a process dict. The request then
    touches no database at all, so this also saves the CONN_HEALTH_CHECKS `SELECT 1`."""
    from apps.identity.authentication import TenantJWTAuthentication

    users = {}

    def get_user(self, validated_token):
        key = validated_token["user_id"]
        if key not in users:
            users[key] = super(TenantJWTAuthentication, self).get_user(validated_token)
        return users[key]

    TenantJWTAuthentication.get_user = get_user
    try:
        yield
    finally:
        del TenantJWTAuthentication.get_user


#: The suggested code changes, by the name BENCH_WHATIF uses.
SUGGESTIONS = {
    "serializer": plain_serializer,
    "generation": no_generation_get,
    "metrics": lean_metrics,
    "healthcheck": no_health_check,
}


@contextlib.contextmanager
def applied(app, names):
    with contextlib.ExitStack() as stack:
        for name in names:
            stack.enter_context(SUGGESTIONS[name](app))
        yield
