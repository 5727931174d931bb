"""IPAM allocations over HTTP: N allocations by C concurrent clients, allocations/s and
duplicates (goal 0), with latency percentiles.

    python benchmarks/ipam_allocations.py                    # 10,000 by 20 clients
    python benchmarks/ipam_allocations.py --allocations 2000 --clients 10

gunicorn with DotMac's production config serves the `bench` tenant of a fresh database
(dotmac_bench_ipam on DATABASE_URL's server, or the launcher's local PostgreSQL); each client
posts `{"count": 1}` to `/api/v1/isp/prefixes/{id}/allocate/` on one /16 customer pool, one
request at a time, on keep-alive-less connections (each allocation is a real request). At the
end the database is asked how many addresses it holds and how many distinct ones: both must equal
the 201 answers, and every address a client was given must be unique.
"""

import argparse
import json
import multiprocessing
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import benchlib
from api_throughput import obtain_token
from benchlib import TENANT_HOST, Gunicorn, http, log, percentile

DATABASE = "dotmac_bench_ipam"
POOL = "100.64.0.0/16"

PROVISION = benchlib.PROVISION.replace("admin_password=", 'apps=["isp"], admin_password=')
MAKE_POOL = f"""
from django_tenants.utils import schema_context
from apps.isp.models import Prefix
with schema_context("bench"):
    print(Prefix.objects.create(prefix="{POOL}", purpose="customer").pk)
"""
COUNT_ADDRESSES = """
from django.db import connection
from django_tenants.utils import schema_context
with schema_context("bench"), connection.cursor() as cursor:
    cursor.execute("SELECT count(*), count(DISTINCT (vrf_id, address)) FROM isp_ipaddress")
    print(*cursor.fetchone())
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--allocations", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2*CPUs+1)")
    args = parser.parse_args(argv)
    if not 1 <= args.allocations <= 60_000 or not 1 <= args.clients <= 200:
        parser.error("--allocations 1..60000 (the pool is a /16), --clients 1..200")
    workers = args.workers or 2 * multiprocessing.cpu_count() + 1

    with benchlib.data_stores() as stores:
        database_url = benchlib.reset_database(stores["DATABASE_URL"], DATABASE)
        try:
            env = benchlib.app_env(database_url, stores["REDIS_URL"],
                                   WEB_CONCURRENCY=str(workers))  # fmt: skip
            benchlib.manage("migrate_schemas", "--noinput", env=env)
            benchlib.manage("shell", "-c", PROVISION, env=env)  # the bench tenant, with ISP
            prefix_id = int(benchlib.manage("shell", "-c", MAKE_POOL, env=env).split()[-1])
            with Gunicorn("dotmac", "dotmac.wsgi", env) as server:
                token = obtain_token(server.url)
                result = run(server.url, prefix_id, token, args)
            counted = benchlib.manage("shell", "-c", COUNT_ADDRESSES, env=env)
            held, distinct = map(int, counted.strip().splitlines()[-1].split())
        finally:
            benchlib.drop_database(stores["DATABASE_URL"], DATABASE)

    given = result["addresses"]
    report = {
        "allocations": args.allocations,
        "clients": args.clients,
        "gunicorn_workers": workers,
        "seconds": round(result["seconds"], 2),
        "allocations_per_s": round(result["created"] / result["seconds"], 1),
        "created": result["created"],
        "other_answers": result["other"],
        "p50_ms": round(percentile(result["latencies"], 0.5) * 1000, 1),
        "p99_ms": round(percentile(result["latencies"], 0.99) * 1000, 1),
        "duplicates_answered": len(given) - len(set(given)),
        "rows": held,
        "distinct_rows": distinct,
    }
    print(json.dumps(report, indent=2))
    ok = (
        report["duplicates_answered"] == 0
        and held == distinct == result["created"] == args.allocations
    )
    log("0 duplicates, every allocation stored once" if ok else "FAILED: see the figures")
    return 0 if ok else 1


def run(url: str, prefix_id: int, token: str, args) -> dict:
    endpoint = f"{url}/api/v1/isp/prefixes/{prefix_id}/allocate/"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"count": 1}).encode()
    lock = threading.Lock()
    addresses: list[str] = []
    latencies: list[float] = []
    other: dict[int, int] = {}

    def client(share: int) -> None:
        for _ in range(share):
            started = time.perf_counter()
            status, data = http(endpoint, host=TENANT_HOST, method="POST", body=body,
                                headers=headers, timeout=60)  # fmt: skip
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status == 201:
                    addresses.extend(
                        row["attributes"]["address"] for row in json.loads(data)["data"]
                    )
                else:
                    other[status] = other.get(status, 0) + 1

    shares = [args.allocations // args.clients] * args.clients
    for index in range(args.allocations % args.clients):
        shares[index] += 1
    log(f"{args.allocations:,} allocations by {args.clients} clients ...")
    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(client, shares))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "created": len(addresses), "addresses": addresses,
            "latencies": latencies, "other": other}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
