"""How fast a tenant is provisioned, how fast migrate_schemas skips up-to-date tenants, and what
the licence check costs per request. One run, four measurements, printed side by side:

    python benchmarks/provisioning.py [--runs 10] [--tenants 200] [--skip-e2e] [--keep]

1. In process (no process start-up in the timing): tenant_create_now() (request + provisioning,
   apps isp, crm, commerce, projects) with the schema made by each of the three methods of
   apps/platform/tenants/schemas.py: a plain migration (template marked out of date, no spares),
   a clone of the template (no spares), a spare renamed (pool refilled before each run, not
   timed). Rounds interleave the methods; each step of the provisioning is timed too.
2. End to end with the spare pool: gunicorn (production config) and a real Celery worker; from
   POST /api/v1/platform/tenants/ (API key) to the first 200 of GET /login/ (the tenant's sign-in
   page) on <slug>.localhost, polled every 10 ms. The pool is back to SPARE_SCHEMAS and the
   worker idle before each POST.
3. migrate_schemas with nothing to apply over --tenants tenants (template clones with their
   django_migrations rows, Tenant and Domain rows): our fast command and the stock `--full`, each
   a whole `manage.py` process (wall time including start-up).
4. The licence check with a warm cache: entitlements_for / ensure_app in µs per call, with and
   without a pinned generation, and LicenseMiddleware's cost on an in-process tenant request.

It prints a summary with the goals (end to end median < 0.5 s, fast migrate_schemas < 10 s,
licence check < 1 ms per request) and writes benchmarks/results/provisioning.json. Like the other
benchmarks it uses DATABASE_URL / REDIS_URL (or starts local ones) and its own database,
`dotmac_bench`, reset first and dropped at the end unless --keep. Celery's broker and results use
another database number of the same Redis (--broker-db, 12), so no other worker takes its tasks.
"""

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import TENANT_HOST, http, log, stats  # noqa: E402

APPS = ["isp", "crm", "commerce", "projects"]
ADMIN_PASSWORD = "a-long-password-1"
METHODS = ("migrate", "clone", "spare")
METHOD_LABELS = {
    "migrate": "plain migration",
    "clone": "template clone",
    "spare": "spare pool",
}
GOAL_E2E_S = 0.5
GOAL_MIGRATE_S = 10.0
GOAL_LICENCE_MS = 1.0
POLL_INTERVAL_S = 0.010


# === In process (run as `provisioning.py --inner <phase>` with the benchmark env) =============


class ProvisioningClock:
    """Wraps the functions of one tenant_create_now() call to time each of its parts.

    Wrappers only (the originals run unchanged): tenant_request (of which make_password, the
    admin password hash), tenant_provision_run, schemas.schema_create, and a mark after each
    services._step(tenant, name) (schema, initialisers, subscriptions, domain).
    """

    def __init__(self):
        from apps.platform.tenants import schemas, services

        self.marks: dict = {}
        self.durations: dict = {}
        self._patches = []
        self._wrap(services, "tenant_request", "request")
        self._wrap(services, "make_password", "password_hash")
        self._wrap(services, "tenant_provision_run", "provision")
        self._wrap(schemas, "schema_create", "schema_create", keep_result="how")
        original_step = services._step

        def _step(tenant, name):
            original_step(tenant, name)
            self.marks[f"after_{name}"] = time.perf_counter()

        services._step = _step
        self._patches.append((services, "_step", original_step))

    def _wrap(self, owner, name, key, keep_result=None):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            self.marks[f"{key}_start"] = started
            try:
                result = original(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                self.marks[f"{key}_end"] = ended
                self.durations[key] = self.durations.get(key, 0.0) + ended - started
            if keep_result:
                self.marks[keep_result] = result
            return result

        setattr(owner, name, wrapper)
        self._patches.append((owner, name, original))

    def reset(self) -> None:
        self.marks, self.durations = {}, {}

    def restore(self) -> None:
        for owner, name, original in reversed(self._patches):
            setattr(owner, name, original)

    def sample(self, total: float) -> dict:
        """Seconds of each part of the last call."""
        m, d = self.marks, self.durations
        return {
            "total": total,
            "request": d["request"],
            "password_hash": d.get("password_hash", 0.0),
            "provision": d["provision"],
            "schema_create": d["schema_create"],
            # lock, status 'provisioning', schema_exists, schema_create, step save
            "schema_step": m["after_schema"] - m["provision_start"],
            "initialisers": m["after_initialisers"] - m["after_schema"],
            "subscriptions": m["after_subscriptions"] - m["after_initialisers"],
            "domain": m["after_domain"] - m["after_subscriptions"],
            # status 'active' saved, unlock
            "activate": m["provision_end"] - m["after_domain"],
            "how": m["how"],
        }


def provision_runs(runs: int, warmup: int = 1) -> dict:
    """tenant_create_now() by each schema method, `runs` times each after `warmup` rounds."""
    from django.conf import settings
    from django.db import connection

    from apps.platform.tenants import schemas, services
    from apps.platform.tenants.models import SpareSchema

    fingerprint = schemas.migration_fingerprint()
    template = schemas.template_schema()

    def comment_template(text: str) -> None:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'COMMENT ON SCHEMA "{template}" IS %s', [text])

    connection.set_schema_to_public()
    if not schemas.template_is_current():
        raise RuntimeError("the template schema is not current after migrate_schemas")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [template])
        tables = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_namespace")
        schemas_before = cursor.fetchone()[0]

    clock = ProvisioningClock()
    samples: dict[str, list] = {method: [] for method in METHODS}
    try:
        for round_index in range(-warmup, runs):
            for method in METHODS:
                suffix = f"w{-round_index}" if round_index < 0 else f"{round_index:02d}"
                slug = f"prov-{method}-{suffix}"
                # Each run on a new connection, as a worker's first task after a reconnect:
                # django-tenants' clone_schema re-creates its SQL function on every call, and a
                # session that did so many times clones ever slower (see the README).
                connection.close()
                connection.set_schema_to_public()
                # The state the method needs (not timed).
                if method == "spare":
                    schemas.spares_replenish(target=1)
                elif SpareSchema.objects.exists():
                    raise RuntimeError("a spare is left over; the clone/migrate runs need none")
                if method == "migrate":
                    comment_template("stale")  # schema_create falls through to migrate
                clock.reset()
                try:
                    started = time.perf_counter()
                    tenant = services.tenant_create_now(
                        name=f"Provisioning {method} {suffix}",
                        slug=slug,
                        admin_username="admin",
                        admin_email=f"admin@{slug}.example.com",
                        admin_password=ADMIN_PASSWORD,
                        apps=APPS,
                    )
                    total = time.perf_counter() - started
                finally:
                    if method == "migrate":
                        comment_template(fingerprint)
                sample = clock.sample(total)
                if tenant.status != "active" or sample["how"] != method:
                    raise RuntimeError(
                        f"{slug}: status {tenant.status}, schema made by {sample['how']} "
                        f"(expected active, {method}): {tenant.status_reason}"
                    )
                if round_index >= 0:
                    samples[method].append(sample)
            log(f"provisioning round {round_index + 1}/{runs} done")
    finally:
        clock.restore()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace")
        schemas_after = cursor.fetchone()[0]
    return {
        "schemas_in_database": [schemas_before, schemas_after],
        "apps": APPS,
        "tenant_apps": list(settings.TENANT_APPS),
        "template_tables": tables,
        "tenant_migrations": len(schemas.expected_migrations(tuple(settings.TENANT_APPS))),
        "warmup_rounds": warmup,
        "samples": samples,
        "licensed_slug": "prov-spare-00",
    }


def licence_costs(app, slug: str) -> dict:
    """µs per call of the cached licence check, and LicenseMiddleware's cost per request."""
    import profile_api
    import whatif
    from django.db import connection

    from apps.platform.licensing.entitlements import _from_database, entitlements_for
    from apps.platform.licensing.guards import ensure_app
    from apps.platform.tenants.routing import tenancy_cache, tenant_for_host

    host = f"{slug}.localhost"
    tenant = tenant_for_host(host)
    schema = tenant.schema_name
    connection.set_tenant(tenant)
    if not all(entitlements_for(schema).has_app(key) for key in APPS):
        raise RuntimeError(f"{slug} is not licensed for {APPS}: {entitlements_for(schema)}")

    def us(call, count=20000):
        for _ in range(200):
            call()
        return profile_api.per_request_us(call, count)[0]

    calls = {
        "entitlements_for, unpinned (its Redis GET of the generation)": us(
            lambda: entitlements_for(schema)
        ),
        "ensure_app('isp'), unpinned": us(lambda: ensure_app("isp")),
    }
    with tenancy_cache.pinned():
        calls["entitlements_for, pinned generation"] = us(lambda: entitlements_for(schema))
        calls["ensure_app('isp'), pinned generation (as in a request)"] = us(
            lambda: ensure_app("isp")
        )

    def pin():
        with tenancy_cache.pinned():
            pass

    calls["pinned() itself: one Redis GET, paid once per request by routing"] = us(pin, 5000)
    calls["uncached load from PostgreSQL (_from_database)"] = us(
        lambda: _from_database(schema), 500
    )
    connection.set_schema_to_public()

    # Django logs every 404 at WARNING: not what is measured here.
    logging.getLogger("django.request").setLevel(logging.ERROR)

    # LicenseMiddleware on a real in-process request. The isp module is not installed yet, so
    # /api/v1/isp/ passes the licence check and the API fallback answers 404; a tenant without
    # the app gets 403 APP_NOT_SUBSCRIBED (proof that the check runs).
    path = "/api/v1/isp/"

    def call():
        return profile_api.wsgi_call(app, path, host=host)[0]

    refused = profile_api.wsgi_call(app, path, host=TENANT_HOST)
    if call() != 404 or refused[0] != 403 or b"APP_NOT_SUBSCRIBED" not in refused[1]:
        raise RuntimeError(f"unexpected answers: {call()} (licensed), {refused} (unlicensed)")

    def without():
        return whatif.middleware_changed(app, remove=("LicenseMiddleware",))

    with without():
        if call() != 404:
            raise RuntimeError("the request fails without LicenseMiddleware")
    for _ in range(300):
        call()
    batch, with_mw, without_mw = 300, [], []
    for _ in range(15):  # alternating batches, each side keeps its best (as profile_api.py)
        with_mw.append(profile_api.batch_us(call, batch))
        with without():
            for _ in range(20):
                call()
            without_mw.append(profile_api.batch_us(call, batch))
    (with_wall, with_cpu), (without_wall, without_cpu) = (
        profile_api.best(with_mw),
        profile_api.best(without_mw),
    )
    return {
        "slug": slug,
        "calls_us": calls,
        "middleware": {
            "path": path,
            "host": host,
            "with_us": with_wall,
            "without_us": without_wall,
            "cost_us": with_wall - without_wall,
            "cost_cpu_us": with_cpu - without_cpu,
        },
    }


def template_ddl(template: str) -> str | None:
    """The template schema as SQL (pg_dump: tables, sequences, indexes, constraints, rows), with
    `{schema}` where its name goes; None when pg_dump is not installed."""
    import shutil as _shutil

    from django.conf import settings

    pg_dump = _shutil.which("pg_dump")
    if pg_dump is None:
        return None
    db = settings.DATABASES["default"]
    command = [pg_dump, "--schema", template, "--no-owner", "--no-privileges", "--inserts",
               "--rows-per-insert", "1000", "--host", db["HOST"] or "127.0.0.1",
               "--port", str(db["PORT"] or 5432), "--username", db["USER"], db["NAME"]]  # fmt: skip
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.run(command, capture_output=True, text=True, env=env)
    if dump.returncode != 0:
        log(f"pg_dump failed ({dump.stderr.strip()[:300]}); cloning with clone_schema instead")
        return None
    lines = []
    for line in dump.stdout.splitlines():
        # Session settings, psql meta-commands and the template's fingerprint comment stay out.
        if line.startswith(("\\", "SET ", "SELECT pg_catalog.set_config", "COMMENT ON SCHEMA")):
            continue
        lines.append(line)
    ddl = "\n".join(lines)
    if f"CREATE SCHEMA {template};" not in ddl:
        return None
    return ddl.replace(f"CREATE SCHEMA {template};", "CREATE SCHEMA {schema};").replace(
        f"{template}.", "{schema}."
    )


def populate(total: int) -> dict:
    """Tenants up to `total`, each a copy of the template schema (tables, indexes, constraints,
    and its rows: django_migrations, content types, permissions) with active Tenant and Domain
    rows, as provisioning leaves them (without the per-tenant admin user and trials).

    The copies replay the template's pg_dump (about 30 ms each, whatever the tenant count);
    django-tenants' clone_schema grows slower with every schema in the database (see the
    at-scale figures), which would make 200 clones take minutes. Without pg_dump, clone_schema.
    Then, at this tenant count, one spare is cloned, one renamed, and one schema migrated.
    """
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django_tenants.clone import CloneSchema

    from apps.platform.tenants import schemas
    from apps.platform.tenants.models import Domain, SpareSchema, Tenant
    from apps.platform.tenants.models.tenants import schema_name_for
    from apps.platform.tenants.routing import tenancy_cache
    from apps.platform.tenants.services import tenant_host

    connection.set_schema_to_public()
    template = schemas.template_schema()
    existing = Tenant.objects.exclude(schema_name="public").count()
    needed = max(0, total - existing)
    started = time.perf_counter()
    ddl = template_ddl(template) if needed else None
    cloner = CloneSchema()
    tenants = []
    with psycopg.connect(os.environ["DATABASE_URL"]) as db:
        for index in range(needed):
            slug = f"mig-{index:04d}"
            schema = schema_name_for(slug)
            if ddl is not None:
                with db.transaction():
                    db.execute(ddl.replace("{schema}", schema).encode())
            else:
                cloner.clone_schema(template, schema, "DATA", set_connection=True)
                connection.set_schema_to_public()
            tenants.append(Tenant(name=f"Migrate {index}", slug=slug, schema_name=schema,
                                  status="active", provisioned_at=datetime.now(UTC)))  # fmt: skip
            if (index + 1) % 50 == 0:
                log(f"created {index + 1}/{needed} tenant schemas")
    Tenant.objects.bulk_create(tenants)
    Domain.objects.bulk_create(
        Domain(domain=tenant_host(t.slug), tenant=t, is_primary=True) for t in tenants
    )
    tenancy_cache.invalidate()
    seconds = time.perf_counter() - started
    names = list(Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    behind = schemas.schemas_behind(names, settings.TENANT_APPS)
    if behind:
        raise RuntimeError(f"{len(behind)} tenant schemas are not fully migrated: {behind[:5]}")
    if ddl is not None:  # the copy is the template's: same tables, indexes and constraints
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n.nspname, (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid),"
                " (SELECT count(*) FROM pg_constraint k WHERE k.connamespace = n.oid)"
                " FROM pg_namespace n WHERE n.nspname IN (%s, %s)",
                [template, names[-1]],
            )
            shapes = {row[0]: row[1:] for row in cursor.fetchall()}
        if len(set(shapes.values())) != 1:
            raise RuntimeError(f"the copies differ from the template: {shapes}")

    # At this tenant count: clone one spare (what the background replenisher does), rename a
    # spare (what a new tenant gets), migrate an empty schema (the fallback, as schema_create
    # runs it: the pool may hold spares, which schema_create would take first). Not kept.
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace")
        at_scale = {"schemas_in_database": cursor.fetchone()[0]}
    clones, renames = [], []
    for _ in range(3):
        step = time.perf_counter()
        schemas.spares_replenish(target=SpareSchema.objects.count() + 1)
        clones.append(time.perf_counter() - step)
    for index in range(3):
        step = time.perf_counter()
        how = schemas.schema_create(f"scale_probe_spare_{index}")
        renames.append(time.perf_counter() - step)
        if how != "spare":
            raise RuntimeError(f"schema made by {how}, not a spare")
    at_scale["clone_one_spare_s"] = stats(clones)["median"]
    at_scale["clone_one_spare_each_s"] = clones
    at_scale["spare_rename_s"] = stats(renames)["median"]
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "scale_probe_migrate"')
    call_command("migrate_schemas", schema_name="scale_probe_migrate", tenant=True,
                 interactive=False, verbosity=0)  # fmt: skip
    connection.set_schema_to_public()
    at_scale["plain_migration_s"] = time.perf_counter() - step
    for name in ("scale_probe_spare_0", "scale_probe_spare_1", "scale_probe_spare_2",
                 "scale_probe_migrate"):  # fmt: skip
        schemas.drop_schema(name)
    return {
        "tenants": len(names),
        "created": needed,
        "method": "pg_dump replay" if ddl is not None else "clone_schema",
        "seconds": seconds,
        "at_scale": at_scale,
    }


def inner(args) -> int:
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # as under gunicorn's config
    try:
        from dotmac.wsgi import application  # django.setup()

        result = {}
        if args.inner == "provision":
            result["provisioning"] = provision_runs(args.runs)
            result["licence"] = licence_costs(application, result["provisioning"]["licensed_slug"])
        elif args.inner == "populate":
            result["populate"] = populate(args.tenants)
        Path(args.json_out).write_text(json.dumps(result))
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def run_inner(env: dict, phase: str, *extra: str) -> dict:
    with tempfile.NamedTemporaryFile(prefix=f"bench-{phase}-", suffix=".json") as out:
        command = [sys.executable, __file__, "--inner", phase, "--json-out", out.name, *extra]
        subprocess.run(command, cwd=benchlib.BASE_DIR, env=env, check=True)
        return json.loads(Path(out.name).read_text())


# === End to end: gunicorn + Celery worker ======================================================


class CeleryWorker:
    """`celery -A dotmac worker --pool solo` with celery_probe.py loaded; SIGTERM on exit."""

    def __init__(self, env: dict, probe_file: Path):
        self.probe_file = probe_file
        self.env = {
            **env,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(benchlib.BENCH_DIR), env.get("PYTHONPATH")])
            ),
            "BENCH_PROBE_FILE": str(probe_file),
        }
        self.command = [
            sys.executable, "-m", "celery", "-A", "dotmac", "worker", "--pool", "solo",
            "-l", "WARNING", "-I", "celery_probe", "-n", f"bench-provisioning-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--purge",
        ]  # fmt: skip
        self.process = None
        self.log = tempfile.NamedTemporaryFile(prefix="bench-celery-", suffix=".log")  # noqa: SIM115

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def events(self) -> list[dict]:
        if not self.probe_file.exists():
            return []
        return [json.loads(line) for line in self.probe_file.read_text().splitlines() if line]

    def idle(self) -> bool:
        events = self.events()
        received = sum(1 for e in events if e["event"] == "received")
        return received == sum(1 for e in events if e["event"] == "postrun")

    def __enter__(self):
        self.process = subprocess.Popen(
            self.command,
            cwd=benchlib.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the Celery worker exited:\n{self.output()}")
                if any(e["event"] == "worker_ready" for e in self.events()):
                    return self
                time.sleep(0.1)
            raise RuntimeError(f"the Celery worker did not get ready:\n{self.output()}")
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        self.log.close()


def create_api_key(env: dict) -> str:
    output = benchlib.manage(
        "shell",
        "-c",
        "from rest_framework_api_key.models import APIKey\n"
        "print('APIKEY=' + APIKey.objects.create_key(name='bench')[1])",
        env=env,
    )
    return re.search(r"APIKEY=(\S+)", output).group(1)


def wait_ready_for_next(db, broker, worker: CeleryWorker, target: int, timeout=120.0) -> float:
    """Until the spare pool holds `target` again, the queue is empty and the worker idle."""
    started = time.perf_counter()
    while True:
        spares = db.execute("SELECT count(*) FROM tenants_spareschema").fetchone()[0]
        if spares >= target and broker.llen("celery") == 0 and worker.idle():
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"the spare pool stays at {spares} (< {target}):\n{worker.output()}")
        time.sleep(0.02)


def poll_host(url: str, host: str, timeout: float = 60.0) -> tuple[float, int]:
    """perf_counter() of the first 200 of GET /login/ (the tenant's sign-in page) on `host`,
    polled every 10 ms; and the polls.

    Until the tenant is live its host answers 404; any other answer stops the run."""
    polls, next_at = 0, time.perf_counter()
    deadline = next_at + timeout
    status = None
    while True:
        with contextlib.suppress(OSError):
            status, body = http(f"{url}/login/", host=host, timeout=5)
            polls += 1
            if status == 200:
                return time.perf_counter(), polls
            if status != 404:
                raise RuntimeError(f"GET /login/ on {host} answered {status}: {body[:300]!r}")
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{host} did not answer 200 within {timeout:.0f} s ({status})")
        next_at += POLL_INTERVAL_S
        time.sleep(max(0.0, next_at - time.perf_counter()))


def end_to_end(env: dict, args, broker_url: str, database_url: str) -> dict:
    e2e_env = {
        **env,
        "SPARE_SCHEMAS": str(args.spares),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "WEB_CONCURRENCY": str(args.workers),
    }
    # With DEBUG off, the tenant home page needs collected static files (the manifest), as in
    # a production image: collected into the run's temporary STATIC_ROOT.
    log("collectstatic into a temporary STATIC_ROOT")
    benchlib.manage("collectstatic", "--noinput", env=e2e_env)
    return _end_to_end(e2e_env, args, broker_url, database_url)


def _end_to_end(e2e_env: dict, args, broker_url: str, database_url: str) -> dict:
    import psycopg
    import redis

    log(f"filling the spare pool ({args.spares}) and creating an API key")
    benchlib.manage(
        "shell",
        "-c",
        "from apps.platform.tenants.schemas import spares_replenish; spares_replenish()",
        env=e2e_env,
    )
    key = create_api_key(e2e_env)
    headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"}
    probe_file = Path(tempfile.mkdtemp(prefix="bench-probe-")) / "events.jsonl"
    broker = redis.Redis.from_url(broker_url)
    worker = CeleryWorker(e2e_env, probe_file)
    runs = []
    try:
        with (
            psycopg.connect(database_url, autocommit=True) as db,
            worker,
            benchlib.Gunicorn("tenant", "dotmac.wsgi", e2e_env) as server,
        ):
            log(f"gunicorn ({args.workers} workers) and the Celery worker are up")
            api = f"{server.url}/api/v1/platform/tenants/"
            for index in range(-args.e2e_warmup, args.runs):
                slug = f"e2e-w{-index}" if index < 0 else f"e2e-{index:02d}"
                waited = wait_ready_for_next(db, broker, worker, args.spares)
                body = json.dumps(
                    {"name": f"End to end {slug}", "slug": slug,
                     "admin_email": f"admin@{slug}.example.com",
                     "admin_password": ADMIN_PASSWORD, "apps": APPS}
                ).encode()  # fmt: skip
                t0_wall, t0 = time.time(), time.perf_counter()
                status, data = http(api, host="localhost", method="POST", body=body,
                                    headers=headers, timeout=30)  # fmt: skip
                t_post = time.perf_counter()
                if status != 202:
                    raise RuntimeError(f"POST {api} answered {status}: {data[:500]!r}")
                tenant_id = int(json.loads(data)["data"]["id"])
                try:
                    t_host, polls = poll_host(server.url, f"{slug}.localhost")
                except (TimeoutError, RuntimeError):
                    row = db.execute(
                        "SELECT status, status_reason FROM tenants_tenant WHERE id = %s",
                        [tenant_id],
                    ).fetchone()
                    log(f"{slug}: tenant row {row}; worker log:\n{worker.output()}")
                    raise
                status, data = http(f"{api}{tenant_id}/", host="localhost", headers=headers)
                attributes = json.loads(data)["data"]["attributes"]
                if attributes["status"] != "active" or len(attributes["apps"]) != len(APPS):
                    raise RuntimeError(f"{slug}: {attributes}")
                created, provisioned = db.execute(
                    "SELECT extract(epoch FROM created_at), extract(epoch FROM provisioned_at) "
                    "FROM tenants_tenant WHERE id = %s",
                    [tenant_id],
                ).fetchone()
                run = {
                    "slug": slug,
                    "tenant_id": tenant_id,
                    "warmup": index < 0,
                    "seconds": t_host - t0,
                    "polls": polls,
                    "waited_for_pool_s": waited,
                    "t0": t0_wall,
                    "post_answered": t0_wall + (t_post - t0),
                    "row_created": float(created),
                    "active_committed": float(provisioned),
                    "host_answered": t0_wall + (t_host - t0),
                }
                runs.append(run)
                log(f"{slug}: {run['seconds'] * 1e3:.0f} ms, {polls} polls")
            wait_ready_for_next(db, broker, worker, args.spares)
            events = worker.events()
    finally:
        # Celery's result keys of this run (the broker database holds nothing else of ours).
        with contextlib.suppress(Exception):
            ids = {e["task_id"] for e in worker.events() if e.get("task_id")}
            if ids:
                broker.delete(*(f"celery-task-meta-{task_id}" for task_id in ids))
        shutil.rmtree(probe_file.parent, ignore_errors=True)
    return {
        "settings": {
            "spares": args.spares,
            "gunicorn_workers": args.workers,
            "celery": "solo pool, 1 process",
            "poll_interval_ms": POLL_INTERVAL_S * 1e3,
            "warmup": args.e2e_warmup,
        },
        "runs": [timeline(run, events) for run in runs],
        "replenish_ms": task_durations_ms(events, "tenants.replenish_spares"),
    }


def task_durations_ms(events: list[dict], task: str) -> list[float]:
    """prerun → postrun of each run of `task`, in the order they ran."""
    started = {e["task_id"]: e["t"] for e in events if e["event"] == "prerun" and e["task"] == task}
    return [
        (e["t"] - started[e["task_id"]]) * 1e3
        for e in events
        if e["event"] == "postrun" and e["task"] == task and e["task_id"] in started
    ]


TIMELINE = [
    ("post_answered", "POST answered 202"),
    ("row_created", "tenant row saved (in the POST)"),
    ("received", "task received by the worker"),
    ("prerun", "task started"),
    ("after_schema", "schema step done (spare renamed)"),
    ("after_initialisers", "initialisers done (super admin)"),
    ("after_subscriptions", "subscriptions done (4 trials)"),
    ("after_domain", "domain done"),
    ("active_committed", "status active saved"),
    ("postrun", "task finished"),
    ("host_answered", "host answered 200"),
]


def timeline(run: dict, events: list[dict]) -> dict:
    """Milliseconds from the POST's start to each point, from the probe's events."""
    points = {key: run[key] for key in ("post_answered", "row_created", "active_committed")}
    points["host_answered"] = run["host_answered"]
    for event in events:
        if event.get("arg") != run["tenant_id"]:
            continue
        if event["event"] in ("received", "prerun", "postrun"):
            if event.get("task") == "tenants.provision":
                points.setdefault(event["event"], event["t"])
        elif event["event"] == "step":
            points.setdefault(f"after_{event['step']}", event["t"])
    schema_events = [
        e for e in events if e["event"] == "schema_create" and e["schema"] == run["slug"].replace(
            "-", "_")
    ]  # fmt: skip
    return {
        **run,
        "how": schema_events[0]["how"] if schema_events else None,
        "schema_create_ms": schema_events[0]["seconds"] * 1e3 if schema_events else None,
        "timeline_ms": {key: (t - run["t0"]) * 1e3 for key, t in points.items()},
    }


# === migrate_schemas over many tenants =========================================================


def timed_manage(env: dict, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    output = benchlib.manage(*args, env=env)
    return time.perf_counter() - started, output


def migrate_many(env: dict, args) -> dict:
    log(f"creating tenants up to {args.tenants} (template clones)")
    populated = run_inner(env, "populate", "--tenants", str(args.tenants))["populate"]
    log(
        f"{populated['created']} tenants created in {populated['seconds']:.1f} s "
        f"({populated['method']})"
    )
    count = populated["tenants"]
    startup = [timed_manage(env, "version")[0] for _ in range(3)]
    result = {"populate": populated, "tenants": count, "startup_s": stats(startup), "runs": {}}
    commands = {
        "fast": ("migrate_schemas", "--noinput", "--executor", "standard"),
        "full": ("migrate_schemas", "--noinput", "--executor", "standard", "--full"),
        "full_parallel": ("migrate_schemas", "--noinput", "--executor", "multiprocessing",
                          "--full"),
    }  # fmt: skip
    repeats = {"fast": 3, "full": 1, "full_parallel": 1}
    for name, command in commands.items():
        if name == "full_parallel" and args.skip_parallel:
            continue
        times = []
        for _ in range(repeats[name]):
            log(f"manage.py {' '.join(command)} over {count} tenants")
            seconds, output = timed_manage(env, *command)
            if "Applying " in output:
                raise RuntimeError(f"{name}: migrations were applied:\n{output[-3000:]}")
            if name == "fast" and f"{count} of {count} tenant schemas up to date" not in output:
                raise RuntimeError(f"fast migrate_schemas did not skip every tenant:\n{output}")
            times.append(seconds)
        result["runs"][name] = {
            "command": "manage.py " + " ".join(command),
            "wall_s": stats(times),
            "per_tenant_ms": times[0] / count * 1e3 if count else None,
            "per_tenant_ms_median": stats(times)["median"] / count * 1e3 if count else None,
            "output_tail": output[-600:],
        }
    return result


# === Report ===================================================================================


def ms(seconds) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.0f}"


def print_report(results: dict, args) -> None:
    print()
    machine = results["machine"]
    print(
        f"machine: {machine['cpus']} CPUs, Python {machine['python']}, load average before "
        f"{machine['load_average_before']}"
    )
    prov = results["provisioning"]
    print(
        f"\n1. One tenant in process: tenant_create_now() (request + provisioning), apps "
        f"{', '.join(APPS)}; {args.runs} runs per method after {prov['warmup_rounds']} warm-up "
        f"round, rounds interleaved"
    )
    print(
        f"   tenant schema: {prov['template_tables']} tables, {prov['tenant_migrations']} "
        f"migrations of TENANT_APPS ({len(prov['tenant_apps'])} apps); schemas in the "
        f"database: {prov['schemas_in_database'][0]} before, {prov['schemas_in_database'][1]} "
        f"after"
    )
    print(
        f"   {'method':<16} {'median ms':>9} {'p90':>6} {'min':>6} {'max':>6} | "
        f"{'schema_create() median':>22} {'p90':>6}"
    )
    for method in METHODS:
        samples = prov["samples"][method]
        total = stats(s["total"] for s in samples)
        schema = stats(s["schema_create"] for s in samples)
        print(
            f"   {METHOD_LABELS[method]:<16} {ms(total['median']):>9} {ms(total['p90']):>6} "
            f"{ms(total['min']):>6} {ms(total['max']):>6} | {ms(schema['median']):>22} "
            f"{ms(schema['p90']):>6}"
        )
    parts = [
        ("request", "request"),
        ("password_hash", "of it: hash"),
        ("schema_step", "schema step"),
        ("initialisers", "initialisers"),
        ("subscriptions", "subscriptions"),
        ("domain", "domain"),
        ("activate", "activate"),
    ]
    print("   median ms of each part (the schema step includes lock, status save, step save):")
    print("   " + f"{'method':<16}" + "".join(f"{label:>14}" for _, label in parts))
    for method in METHODS:
        samples = prov["samples"][method]
        cells = [f"{stats(s[key] for s in samples)['median'] * 1e3:>14.1f}" for key, _ in parts]
        print(f"   {METHOD_LABELS[method]:<16}" + "".join(cells))

    e2e = results.get("end_to_end")
    if e2e:
        measured = [run for run in e2e["runs"] if not run["warmup"]]
        total = stats(run["seconds"] for run in measured)
        settings = e2e["settings"]
        print(
            f"\n2. End to end with the spare pool (SPARE_SCHEMAS={settings['spares']}; gunicorn "
            f"{settings['gunicorn_workers']} sync workers, Celery {settings['celery']}): "
            f"POST /api/v1/platform/tenants/ -> GET /login/ on <slug>.localhost answers 200, "
            f"polled every {settings['poll_interval_ms']:.0f} ms; {len(measured)} tenants after "
            f"{settings['warmup']} warm-up"
        )
        print(
            f"   median {ms(total['median'])} ms, p90 {ms(total['p90'])} ms, min "
            f"{ms(total['min'])} ms, max {ms(total['max'])} ms; schema made by "
            f"{sorted({run['how'] for run in measured})}"
        )
        print("   timeline, ms after the POST started (median, p90):")
        for key, label in TIMELINE:
            values = [run["timeline_ms"][key] for run in measured if key in run["timeline_ms"]]
            if values:
                s = stats(values)
                print(f"   {label:<36} {s['median']:>7.0f} {s['p90']:>7.0f}")
        created = [r["schema_create_ms"] for r in measured if r.get("schema_create_ms") is not None]
        if created:
            print(
                f"   of the schema step, schema_create() (spare renamed): median "
                f"{stats(created)['median']:.1f} ms"
            )
        replenish = e2e.get("replenish_ms") or []
        if replenish:
            print(
                f"   background replenish_spares after each tenant (one clone each, same worker "
                f"connection): first {replenish[0]:.0f} ms, last {replenish[-1]:.0f} ms "
                f"({len(replenish)} runs); pool refilled before each POST"
            )

    mig = results.get("migrate")
    if mig:
        print(
            f"\n3. migrate_schemas with nothing to apply over {mig['tenants']} tenants "
            f"(each a whole manage.py process, wall time; start-up alone "
            f"[manage.py version]: {mig['startup_s']['median']:.2f} s)"
        )
        labels = {
            "fast": "ours (skips up-to-date)",
            "full": "--full (stock)",
            "full_parallel": "--full, multiprocessing",
        }
        populated, scale = mig["populate"], mig["populate"]["at_scale"]
        print(
            f"   tenants: {populated['created']} created in {populated['seconds']:.1f} s "
            f"({populated['method']} of the template, with Tenant and Domain rows); at "
            f"{scale['schemas_in_database']} schemas in the database: a spare cloned in "
            f"{scale['clone_one_spare_s']:.2f} s (median of 3, spares_replenish), renamed in "
            f"{scale['spare_rename_s'] * 1e3:.0f} ms, one plain migration "
            f"{scale['plain_migration_s']:.2f} s"
        )
        print(f"   {'command':<26} {'wall s':>8} {'runs':>5} {'per tenant ms':>14}")
        for name, run in mig["runs"].items():
            wall = run["wall_s"]
            print(
                f"   {labels[name]:<26} {wall['median']:>8.2f} {wall['n']:>5} "
                f"{run['per_tenant_ms_median']:>14.1f}"
            )

    lic = results["licence"]
    print("\n4. Licence check with a warm cache (µs per call, best of 5 batches)")
    for label, value in lic["calls_us"].items():
        print(f"   {value:>9.2f}  {label}")
    mw = lic["middleware"]
    print(
        f"   LicenseMiddleware on GET {mw['path']} ({mw['host']}, in process): "
        f"{mw['with_us']:.0f} µs with, {mw['without_us']:.0f} µs without -> "
        f"{mw['cost_us']:.1f} µs per request (CPU {mw['cost_cpu_us']:.1f} µs)"
    )

    print("\nSummary")
    width = max(len(row["label"]) for row in results["summary"])
    print(f"   {'measurement':<{width}} {'median':>10} {'goal':>10}  result")
    for row in results["summary"]:
        print(f"   {row['label']:<{width}} {row['value']:>10} {row['goal']:>10}  {row['result']}")
    print(f"result: {results['json_path']}")


def summarise(results: dict) -> list[dict]:
    rows = []
    for method in METHODS:
        samples = results["provisioning"]["samples"][method]
        median = stats(s["total"] for s in samples)["median"]
        rows.append(
            {"label": f"in-process provisioning, {METHOD_LABELS[method]}",
             "value": f"{median * 1e3:.0f} ms", "goal": "-", "result": "(info)"}
        )  # fmt: skip
    e2e = results.get("end_to_end")
    if e2e:
        median = stats(r["seconds"] for r in e2e["runs"] if not r["warmup"])["median"]
        rows.append(
            {"label": "API call -> tenant answers on its host (spare pool)",
             "value": f"{median:.3f} s", "goal": f"< {GOAL_E2E_S} s",
             "result": "MET" if median < GOAL_E2E_S else "NOT MET"}
        )  # fmt: skip
    mig = results.get("migrate")
    if mig:
        for name, run in mig["runs"].items():
            median = run["wall_s"]["median"]
            fast = name == "fast"
            rows.append(
                {"label": f"migrate_schemas{' --full' if not fast else ''} "
                          f"{'(multiprocessing) ' if name == 'full_parallel' else ''}"
                          f"over {mig['tenants']} tenants",
                 "value": f"{median:.2f} s", "goal": f"< {GOAL_MIGRATE_S:.0f} s" if fast else "-",
                 "result": ("MET" if median < GOAL_MIGRATE_S else "NOT MET") if fast else "(info)"}
            )  # fmt: skip
    lic = results["licence"]
    pinned = next(v for k, v in lic["calls_us"].items() if k.startswith("ensure_app('isp'), pin"))
    cost_ms = max(lic["middleware"]["cost_us"], pinned) / 1e3
    rows.append(
        {"label": "licence check per request (cached)",
         "value": f"{cost_ms * 1e3:.1f} µs", "goal": f"< {GOAL_LICENCE_MS:.0f} ms",
         "result": "MET" if cost_ms < GOAL_LICENCE_MS else "NOT MET"}
    )  # fmt: skip
    return rows


# === Main =====================================================================================


def load_average() -> float | None:
    with contextlib.suppress(OSError, AttributeError):
        return round(os.getloadavg()[0], 2)
    return None


def main(argv=None) -> int:
    cpus = multiprocessing.cpu_count()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per method (10)")
    parser.add_argument(
        "--tenants", type=int, default=200, help="tenants for the migrate_schemas test (200)"
    )
    parser.add_argument("--skip-e2e", action="store_true", help="no gunicorn/Celery measurement")
    parser.add_argument(
        "--skip-parallel",
        action="store_true",
        help="no `migrate_schemas --full --executor multiprocessing` run",
    )
    parser.add_argument("--keep", action="store_true", help="keep the dotmac_bench database")
    parser.add_argument("--spares", type=int, default=2, help="SPARE_SCHEMAS end to end (2)")
    parser.add_argument(
        "--workers", type=int, default=2 * cpus + 1, help="gunicorn workers end to end"
    )
    parser.add_argument("--e2e-warmup", type=int, default=2, help="untimed end-to-end tenants")
    parser.add_argument(
        "--broker-db", type=int, default=12, help="Redis database of Celery's broker (12)"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=benchlib.RESULTS_DIR / "provisioning.json",
        help="where to write the result",
    )
    parser.add_argument("--inner", choices=("provision", "populate"), help=argparse.SUPPRESS)
    parser.add_argument("--json-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        return inner(args)

    load = load_average()
    if load is not None and load > 0.5 * cpus:
        log(f"note: load average {load:.1f} before the run; other processes compete for the CPU")
    results: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": cpus,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": load,
        },
        "settings": {"runs": args.runs, "tenants": args.tenants, "apps": APPS},
    }
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    with benchlib.data_stores() as stores:
        log("resetting database dotmac_bench")
        database_url = benchlib.reset_database(stores["DATABASE_URL"])
        env = benchlib.app_env(database_url, stores["REDIS_URL"], STATIC_ROOT=static_root)
        try:
            benchlib.prepare_database(env)
            log(f"1 + 4: in-process provisioning ({args.runs} runs x {len(METHODS)} methods)")
            inner_result = run_inner(env, "provision", "--runs", str(args.runs))
            results.update(inner_result)
            if not args.skip_e2e:
                log("2: end to end (gunicorn + Celery worker)")
                broker_url = benchlib.with_redis_db(stores["REDIS_URL"], args.broker_db)
                results["end_to_end"] = end_to_end(env, args, broker_url, database_url)
            log(f"3: migrate_schemas over {args.tenants} tenants")
            results["migrate"] = migrate_many(env, args)
        finally:
            shutil.rmtree(static_root, ignore_errors=True)
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"])
                log("dropped database dotmac_bench")
    results["summary"] = summarise(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    results["json_path"] = str(args.json)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
