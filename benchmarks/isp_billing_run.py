"""The ISP billing run at scale: 100,000 active services over 10 tenants, invoiced by 2 Celery
worker processes, then the same run again (which must invoice nothing), side by side.

    python benchmarks/isp_billing_run.py [--tenants 10] [--services 10000] [--workers 2]
                                         [--reuse-db] [--keep]

1. Its own database, `dotmac_bench_isp` (reset first; --reuse-db keeps the tenants and
   services of a --keep run and only empties their invoices), migrated; --tenants tenants
   licensed for ISP, each with --services customers holding one active monthly service whose
   next period starts today (bulk-loaded: no service call per row, it is set-up, not measured).
2. --workers Celery worker processes (`celery -A dotmac worker --pool solo`, one process each)
   on a Redis database of their own (--broker-db, 11).
3. The beat task `isp.billing_runs_fan_out` is sent; it requests one BillingRun per tenant,
   each executed by a worker (apps/isp/services/runs.py). Timed from the send to the last run
   finished (BillingRun.finished_at); invoices per second = invoices / that time.
4. The same fan-out again: the second run's invoice count (must be 0) and time.

Goal (issue 5): the 100,000 invoices in under 2 minutes on a 2-core machine. Like the other
benchmarks it uses DATABASE_URL / REDIS_URL (or starts local ones), and drops its database at
the end unless --keep. Writes benchmarks/results/isp_billing_run.json.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import log  # noqa: E402

DATABASE = "dotmac_bench_isp"
GOAL_SECONDS = 120.0
SLUG = "isp-bench-{:02d}"


# === Inside Django (a subprocess with the benchmark's environment) =============================


def _setup():
    import django

    os.chdir(benchlib.BASE_DIR)
    django.setup()


def populate(tenants: int, services: int) -> dict:
    """The tenants, their plan, customers and services due today (bulk-loaded)."""
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from apps.isp.models import Customer, DocumentSequence, Service, ServicePlan, TaxClass
    from apps.platform.licensing.models import Subscription
    from apps.platform.licensing.services import subscription_activate
    from apps.platform.tenants.services import public_tenant_ensure, tenant_create_now

    today = timezone.localdate()
    billing_day = min(today.day, 28)
    public_tenant_ensure()
    loaded = {}
    for index in range(1, tenants + 1):
        started = time.monotonic()
        slug = SLUG.format(index)
        tenant = tenant_create_now(
            name=f"ISP bench {index}", slug=slug, admin_username="owner",
            admin_email=f"owner@{slug}.example.com", admin_password="bench-password-1",
            apps=["isp"],
        )  # fmt: skip
        for subscription in tenant.subscriptions.filter(status=Subscription.Status.TRIAL):
            subscription_activate(subscription=subscription, actor="bench")
        with schema_context(tenant.schema_name), transaction.atomic():
            existing = Service.objects.count()
            if existing:
                # --reuse-db: the same services, their invoices emptied, due again today.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "TRUNCATE isp_allocation, isp_creditnoteline, isp_creditnote, "
                        "isp_invoiceline, isp_dunningnotice, isp_invoice, isp_billingrun, "
                        "isp_timelineevent"
                    )
                DocumentSequence.objects.filter(key="invoice").update(next_number=1)
                Customer.objects.update(balance=0)
                Service.objects.update(billed_until=today - datetime.timedelta(days=1))
                loaded[slug] = {"services": existing, "seconds": time.monotonic() - started}
                continue
            plan = ServicePlan.objects.create(
                code="bench-fiber-300", name="Fiber 300", download_mbps=300, upload_mbps=50,
                price="44.99", setup_fee="0.00", billing_period="monthly",
                tax_class=TaxClass.objects.get(is_default=True),
            )  # fmt: skip
            customers = Customer.objects.bulk_create(
                [
                    Customer(
                        account_number=f"C{n:06d}",
                        name=f"Subscriber {n}",
                        email=f"subscriber{n}@{slug}.example.com",
                        status="active",
                        billing_day=billing_day,
                    )  # fmt: skip
                    for n in range(1, services + 1)
                ],
                batch_size=5000,
            )
            DocumentSequence.objects.update_or_create(
                key="customer", defaults={"next_number": services + 1}
            )
            Service.objects.bulk_create(
                [
                    Service(
                        customer_id=customer.pk,
                        plan=plan,
                        status="active",
                        activated_on=today - datetime.timedelta(days=40),
                        billed_until=today - datetime.timedelta(days=1),
                    )  # fmt: skip
                    for customer in customers
                ],
                batch_size=5000,
            )
        loaded[slug] = {"services": services, "seconds": time.monotonic() - started}
        print(f"  {slug}: {services} services in {loaded[slug]['seconds']:.1f} s", flush=True)
    return loaded


def send_fan_out() -> str:
    from dotmac.celery import app

    return app.send_task("isp.billing_runs_fan_out").id


def runs_state(tenants: int, since: float) -> dict:
    """The billing runs requested since `since` (epoch seconds) in every bench tenant."""
    import datetime

    from django_tenants.utils import schema_context

    from apps.isp.models import BillingRun

    after = datetime.datetime.fromtimestamp(since, tz=datetime.UTC)
    state = {}
    for index in range(1, tenants + 1):
        with schema_context(SLUG.format(index).replace("-", "_")):
            for run in BillingRun.objects.filter(created_at__gte=after):
                state[f"{index}:{run.pk}"] = {
                    "status": run.status,
                    "invoices": run.invoices_created,
                    "started": run.started_at.timestamp() if run.started_at else None,
                    "finished": run.finished_at.timestamp() if run.finished_at else None,
                    "errors": len(run.errors or []),
                }
    return state


def inner(argv) -> int:
    _setup()
    command, *rest = argv
    if command == "populate":
        result = populate(int(rest[0]), int(rest[1]))
    elif command == "fan-out":
        result = send_fan_out()
    elif command == "state":
        result = runs_state(int(rest[0]), float(rest[1]))
    else:
        raise SystemExit(f"unknown inner command {command}")
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def run_inner(env: dict, *args: str) -> object:
    completed = subprocess.run(
        [sys.executable, __file__, "--inner", *args],
        cwd=benchlib.BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
        print(line, file=sys.stderr)
    sys.stderr.write(completed.stderr[-4000:])
    raise RuntimeError(f"inner {args[0]} failed ({completed.returncode})")


# === Outside: the orchestration ================================================================


class Workers:
    """`--workers` Celery worker processes, each `--pool solo` (one task at a time)."""

    def __init__(self, env: dict, count: int):
        self.env, self.count, self.processes, self.logs = env, count, [], []

    def __enter__(self):
        for n in range(self.count):
            log_file = tempfile.NamedTemporaryFile(prefix=f"bench-isp-worker{n}-", suffix=".log")  # noqa: SIM115
            self.logs.append(log_file)
            self.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "dotmac",
                        "worker",
                        "--pool",
                        "solo",
                        "-l",
                        "WARNING",
                        "-n",
                        f"bench-isp-{n}-{os.getpid()}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                    ],
                    cwd=benchlib.BASE_DIR,
                    env=self.env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
        time.sleep(4)  # start-up: Django, the broker connection
        for process, log_file in zip(self.processes, self.logs, strict=True):
            if process.poll() is not None:
                raise RuntimeError(f"a worker exited:\n{Path(log_file.name).read_text()[-3000:]}")
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log_file in self.logs:
            log_file.close()


def billing_round(env: dict, tenants: int, timeout: float) -> dict:
    """Send the fan-out; wait until every tenant's run is finished; what they did."""
    sent = time.time()
    run_inner(env, "fan-out")
    deadline = time.monotonic() + timeout
    while True:
        state = run_inner(env, "state", str(tenants), str(sent - 1))
        finished = [run for run in state.values() if run["finished"]]
        if len(state) >= tenants and len(finished) == len(state):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"runs not finished after {timeout:.0f} s: {state}")
        time.sleep(1)
    last = max(run["finished"] for run in state.values())
    invoices = sum(run["invoices"] for run in state.values())
    seconds = last - sent
    runs = sorted(run["finished"] - run["started"] for run in state.values())
    return {
        "runs": len(state),
        "invoices": invoices,
        "errors": sum(run["errors"] for run in state.values()),
        "seconds": seconds,
        "invoices_per_second": invoices / seconds if seconds else None,
        "run_seconds": {"min": runs[0], "median": runs[len(runs) // 2], "max": runs[-1]},
        "statuses": sorted({run["status"] for run in state.values()}),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--services", type=int, default=10_000, help="per tenant")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--broker-db", type=int, default=11)
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)

    with benchlib.data_stores() as stores:
        database_url = (
            benchlib.existing_database(stores["DATABASE_URL"], DATABASE)
            if args.reuse_db
            else benchlib.reset_database(stores["DATABASE_URL"], DATABASE)
        )
        broker = benchlib.with_redis_db(stores["REDIS_URL"], args.broker_db)
        env = benchlib.app_env(
            database_url, stores["REDIS_URL"],
            CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=broker,
            CACHE_KEY_PREFIX="dotmac-bench-isp", SPARE_SCHEMAS="0",
        )  # fmt: skip
        try:
            started = time.monotonic()
            if not args.reuse_db:
                log("migrate_schemas ...")
                benchlib.manage("migrate_schemas", "--noinput", env=env)
            log(f"{args.tenants} tenants × {args.services:,} active services ...")
            run_inner(env, "populate", str(args.tenants), str(args.services))
            log(f"data ready in {time.monotonic() - started:.0f} s")
            with Workers(env, args.workers):
                log(f"{args.workers} Celery workers up; first run (fan-out) ...")
                first = billing_round(env, args.tenants, args.timeout)
                log("second run (fan-out again) ...")
                second = billing_round(env, args.tenants, args.timeout)
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"], DATABASE)

    results = {
        "tenants": args.tenants,
        "services": args.tenants * args.services,
        "workers": args.workers,
        "first": first,
        "second": second,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    benchlib.RESULTS_DIR.mkdir(exist_ok=True)
    (benchlib.RESULTS_DIR / "isp_billing_run.json").write_text(json.dumps(results, indent=2))
    print_report(results)
    return 0 if second["invoices"] == 0 and first["errors"] == 0 else 1


def print_report(results: dict) -> None:
    first, second = results["first"], results["second"]
    print()
    print(
        f"ISP billing run: {results['services']:,} active services over {results['tenants']} "
        f"tenants, {results['workers']} Celery workers (solo pool), {results['cpus']} CPUs"
    )
    print(f"{'':34}{'first run':>14}{'second run':>14}")
    print(f"{'invoices created':34}{first['invoices']:>14,}{second['invoices']:>14,}")
    wall = "wall time, fan-out → last run done"
    print(f"{wall:34}{first['seconds']:>13.1f}s{second['seconds']:>13.1f}s")
    rate = lambda r: f"{r['invoices_per_second']:,.0f}" if r["invoices"] else "—"  # noqa: E731
    print(f"{'invoices / second':34}{rate(first):>14}{rate(second):>14}")
    print(
        f"{'one tenant run (min/median/max)':34}"
        f"{'/'.join(f'{v:.1f}' for v in first['run_seconds'].values()):>14}"
        f"{'/'.join(f'{v:.1f}' for v in second['run_seconds'].values()):>14}"
    )
    print(f"{'errors':34}{first['errors']:>14}{second['errors']:>14}")
    goal = "met" if first["seconds"] < GOAL_SECONDS else "NOT met"
    nothing = "yes" if second["invoices"] == 0 else "NO"
    print(
        f"\nGoal: {results['services']:,} invoices in < {GOAL_SECONDS:.0f} s — {goal}; "
        f"second run invoices nothing — {nothing}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        sys.exit(inner(sys.argv[2:]))
    sys.exit(main())
