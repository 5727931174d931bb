"""The ISP's staff ticket queue (`/isp/tickets/`) answers in a constant number of queries
whatever the number of tickets: rendered at 100, 10,000 and 100,000 tickets, the counts must be
equal; the page's time is reported at each size.

    python benchmarks/ticket_queue.py            # 100, 10,000 and 100,000 tickets
    python benchmarks/ticket_queue.py --quick    # 100, 1,000 and 10,000

A fresh database (dotmac_bench_tickets on DATABASE_URL's server, or the launcher's local
PostgreSQL) gets the `bench` tenant with the ISP app on its Pro plan (SLA policies), 200
customers, three teams and five agents. Tickets are added in bulk between the measurements
(random customer, team, assignee, status and priority; an SLA policy and due times), then, in
process (`manage.py shell`, DEBUG=0), the super admin opens the queue: once to warm up, then
`--repeat` times measured. Reported per size: the queries, the median and best wall time and
the CPU time of the rendering, and the same for a filtered view (`?status=open&priority=high`).
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import TENANT_HOST, log  # noqa: E402

DATABASE = "dotmac_bench_tickets"
SIZES = (100, 10_000, 100_000)
QUICK_SIZES = (100, 1_000, 10_000)

PROVISION = benchlib.PROVISION.replace("admin_password=", 'apps=["isp"], admin_password=')

QUEUE = """
import datetime, json, random, statistics, time
from django.conf import settings
# no collectstatic for a benchmark: plain static URLs instead of the manifest's hashed names
settings.STORAGES = {{**settings.STORAGES, "staticfiles": {{
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}}
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from apps.identity import services as identity
from apps.identity.models import Role, User
from apps.isp.models import Customer, SlaPolicy, SupportTeam, Ticket
from apps.isp.services.customers import customer_create
from apps.isp.services.support import team_create
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription

SIZES = {sizes}
REPEAT = {repeat}
licensing.subscription_change_plan(
    subscription=Subscription.objects.get(tenant__slug="bench", app__key="isp"),
    plan=Plan.objects.get(app__key="isp", key="pro"), actor="bench")
rng = random.Random(12)
with schema_context("bench"):
    admin = User.objects.get(username="bench")
    customers = [customer_create(name=f"Customer {{i}}", email=f"c{{i}}@example.com",
                                 actor="bench") for i in range(200)]
    agents = []
    for i in range(5):  # IT Managers: staff of the ISP app
        agents.append(identity.user_create(username=f"agent{{i}}", password="agent-password-1",
                                           email=f"agent{{i}}@example.com"))
        identity.role_grant(user=agents[-1], role=Role.objects.get(name="IT Manager"))
    teams = [team_create(name=name, members=agents, actor="bench")
             for name in ("First line", "NOC", "Billing")]
    policies = {{p: SlaPolicy.objects.create(name=p, priority=p, first_response_minutes=60,
                                             resolution_minutes=480)
                for p in ("urgent", "high", "normal", "low")}}
statuses = ["new", "open", "open", "waiting", "resolved"]

def add(n):
    now = timezone.now()
    rows = []
    for i in range(n):
        priority = rng.choice(list(policies))
        status = rng.choice(statuses)
        rows.append(Ticket(
            subject=f"Ticket {{i}}: internet drops", description="Bench ticket.",
            priority=priority, status=status, customer=rng.choice(customers),
            team=rng.choice(teams), assignee=rng.choice(agents + [None]),
            sla_policy=policies[priority],
            first_response_due_at=now + datetime.timedelta(hours=1),
            resolution_due_at=now + datetime.timedelta(hours=rng.randint(-8, 8)),
            resolved_at=now if status == "resolved" else None))
    with schema_context("bench"):
        Ticket.objects.bulk_create(rows, batch_size=5000)
        # the created_at index the queue orders by, fresh statistics as after autovacuum
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE isp_ticket")

client = Client(HTTP_HOST="{host}")
with schema_context("bench"):  # the session lives in the tenant's schema
    client.force_login(admin)

def measure(path):
    response = client.get(path)  # warm
    assert response.status_code == 200, response.status_code
    walls, cpus = [], []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
        assert response.status_code == 200, response.status_code
    return {{"queries": len(queries), "median_ms": round(statistics.median(walls) * 1000, 1),
             "best_ms": round(min(walls) * 1000, 1),
             "cpu_ms": round(statistics.median(cpus) * 1000, 1),
             "bytes": len(response.content)}}

result, total = [], 0
for size in SIZES:
    add(size - total)
    total = size
    with schema_context("bench"):
        assert Ticket.objects.count() == size
    result.append({{"tickets": size, "queue": measure("/isp/tickets/"),
                    "filtered": measure("/isp/tickets/?status=open&priority=high")}})
print(json.dumps(result))
"""


def last_json(output: str):
    return json.loads(output.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100, 1,000 and 10,000 tickets")
    parser.add_argument("--repeat", type=int, default=5, help="measured requests per size")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--json", default=str(benchlib.RESULTS_DIR / "ticket_queue.json"))
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 50:
        parser.error("--repeat 1..50")
    sizes = QUICK_SIZES if args.quick else SIZES

    with benchlib.data_stores() as stores:
        database_url = benchlib.reset_database(stores["DATABASE_URL"], DATABASE)
        try:
            env = benchlib.app_env(database_url, stores["REDIS_URL"])
            log("migrate_schemas ...")
            benchlib.manage("migrate_schemas", "--noinput", env=env)
            benchlib.manage("shell", "-c", PROVISION, env=env)
            log(f"the queue at {', '.join(f'{n:,}' for n in sizes)} tickets ...")
            script = QUEUE.format(sizes=list(sizes), repeat=args.repeat, host=TENANT_HOST)
            rows = last_json(benchlib.manage("shell", "-c", script, env=env))
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"], DATABASE)

    print(f"{'tickets':>9}  {'page':<28} {'queries':>7} {'median ms':>10} {'best ms':>8} "
          f"{'cpu ms':>7} {'KiB':>6}")  # fmt: skip
    for row in rows:
        for name, label in (("queue", "/isp/tickets/"), ("filtered", "?status=open&priority=high")):
            m = row[name]
            print(f"{row['tickets']:>9,}  {label:<28} {m['queries']:>7} {m['median_ms']:>10} "
                  f"{m['best_ms']:>8} {m['cpu_ms']:>7} {m['bytes'] // 1024:>6}")  # fmt: skip
    constant = all(
        len({row[name]["queries"] for row in rows}) == 1 for name in ("queue", "filtered")
    )
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"sizes": rows, "constant_queries": constant}, indent=2))
    log(f"load average at the end: {os.getloadavg()[0]:.2f}; result: {args.json}")
    log("goal met: the same number of queries at every size" if constant
        else "FAILED: the number of queries grows with the tickets")  # fmt: skip
    return 0 if constant else 1


if __name__ == "__main__":
    sys.exit(main())
