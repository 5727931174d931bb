"""The platform billing run at scale: 10,000 tenants × 3 subscriptions invoiced by 2 Celery
worker processes (one shard each), then the same run again (which must invoice nothing).

    python benchmarks/platform_billing.py [--tenants 10000] [--workers 2] [--quick] [--keep]

1. Its own database, `dotmac_bench_platform` (reset first), public schema only
   (`migrate_schemas --shared`). The platform's bill never enters a tenant's schema (a run
   reads subscriptions, prices and billed seats from public tables: apps/platform/billing/
   services/runs.py), so the tenants are rows of the public schema: --tenants tenants, each
   with an active CRM, E-commerce and Project Management subscription since two months ago
   and a billing account with a card (bulk-loaded: set-up, not measured).
2. --workers Celery worker processes (`--pool solo`, one process each) on a Redis database of
   their own (--broker-db, 12).
3. A BillingRun of this month with --workers shards is requested and one `billing.run_shard`
   task per shard sent (each bills the accounts with pk % shards == shard, in chunks of 250
   accounts, one transaction per chunk). Timed from the send to the run's `finished_at`.
4. Checks: one period invoice per tenant, one recurring line per subscription, gapless numbers.
5. The same again (a new BillingRun of the same period): it must create 0 invoices.

Goal (issue 15): the first run in under 60 s with 2 workers; the rerun creates 0. --quick:
1,000 tenants. Writes benchmarks/results/platform_billing.json.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import log  # noqa: E402
from isp_billing_run import Workers  # noqa: E402

DATABASE = "dotmac_bench_platform"
GOAL_SECONDS = 60.0
APPS = (("crm", "pro"), ("commerce", "basic"), ("projects", "basic"))


# === Inside Django (a subprocess with the benchmark's environment) =============================


def _setup():
    import django

    os.chdir(benchlib.BASE_DIR)
    django.setup()


def populate(tenants: int) -> dict:
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from apps.platform.billing.models import BillingAccount
    from apps.platform.catalog.models import Plan
    from apps.platform.licensing.models import Subscription
    from apps.platform.tenants.models import Tenant
    from apps.platform.tenants.services import public_tenant_ensure

    started = time.monotonic()
    public_tenant_ensure()
    since = timezone.now() - datetime.timedelta(days=62)
    plans = [Plan.objects.select_related("app").get(app__key=a, key=k) for a, k in APPS]
    with transaction.atomic():
        rows = Tenant.objects.bulk_create(
            [
                Tenant(
                    schema_name=f"bench_{n}",
                    slug=f"bench-{n}",
                    name=f"Bench {n}",
                    status=Tenant.Status.ACTIVE,
                )  # fmt: skip
                for n in range(tenants)
            ],
            batch_size=5000,
        )
        Subscription.objects.bulk_create(
            [
                Subscription(
                    tenant=t,
                    app=p.app,
                    plan=p,
                    status=Subscription.Status.ACTIVE,
                    current_period_start=since,
                )  # fmt: skip
                for t in rows
                for p in plans
            ],
            batch_size=5000,
        )
        BillingAccount.objects.bulk_create(
            [
                BillingAccount(
                    tenant=t,
                    email=f"billing@{t.slug}.example.com",
                    payment_token="4242424242424242",
                    card_last4="4242",
                )  # fmt: skip
                for t in rows
            ],
            batch_size=5000,
        )
    return {"tenants": tenants, "subscriptions": tenants * len(plans),
            "seconds": time.monotonic() - started}  # fmt: skip


def send_run(shards: int) -> int:
    from django.utils import timezone

    from apps.platform.billing.services import runs
    from dotmac.celery import app

    run = runs.run_request(period_start=timezone.localdate(), shards=shards)
    for shard in range(shards):
        app.send_task("billing.run_shard", args=[run.pk, shard, shards])
    return run.pk


def run_state(run_id: int) -> dict:
    from apps.platform.billing.models import BillingRun

    run = BillingRun.objects.get(pk=run_id)
    return {
        "status": run.status,
        "invoices": run.invoices_created,
        "shards_done": run.shards_done,
        "started": run.started_at.timestamp(),
        "finished": run.finished_at.timestamp() if run.finished_at else None,
    }


def check() -> dict:
    from django.db.models import Count, Max, Min

    from apps.platform.billing.models import Invoice, InvoiceLine

    invoices = Invoice.objects.filter(kind="period").aggregate(
        count=Count("id"), low=Min("number"), high=Max("number"),
        accounts=Count("account_id", distinct=True),
    )  # fmt: skip
    lines = InvoiceLine.objects.filter(kind="recurring").aggregate(
        count=Count("id"), subscriptions=Count("subscription_id", distinct=True)
    )
    gapless = bool(invoices["count"]) and (
        invoices["high"] - invoices["low"] + 1 == invoices["count"]
    )
    return {"invoices": invoices, "lines": lines, "gapless": gapless}


def inner(argv) -> int:
    _setup()
    command, *rest = argv
    if command == "populate":
        result = populate(int(rest[0]))
    elif command == "send":
        result = send_run(int(rest[0]))
    elif command == "state":
        result = run_state(int(rest[0]))
    elif command == "check":
        result = check()
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


def billing_round(env: dict, workers: int, timeout: float) -> dict:
    sent = time.time()
    run_id = run_inner(env, "send", str(workers))
    deadline = time.monotonic() + timeout
    while True:
        state = run_inner(env, "state", str(run_id))
        if state["finished"]:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"run not finished after {timeout:.0f} s: {state}")
        time.sleep(0.5)
    return {**state, "seconds": state["finished"] - sent,
            "run_seconds": state["finished"] - state["started"]}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--quick", action="store_true", help="1,000 tenants")
    parser.add_argument("--broker-db", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)
    tenants = 1_000 if args.quick else args.tenants
    if not 1 <= tenants <= 200_000 or not 1 <= args.workers <= 16:
        parser.error("--tenants 1..200000 and --workers 1..16")

    with benchlib.data_stores() as stores:
        database_url = benchlib.reset_database(stores["DATABASE_URL"], DATABASE)
        broker = benchlib.with_redis_db(stores["REDIS_URL"], args.broker_db)
        env = benchlib.app_env(
            database_url, stores["REDIS_URL"],
            CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=broker,
            CACHE_KEY_PREFIX="dotmac-bench-platform", SPARE_SCHEMAS="0",
        )  # fmt: skip
        try:
            log("migrate_schemas --shared ...")
            benchlib.manage("migrate_schemas", "--shared", "--noinput", env=env)
            log(f"{tenants:,} tenants × {len(APPS)} subscriptions (rows) ...")
            loaded = run_inner(env, "populate", str(tenants))
            log(f"data ready in {loaded['seconds']:.0f} s")
            with Workers(env, args.workers):
                log(f"{args.workers} Celery workers up; first run ...")
                first = billing_round(env, args.workers, args.timeout)
                checked = run_inner(env, "check")
                log("second run (the same period again) ...")
                second = billing_round(env, args.workers, args.timeout)
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"], DATABASE)

    results = {
        "tenants": tenants, "subscriptions": loaded["subscriptions"], "workers": args.workers,
        "first": first, "second": second, "check": checked, "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }  # fmt: skip
    benchlib.RESULTS_DIR.mkdir(exist_ok=True)
    (benchlib.RESULTS_DIR / "platform_billing.json").write_text(json.dumps(results, indent=2))
    print_report(results)
    ok = (second["invoices"] == 0 and checked["gapless"]
          and checked["invoices"]["accounts"] == tenants
          and checked["lines"]["subscriptions"] == loaded["subscriptions"])  # fmt: skip
    return 0 if ok else 1


def print_report(results: dict) -> None:
    first, second, checked = results["first"], results["second"], results["check"]
    print()
    print(f"Platform billing run: {results['tenants']:,} tenants × 3 subscriptions, "
          f"{results['workers']} Celery workers (solo pool), {results['cpus']} CPUs")  # fmt: skip
    print(f"{'':34}{'first run':>14}{'second run':>14}")
    print(f"{'invoices created':34}{first['invoices']:>14,}{second['invoices']:>14,}")
    print(f"{'wall time, send → run finished':34}{first['seconds']:>13.1f}s"
          f"{second['seconds']:>13.1f}s")  # fmt: skip
    print(f"{'run itself, requested → finished':34}{first['run_seconds']:>13.1f}s"
          f"{second['run_seconds']:>13.1f}s")  # fmt: skip
    rate = first["invoices"] / first["seconds"] if first["seconds"] else 0
    print(f"{'invoices / second':34}{rate:>14,.0f}{'—':>14}")
    print(f"{'recurring lines (subscriptions)':34}{checked['lines']['count']:>14,}")
    print(f"{'numbers gapless':34}{'yes' if checked['gapless'] else 'NO':>14}")
    goal = "met" if first["seconds"] < GOAL_SECONDS else "NOT met"
    nothing = "yes" if second["invoices"] == 0 else "NO"
    print(f"\nGoal: < {GOAL_SECONDS:.0f} s with 2 workers — {goal}; rerun creates 0 — {nothing}"
          f" (load average at the end {results['load_average']:.1f})")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        sys.exit(inner(sys.argv[2:]))
    sys.exit(main())
