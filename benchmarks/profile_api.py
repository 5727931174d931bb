"""Where the milliseconds of a tenant API request go: GET /api/v1/me/ on bench.localhost, or
any endpoint (`--endpoint`) of the demo tenant abc-corp.

    python benchmarks/profile_api.py [--requests 3000] [--top 30] [--keep] [--reuse-db]
    python benchmarks/profile_api.py --endpoint "/api/v1/isp/customers/?page_size=25"

An `--endpoint` other than /api/v1/me/ is requested on abc-corp.localhost as its super admin
(john), in a database the demo seeder filled (`manage.py seed_demo`, ~1 min once; --keep and
--reuse-db keep it between runs); its report has the round trips, the µs per request and the
cProfile (the ablations and micro-benchmarks are /api/v1/me/'s).

Calls DotMac's WSGI application in-process (no gunicorn, no HTTP, no load tool), with the env
the benchmark's servers get, through exactly the code a gunicorn worker runs per request
(request_started/finished signals, persistent connection, all middleware). It prints:

1. round trips per steady-state request: SQL statements seen by Django, every statement sent
   by psycopg (including the CONN_HEALTH_CHECKS `SELECT 1` Django does not log), Redis commands,
   `set_tenant` / `ContentType.objects.clear_cache` calls and log records;
2. µs per request of the whole request and of the bare Django view (benchmarks/bare_wsgi.py);
3. ablations: µs saved per request when one part is switched off (each middleware, the Redis
   generation GET, the connection health check), measured without a profiler;
4. micro-benchmarks of single operations (JWT decode, the user query, a Redis GET, ...);
5. a cProfile of the requests: top functions by own time and by cumulative time.

Like api_throughput.py it uses DATABASE_URL / REDIS_URL (or starts local ones) and a database
of its own, `dotmac_bench` (reset first, dropped afterwards unless --keep; --reuse-db skips the
reset and migration when a previous --keep left it ready).
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
import whatif  # noqa: E402
from benchlib import PASSWORD, TENANT_HOST, USERNAME, log  # noqa: E402

ME = "/api/v1/me/"
#: Who requests an --endpoint other than ME: the demo's first tenant and its super admin.
DEMO_HOST, DEMO_USERNAME = "abc-corp.localhost", "john"


# --- In-process WSGI calls ---------------------------------------------------------------------


#: The host requests go to (DEMO_HOST for an --endpoint other than ME).
HOST = TENANT_HOST


def wsgi_call(app, path, *, method="GET", host=None, headers=None, body=b""):
    """One request through the WSGI application, as a gunicorn sync worker makes it."""
    from wsgiref.util import setup_testing_defaults

    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": host or HOST,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    setup_testing_defaults(environ)
    statuses = []
    response = app(environ, lambda status, _headers, _exc=None: statuses.append(status))
    try:
        data = b"".join(response)
    finally:
        response.close()  # request_finished: close_old_connections, as in gunicorn
    return int(statuses[0].split()[0]), data


def obtain_token(app, username=USERNAME, password=PASSWORD) -> str:
    body = json.dumps({"username": username, "password": password}).encode()
    status, data = wsgi_call(
        app,
        "/api/v1/auth/token/",
        method="POST",
        headers={"Content-Type": "application/json"},
        body=body,
    )
    if status != 200:
        raise RuntimeError(f"token request answered {status}: {data[:500]!r}")
    return json.loads(data)["data"]["attributes"]["access"]


def batch_us(call, count: int) -> tuple[float, float]:
    """(wall, CPU of this process) µs per call over `count` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        call()
    return (
        (time.perf_counter() - wall) / count * 1e6,
        (time.process_time() - cpu) / count * 1e6,
    )


def best(samples) -> tuple[float, float]:
    """The best wall and the best CPU figure: the least disturbed by other processes."""
    return min(s[0] for s in samples), min(s[1] for s in samples)


def per_request_us(call, requests: int, batches: int = 5) -> tuple[float, float]:
    per_batch = max(requests // batches, 1)
    return best([batch_us(call, per_batch) for _ in range(batches)])


# --- Counting round trips ----------------------------------------------------------------------


@contextlib.contextmanager
def counting():
    """Count psycopg statements, Redis commands, set_tenant, ContentType cache clears, logs."""
    import logging

    import psycopg
    import redis
    from django.contrib.contenttypes.models import ContentTypeManager
    from django_tenants.postgresql_backend.base import DatabaseWrapper

    counts = {
        "psycopg_statements": 0,
        "redis_commands": 0,
        "set_tenant": 0,
        "contenttype_clear_cache": 0,
        "log_records": 0,
    }
    statements: list[str] = []
    patches = []

    def wrap(owner, name, key, record=None):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            counts[key] += 1
            if record is not None:
                record(args)
            return original(*args, **kwargs)

        setattr(owner, name, wrapper)
        patches.append((owner, name, original))

    wrap(psycopg.Cursor, "execute", "psycopg_statements", lambda a: statements.append(str(a[1])))
    wrap(redis.Redis, "execute_command", "redis_commands")
    wrap(DatabaseWrapper, "set_tenant", "set_tenant")
    wrap(ContentTypeManager, "clear_cache", "contenttype_clear_cache")
    wrap(logging.Logger, "callHandlers", "log_records")
    try:
        yield counts, statements
    finally:
        for owner, name, original in reversed(patches):
            setattr(owner, name, original)


def round_trips(app, token: str, requests: int = 200, endpoint: str = ME) -> dict:
    from django.db import connection

    ME = endpoint
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(20):  # steady state: connection open, search_path set, caches warm
        wsgi_call(app, ME, headers=headers)
    # What goes through Django's cursor wrapper (assertNumQueries would count these; a
    # CaptureQueriesContext around a WSGI call sees nothing: request_started resets the log).
    django_sql: list[str] = []

    def record(execute, sql, params, many, context):
        django_sql.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        status, body = wsgi_call(app, ME, headers=headers)
    if status != 200:
        raise RuntimeError(f"{ME} answered {status}: {body[:500]!r}")
    with counting() as (counts, statements):
        wsgi_call(app, ME, headers=headers)
        one_request = list(statements)
        for _ in range(requests - 1):
            wsgi_call(app, ME, headers=headers)
    return {
        "django_queries": len(django_sql),
        "django_sql": django_sql,
        "per_request": {key: value / requests for key, value in counts.items()},
        "psycopg_sql": one_request,
    }


# --- Ablations and micro-benchmarks ------------------------------------------------------------


def ablations(app, call, requests: int, rounds: int = 15) -> list:
    """(label, wall µs saved, CPU µs saved) per request for each variant: best-of-rounds baseline
    minus best-of-rounds variant, batches alternating so that a disturbance hits both alike."""
    from django.conf import settings

    def drop(*names):
        return lambda: whatif.middleware_changed(app, remove=names)

    def one(change):
        return lambda: change(app)

    variants = [
        ("the whole DRF view (auth, user query, serializer, envelope)", one(whatif.trivial_view)),
        ("the user query (user cached in-process instead)", one(whatif.user_cached)),
        (
            "Redis generation GET per request (apps/core/localcache.py)",
            one(whatif.no_generation_get),
        ),
        ("CONN_HEALTH_CHECKS `SELECT 1` per request", one(whatif.no_health_check)),
        ("MeSerializer (ModelSerializer) -> plain Serializer", one(whatif.plain_serializer)),
        ("MeSerializer (ModelSerializer) -> hand-built dict", one(whatif.me_as_dict)),
        ("django_prometheus Before+After middleware", one(whatif.no_prometheus)),
        ("django_prometheus -> LeanMetricsMiddleware", one(whatif.lean_metrics)),
        (
            "Session+Authentication+Message middleware",
            drop("SessionMiddleware", "AuthenticationMiddleware", "MessageMiddleware"),
        ),
    ]
    grouped = {
        "TenantRoutingMiddleware",
        "PrometheusBeforeMiddleware",
        "PrometheusAfterMiddleware",
        "SessionMiddleware",
        "AuthenticationMiddleware",
        "MessageMiddleware",
    }
    names = [dotted.rsplit(".", 1)[-1] for dotted in settings.MIDDLEWARE]
    variants += [(name, drop(name)) for name in names if name not in grouped]
    every_other = [name for name in names if name != "TenantRoutingMiddleware"]
    variants.append(("all middleware but TenantRoutingMiddleware", drop(*every_other)))
    suggestions = list(whatif.SUGGESTIONS)
    variants.append(
        (
            f"all suggestions together ({', '.join(suggestions)})",
            lambda: whatif.applied(app, suggestions),
        )
    )

    batch = max(requests // 20, 50)
    results = []
    for label, variant in variants:
        with variant():
            if call() != 200:
                results.append((label, None, None))  # the request cannot work without it
                continue
        baseline, reduced = [], []
        for _ in range(rounds):
            baseline.append(batch_us(call, batch))
            with variant():
                for _ in range(20):
                    call()
                reduced.append(batch_us(call, batch))
        (base_wall, base_cpu), (wall, cpu) = best(baseline), best(reduced)
        results.append((label, base_wall - wall, base_cpu - cpu))
    return results


def micro_benchmarks(token: str, loops: int = 5000) -> list[tuple[str, float]]:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.core.api.renderers import EnvelopeJSONRenderer
    from apps.core.localcache import redis_client
    from apps.identity.api.serializers import MeSerializer
    from apps.identity.authentication import TenantJWTAuthentication
    from apps.platform.tenants.routing import tenant_for_host

    tenant = tenant_for_host(TENANT_HOST)
    connection.set_tenant(tenant)
    auth = TenantJWTAuthentication()
    validated = auth.get_validated_token(token.encode())
    user = JWTAuthentication().get_user(validated)

    def timed(fn, n=loops):
        for _ in range(min(n, 200)):
            fn()
        return per_request_us(fn, n)[0]

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def set_tenant_and_search_path():
        connection.set_tenant(tenant)
        select_one()

    PlainMeSerializer = whatif.plain_me_serializer_class()
    renderer = EnvelopeJSONRenderer()
    data = MeSerializer(user).data
    assert dict(PlainMeSerializer(user).data) == dict(data)
    results = [
        ("PyJWT decode + verify (AccessToken(raw))", timed(lambda: AccessToken(token))),
        (
            "TenantJWTAuthentication.get_validated_token",
            timed(lambda: auth.get_validated_token(token.encode())),
        ),
        ("JWTAuthentication.get_user (the user query)", timed(lambda: auth.get_user(validated))),
        ("Django cursor `SELECT 1` round trip", timed(select_one)),
        ("set_tenant + `SET search_path` + `SELECT 1`", timed(set_tenant_and_search_path, 2000)),
        ("ContentType.objects.clear_cache()", timed(ContentType.objects.clear_cache)),
        ("Redis GET (localcache generation)", timed(lambda: redis_client().get("x"))),
        (
            "tenant_for_host (cached, incl. Redis GET)",
            timed(lambda: tenant_for_host(TENANT_HOST)),
        ),
        ("MeSerializer(user).data (ModelSerializer)", timed(lambda: MeSerializer(user).data)),
        (
            "the same from a plain Serializer with declared fields",
            timed(lambda: PlainMeSerializer(user).data),
        ),
        ("EnvelopeJSONRenderer.render (no context)", timed(lambda: renderer.render(data))),
    ]
    connection.set_schema_to_public()
    return results


# --- cProfile ----------------------------------------------------------------------------------


# (label, path suffix, function names): cumulative time per request of the matching functions
# (of several functions with one name, nested ones for instance, the largest counts).
SELECTED = [
    ("whole WSGI call", "django/core/handlers/wsgi.py", ("__call__",)),
    ("request_started/finished signals", "django/dispatch/dispatcher.py", ("send",)),
    (
        "TenantRoutingMiddleware.process_request",
        "apps/platform/tenants/middleware.py",
        ("process_request",),
    ),
    ("  Redis generation GET", "apps/core/localcache.py", ("_current_generation",)),
    ("  setup_url_routing", "django_tenants/middleware/main.py", ("setup_url_routing",)),
    (
        "django_prometheus middleware hooks",
        "django_prometheus/middleware.py",
        ("process_request", "process_view", "process_response"),
    ),
    ("SessionMiddleware.process_response", "contrib/sessions/middleware.py", ("process_response",)),
    ("CsrfViewMiddleware hooks", "django/middleware/csrf.py", ("process_view", "process_response")),
    ("URL resolving", "django/urls/resolvers.py", ("resolve",)),
    ("DRF APIView.dispatch", "rest_framework/views.py", ("dispatch",)),
    (
        "  JWT get_validated_token",
        "rest_framework_simplejwt/authentication.py",
        ("get_validated_token",),
    ),
    ("  JWT get_user (user query)", "rest_framework_simplejwt/authentication.py", ("get_user",)),
    ("    SQL compilation", "django/db/models/sql/compiler.py", ("as_sql",)),
    ("    psycopg execute (all statements)", "psycopg/cursor.py", ("execute",)),
    (
        "  health check (SELECT 1)",
        "django/db/backends/base/base.py",
        ("close_if_health_check_failed",),
    ),
    ("  check_permissions", "rest_framework/views.py", ("check_permissions",)),
    ("  perform_content_negotiation", "rest_framework/views.py", ("perform_content_negotiation",)),
    ("  retrieve (serializer)", "rest_framework/mixins.py", ("retrieve",)),
    ("    ModelSerializer.get_fields", "rest_framework/serializers.py", ("get_fields",)),
    ("  finalize_response", "rest_framework/views.py", ("finalize_response",)),
    ("  rendered_content (envelope + JSON)", "rest_framework/response.py", ("rendered_content",)),
]


def cprofile(call, requests: int, top: int, dump: str | None = None) -> str:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    if dump:
        profiler.dump_stats(dump)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(
        f"== cProfile of {requests} requests: cumulative µs per request of selected functions\n"
        "   (the profiler inflates Python-heavy code; compare them with each other)\n"
    )
    for label, suffix, names in SELECTED:
        largest = dict.fromkeys(names, 0.0)
        for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
            if name in largest and filename.replace(os.sep, "/").endswith(suffix):
                largest[name] = max(largest[name], cumulative)
        total = sum(largest.values())
        out.write(f"  {total / requests * 1e6:8.1f} µs  {label}\n")
    out.write("\n")
    stats.strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top + 15)
    return out.getvalue()


# --- Entry points ------------------------------------------------------------------------------


def setup_django():
    # Same as a gunicorn worker under dotmac.gunicorn_conf: Prometheus in multiprocess mode.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="bench-metrics-"))
    from dotmac.wsgi import application

    return application


def inner(args) -> int:
    global HOST
    app = setup_django()
    if args.endpoint != ME:
        from django.conf import settings

        HOST = DEMO_HOST
        token = obtain_token(app, DEMO_USERNAME, settings.DEMO_PASSWORD)
        return inner_endpoint(args, app, token)
    token = obtain_token(app)
    if args.queries_json:
        print(json.dumps(round_trips(app, token)))
        return 0

    headers = {"Authorization": f"Bearer {token}"}

    def call():
        return wsgi_call(app, ME, headers=headers)[0]

    trips = round_trips(app, token)
    print("== Round trips per steady-state request of GET /api/v1/me/")
    print(f"  SQL queries through Django's cursor: {trips['django_queries']}")
    for sql in trips["django_sql"]:
        print(f"    {sql[:150]}")
    for key, value in trips["per_request"].items():
        print(f"  {key:<26} {value:.2f}")
    print("  statements psycopg sent for one request:")
    for sql in trips["psycopg_sql"]:
        print(f"    {sql[:150]}")

    for _ in range(300):
        call()
    wall, cpu = per_request_us(call, args.requests)
    bare = float(
        subprocess.run(
            [sys.executable, str(benchlib.BENCH_DIR / "bare_wsgi.py"), str(args.requests * 4)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    print("\n== In-process µs per request (no HTTP, no gunicorn; best of 5 batches)")
    print(
        f"  tenant GET /api/v1/me/   {wall:8.1f} µs wall, {cpu:8.1f} µs CPU of this process "
        f"({1e6 / wall:,.0f} req/s on one core)"
    )
    print(f"  bare Django view         {bare:8.1f} µs wall ({1e6 / bare:,.0f} req/s on one core)")

    def data():
        status, body = wsgi_call(app, ME, headers=headers)
        return status, json.loads(body)["data"]

    expected = data()
    for name, change in [*whatif.SUGGESTIONS.items(), ("me_as_dict", whatif.me_as_dict)]:
        with change(app):
            if data() != expected:
                print(f"  warning: what-if change {name!r} alters the response: {data()}")

    print("\n== Ablations: µs per request saved by switching one part off (wall / CPU)")
    for label, saved_wall, saved_cpu in ablations(app, call, args.requests):
        if saved_wall is None:
            print(f"  {'-':>8}            {label}: the request fails without it")
        else:
            print(f"  {saved_wall:8.1f} / {saved_cpu:6.1f}  {label}")

    print("\n== Micro-benchmarks: µs per single operation")
    for label, micro in micro_benchmarks(token):
        print(f"  {micro:8.1f} µs  {label}")

    print()
    print(cprofile(call, args.requests, args.top))
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001)
        with profiler:
            for _ in range(args.requests):
                call()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


def inner_endpoint(args, app, token: str) -> int:
    """The report of one --endpoint: round trips, µs per request, cProfile."""
    endpoint = args.endpoint
    headers = {"Authorization": f"Bearer {token}"}

    def call():
        return wsgi_call(app, endpoint, headers=headers)[0]

    status, body = wsgi_call(app, endpoint, headers=headers)
    if status != 200:
        raise RuntimeError(f"{endpoint} answered {status}: {body[:500]!r}")
    trips = round_trips(app, token, endpoint=endpoint)
    if args.queries_json:
        print(json.dumps(trips))
        return 0
    print(f"== Round trips per steady-state request of GET {endpoint} on {HOST}")
    print(f"  response: {len(body):,} bytes")
    print(f"  SQL queries through Django's cursor: {trips['django_queries']}")
    for sql in trips["django_sql"]:
        print(f"    {sql[:200]}")
    for key, value in trips["per_request"].items():
        print(f"  {key:<26} {value:.2f}")
    for _ in range(100):
        call()
    wall, cpu = per_request_us(call, args.requests)
    print("\n== In-process µs per request (no HTTP, no gunicorn; best of 5 batches)")
    print(
        f"  GET {endpoint}   {wall:8.1f} µs wall, {cpu:8.1f} µs CPU of this process "
        f"({1e6 / wall:,.0f} req/s on one core)"
    )
    print()
    print(cprofile(call, args.requests, args.top, args.pstats))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement")
    parser.add_argument(
        "--endpoint", default=ME, help=f"path and query to request (default {ME}; others on "
        f"{DEMO_HOST} as {DEMO_USERNAME}, in a database with the demo data)"
    )  # fmt: skip
    parser.add_argument("--top", type=int, default=30, help="rows of each cProfile table")
    parser.add_argument("--pyinstrument", action="store_true", help="also a pyinstrument tree")
    parser.add_argument("--pstats", metavar="FILE", help="also write the cProfile stats to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the dotmac_bench database")
    parser.add_argument(
        "--reuse-db", action="store_true", help="use dotmac_bench as left by a --keep run"
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--queries-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        return inner(args)

    with benchlib.data_stores() as stores:
        if args.reuse_db:
            database_url = benchlib.existing_database(stores["DATABASE_URL"])
        else:
            database_url = benchlib.reset_database(stores["DATABASE_URL"])
        env = benchlib.app_env(database_url, stores["REDIS_URL"])
        try:
            if not args.reuse_db:
                benchlib.prepare_database(env, demo=args.endpoint != ME)
            command = [sys.executable, __file__, "--inner", "--requests", str(args.requests)]
            command += ["--endpoint", args.endpoint]
            command += ["--pstats", str(Path(args.pstats).resolve())] if args.pstats else []
            command += ["--top", str(args.top)] + (["--pyinstrument"] if args.pyinstrument else [])
            return subprocess.call(command, cwd=benchlib.BASE_DIR, env=env)
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"])
                log("dropped database dotmac_bench")


if __name__ == "__main__":
    sys.exit(main())
