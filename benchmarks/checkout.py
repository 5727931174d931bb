"""E-commerce checkout over HTTP: orders per second with 2 gunicorn workers (goal >= 100/s),
next to the storefront's product list (requests per second), and the overselling run: 50
concurrent buyers on the last 10 units, which must give exactly 10 orders and stock 0.

    python benchmarks/checkout.py --quick        # 5 s per measure, 4 clients
    python benchmarks/checkout.py                # 20 s per measure, 8 clients

A fresh database (dotmac_bench_checkout on DATABASE_URL's server, or the launcher's local
PostgreSQL) gets the `bench` tenant with E-commerce, 50 products with plenty of stock and one
with the last 10 units. gunicorn with DotMac's production config (2 workers by default) serves
it. Each client thread sends checkouts one after another (`POST /api/v1/commerce/checkout/`,
one line of one unit of a random SKU, the sandbox card, a fresh Idempotency-Key each): every
order is a real one (allocation, charge, timeline, audit, vendor fulfilment). The storefront
measure is anonymous `GET /shop/` (the HTML product list with availability). The overselling
run fires 50 checkouts of the last 10 units at once; its wall time and latencies are reported
and the stock is read back from the database.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from api_throughput import obtain_token  # noqa: E402
from benchlib import TENANT_HOST, Gunicorn, http, log, percentile  # noqa: E402

DATABASE = "dotmac_bench_checkout"
GOAL_ORDERS_PER_S = 100.0
PRODUCTS = 50
LAST_SKU = "LAST-10"
BUYERS = 50

PROVISION = benchlib.PROVISION.replace("admin_password=", 'apps=["commerce"], admin_password=')

CATALOGUE = """
from django_tenants.utils import schema_context
from apps.commerce.constants import MovementKind
from apps.commerce.services import catalog, inventory
with schema_context("bench"):
    for n in range({products}):
        catalog.product_create(name=f"Router {{n}}", sku=f"BENCH-{{n}}", price="49.00",
                               status="published", actor="bench")
        inventory.stock_adjust(sku=f"BENCH-{{n}}", warehouse="main", quantity=1_000_000,
                               kind=MovementKind.RECEIPT, actor="bench")
    catalog.product_create(name="The last router", sku="{last}", price="99.00",
                           status="published", actor="bench")
    inventory.stock_adjust(sku="{last}", warehouse="main", quantity=10,
                           kind=MovementKind.RECEIPT, actor="bench")
"""

CHECK = """
import json
from django_tenants.utils import schema_context
from apps.commerce.models import Order, Payment, Stock
with schema_context("bench"):
    stock = Stock.objects.get(variant__sku="{last}")
    print(json.dumps({{"quantity": stock.quantity, "allocated": stock.allocated,
                      "orders": Order.objects.filter(lines__sku="{last}").count(),
                      "charges": Payment.objects.filter(order__lines__sku="{last}").count(),
                      "all_orders": Order.objects.count()}}))
"""


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def checkout(url: str, token: str, sku: str, key: str | None = None) -> tuple[int, float]:
    body = json.dumps({"lines": [{"sku": sku, "quantity": 1}], "shipping_method": "standard",
                       "card_number": "4242 4242 4242 4242"}).encode()  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Idempotency-Key": key or uuid.uuid4().hex}  # fmt: skip
    started = time.perf_counter()
    status, _ = http(f"{url}/api/v1/commerce/checkout/", host=TENANT_HOST, method="POST",
                     body=body, headers=headers, timeout=60)  # fmt: skip
    return status, time.perf_counter() - started


def storefront(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    status, _ = http(f"{url}/shop/", host=TENANT_HOST, timeout=60)
    return status, time.perf_counter() - started


def sustained(call, clients: int, seconds: float) -> dict:
    """`clients` threads calling `call()` back to back for `seconds`: rate of 2xx answers."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    latencies, statuses = [], {}

    def client(index: int) -> None:
        while time.monotonic() < stop:
            status, took = call(index)
            with lock:
                latencies.append(took)
                statuses[str(status)] = statuses.get(str(status), 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - started
    good = sum(n for status, n in statuses.items() if status.startswith("2"))
    return {"per_s": round(good / elapsed, 1), "requests": len(latencies),
            "statuses": statuses, "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "p95_ms": round(percentile(latencies, 0.95) * 1000, 1)}  # fmt: skip


def oversell(url: str, token: str) -> dict:
    """50 buyers at once on the last 10 units."""
    gate = threading.Barrier(BUYERS)

    def buyer(index: int) -> tuple[int, float]:
        gate.wait()
        return checkout(url, token, LAST_SKU, key=f"last-buyer-{index}")

    started = time.perf_counter()
    with ThreadPoolExecutor(BUYERS) as pool:
        answers = list(pool.map(buyer, range(BUYERS)))
    wall = time.perf_counter() - started
    latencies = [took for _, took in answers]
    statuses = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"buyers": BUYERS, "statuses": statuses, "wall_ms": round(wall * 1000, 1),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1)}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s per measure, 4 clients")
    parser.add_argument("--seconds", type=float, default=None, help="per measure (default 20)")
    parser.add_argument("--clients", type=int, default=None, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    clients = args.clients or (4 if args.quick else 8)
    if not 1 <= seconds <= 600 or not 1 <= clients <= 64 or not 1 <= args.workers <= 16:
        parser.error("--seconds 1..600, --clients 1..64, --workers 1..16")

    chooser = random.Random(13)
    static_root = tempfile.TemporaryDirectory(prefix="bench-checkout-static-")
    with static_root, benchlib.data_stores() as stores:
        database_url = benchlib.reset_database(stores["DATABASE_URL"], DATABASE)
        try:
            # DEBUG=0 serves the pages' static files from a manifest, as production does
            env = benchlib.app_env(database_url, stores["REDIS_URL"],
                                   WEB_CONCURRENCY=str(args.workers),
                                   STATIC_ROOT=static_root.name)  # fmt: skip
            log("migrate_schemas, collectstatic ...")
            benchlib.manage("migrate_schemas", "--noinput", env=env)
            benchlib.manage("collectstatic", "--noinput", env=env)
            benchlib.manage("shell", "-c", PROVISION, env=env)
            log(f"{PRODUCTS} products and the last 10 units of {LAST_SKU} ...")
            benchlib.manage("shell", "-c", CATALOGUE.format(products=PRODUCTS, last=LAST_SKU),
                            env=env)  # fmt: skip
            with Gunicorn("dotmac", "dotmac.wsgi", env) as server:
                token = obtain_token(server.url)
                for n in range(10):  # warm both workers (imports, connections, caches)
                    checkout(server.url, token, f"BENCH-{n}")
                    storefront(server.url)
                log(f"storefront /shop/: {clients} clients for {seconds:.0f} s ...")
                shop = sustained(lambda _: storefront(server.url), clients, seconds)
                log(f"checkout: {clients} clients for {seconds:.0f} s ...")
                orders = sustained(
                    lambda _: checkout(server.url, token, f"BENCH-{chooser.randrange(PRODUCTS)}"),
                    clients, seconds,
                )  # fmt: skip
                log(f"overselling: {BUYERS} buyers at once on the last 10 units ...")
                race = oversell(server.url, token)
            check = last_json(benchlib.manage("shell", "-c", CHECK.format(last=LAST_SKU),
                                              env=env))  # fmt: skip
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"], DATABASE)

    report = {
        "gunicorn_workers": args.workers,
        "clients": clients,
        "seconds_per_measure": seconds,
        "checkout_orders_per_s": orders["per_s"],
        "checkout": orders,
        "storefront_requests_per_s": shop["per_s"],
        "storefront": shop,
        "oversell": {**race, "stock_after": check},
        "load_average_end": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=2))
    log("load average at the end: "
        f"{os.getloadavg()[0]:.2f} (figures of a busy machine are not the app's)")  # fmt: skip
    oversold_ok = (race["statuses"] == {"201": 10, "409": 40}
                   and check["quantity"] == check["allocated"] == 10
                   and check["orders"] == check["charges"] == 10)  # fmt: skip
    log("overselling: exactly 10 orders, nothing left to sell" if oversold_ok
        else "FAILED: the overselling run sold other than 10")  # fmt: skip
    if orders["per_s"] < GOAL_ORDERS_PER_S:
        log(f"checkout below the goal of {GOAL_ORDERS_PER_S:.0f} orders/s on this machine")
    return 0 if oversold_ok else 1


if __name__ == "__main__":
    sys.exit(main())
