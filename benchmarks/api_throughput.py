"""Throughput and latency of a tenant API endpoint against a bare Django view, one run.

    python benchmarks/api_throughput.py [--duration 10] [--connections 32] [--workers N]

Both are served by gunicorn with DotMac's production config (`-c python:dotmac.gunicorn_conf`,
same worker count and class) on 127.0.0.1, one after the other, and loaded with wrk:

- bare:   benchmarks/bare_wsgi.py, a Django view returning {"ok": true}, no middleware, no DB;
- tenant: GET /api/v1/me/ on Host bench.localhost with a JWT (all middleware, tenant routing,
          authentication, one user query, the envelope).

One user sends thousands of requests a minute, so the servers run with API_RATE_PER_MINUTE
raised far out of reach (benchlib.app_env; the throttle still counts every request in Redis);
the rate used is printed and stored with the result.

It prints requests/s and p50/p99 latency of each, the tenant/bare ratios and whether the goal
(tenant >= 1,000 req/s with p99 < 50 ms) is met, and writes benchmarks/results/
api_throughput.json. It uses DATABASE_URL / REDIS_URL when set (otherwise it starts the
project-local ones, as `python -m dotmac.launcher services` does) and a database of its own,
`dotmac_bench` on the same server: reset and migrated first, dropped at the end unless --keep.
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import PASSWORD, TENANT_HOST, USERNAME, http, log  # noqa: E402

GOAL_RPS = 1000
GOAL_P99_MS = 50.0
GOAL_RATIO = 0.2  # "no worse than 1/5 of bare Django"


# --- wrk ---------------------------------------------------------------------------------------


def find_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk not found; installing it with apt-get (running as root)")
        install = ["apt-get", "install", "-y", "-qq", "wrk"]
        if subprocess.call(install, stdout=subprocess.DEVNULL) != 0:
            subprocess.call(["apt-get", "update", "-qq"], stdout=subprocess.DEVNULL)
            subprocess.call(install, stdout=subprocess.DEVNULL)
        wrk = shutil.which("wrk")
        if wrk:
            return wrk
    sys.exit(
        "wrk (the HTTP load tool) is not installed. Install it with\n"
        "    sudo apt-get update && sudo apt-get install -y wrk\n"
        "(Debian/Ubuntu; `brew install wrk` on macOS) and run this again."
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", value).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    """requests/s, latency percentiles (ms), request and error counts from `wrk --latency`."""

    def find(pattern, cast=float, default=None):
        match = re.search(pattern, output, re.MULTILINE)
        return cast(match.group(1)) if match else default

    result = {
        "requests_per_second": find(r"^Requests/sec:\s+([\d.]+)"),
        "p50_ms": find(r"^\s+50%\s+(\S+)", _ms),
        "p75_ms": find(r"^\s+75%\s+(\S+)", _ms),
        "p90_ms": find(r"^\s+90%\s+(\S+)", _ms),
        "p99_ms": find(r"^\s+99%\s+(\S+)", _ms),
        "requests": find(r"^\s+(\d+) requests in", int),
        "non_2xx_3xx": find(r"Non-2xx or 3xx responses:\s+(\d+)", int, 0),
        "socket_errors": 0,
    }
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        result["socket_errors"] = sum(int(n) for n in errors.groups())
        result["socket_errors_detail"] = dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
    if result["requests_per_second"] is None or result["p99_ms"] is None:
        raise RuntimeError(f"could not parse wrk output:\n{output}")
    return result


def run_wrk(wrk, url, *, headers, duration, connections, threads) -> dict:
    command = [wrk, "--latency", "--timeout", "10s", f"-t{threads}", f"-c{connections}"]
    command += [f"-d{duration}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    return {**parse_wrk(output), "wrk_output": output}


# --- The run -----------------------------------------------------------------------------------


LISTS = (
    "/api/v1/isp/customers/?page_size=25",
    "/api/v1/isp/invoices/?page_size=25",
    "/api/v1/crm/opportunities/?page_size=25",
)
DEMO_HOST, DEMO_USERNAME, DEMO_PASSWORD = "abc-corp.localhost", "john", "dotmac-demo"
STOCK_DIR = benchlib.BENCH_DIR / "stock"
STOCK_SEED = STOCK_DIR / "seed.py"
STOCK_LIST = "/api/items/"


def obtain_token(url: str, host: str = TENANT_HOST, username=USERNAME, password=PASSWORD) -> str:
    body = json.dumps({"username": username, "password": password}).encode()
    status, data = http(
        f"{url}/api/v1/auth/token/",
        host=host,
        method="POST",
        body=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    if status != 200:
        raise RuntimeError(f"POST /api/v1/auth/token/ answered {status}: {data[:500]!r}")
    return json.loads(data)["data"]["attributes"]["access"]


def queries_per_request(env: dict) -> dict | None:
    """Round trips of one steady-state request, counted in-process by profile_api.py."""
    result = subprocess.run(
        [sys.executable, str(benchlib.BENCH_DIR / "profile_api.py"), "--inner", "--queries-json"],
        cwd=benchlib.BASE_DIR,
        env={**env, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log(f"could not count queries:\n{result.stderr[-2000:]}")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def load_average() -> float | None:
    with contextlib.suppress(OSError, AttributeError):
        return os.getloadavg()[0]
    return None


def bench(server: benchlib.Gunicorn, path: str, headers: dict, args, wrk: str) -> dict:
    url = f"{server.url}{path}"
    status, body = http(url, headers=headers)
    if status != 200:
        raise RuntimeError(f"{server.name}: GET {path} answered {status}: {body[:500]!r}")
    log(f"{server.name}: warming up for {args.warmup} s")
    run_wrk(
        wrk,
        url,
        headers=headers,
        duration=args.warmup,
        connections=args.connections,
        threads=args.wrk_threads,
    )
    log(f"{server.name}: wrk {args.duration} s, {args.connections} connections")
    result = run_wrk(
        wrk,
        url,
        headers=headers,
        duration=args.duration,
        connections=args.connections,
        threads=args.wrk_threads,
    )
    if result["non_2xx_3xx"] or result["socket_errors"]:
        log(
            f"{server.name}: {result['non_2xx_3xx']} non-2xx/3xx responses, "
            f"{result['socket_errors']} socket errors (see the JSON result)"
        )
    return result


def bench_stock(stores: dict, gunicorn_env: dict, args, wrk: str) -> dict:
    """The stock project (benchmarks/stock/) in a database of its own, served as DotMac is."""
    name = f"{benchlib.BENCH_DATABASE}_stock"
    url = benchlib.reset_database(stores["DATABASE_URL"], name)
    env = {**benchlib.app_env(url, stores["REDIS_URL"], **gunicorn_env)}
    env.update(DJANGO_SETTINGS_MODULE="stockproject.settings", STOCK_DATABASE_URL=url)
    try:
        for command in (["migrate_schemas", "--noinput"], ["shell", "-c", STOCK_SEED.read_text()]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=STOCK_DIR, env=env,
                           check=True, capture_output=True)  # fmt: skip
        extra = ["--pythonpath", str(STOCK_DIR), "--chdir", str(STOCK_DIR)]
        with benchlib.Gunicorn("stock", "stockproject.wsgi:application", env, extra) as server:
            body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
            status, answer = http(f"{server.url}/api/token/", host="stock.localhost",
                                  method="POST", body=body,
                                  headers={"Content-Type": "application/json"})  # fmt: skip
            if status != 200:
                raise RuntimeError(f"stock token: {status} {answer[:300]!r}")
            token = json.loads(answer)["access"]
            headers = {"Host": "stock.localhost", "Authorization": f"Bearer {token}"}
            return bench(server, STOCK_LIST, headers, args, wrk)
    finally:
        if not args.keep:
            benchlib.drop_database(stores["DATABASE_URL"], name)


def print_lists(results: dict) -> None:
    """The lists next to bare Django and the stock project, from the same run."""
    rows = [(path, row) for path, row in results.get("endpoints", {}).items()]
    if "stock" in results:
        rows.append((f"stock DRF {STOCK_LIST}", results["stock"]))
    if not rows:
        return
    bare = results["bare"]["requests_per_second"]
    stock = results.get("stock", {}).get("requests_per_second")
    print(f"{'list (same run)':<44} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
          f" {'x bare':>7} {'x stock':>8}")  # fmt: skip
    for label, row in rows:
        rps = row["requests_per_second"]
        versus_stock = f"{rps / stock:8.2f}" if stock else f"{'-':>8}"
        print(f"{label[:44]:<44} {rps:>7.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
              f"{row['non_2xx_3xx']:>8} {rps / bare:>7.3f} {versus_stock}")  # fmt: skip


def print_report(results: dict, args) -> None:
    bare, tenant = results["bare"], results["tenant"]
    rows = [("bare Django view  GET /", bare), ("tenant API  GET /api/v1/me/", tenant)]
    print()
    if args.tenant_app != "dotmac.wsgi":
        whatif = os.environ.get("BENCH_WHATIF", "all")
        print(f"tenant server app: {args.tenant_app} (BENCH_WHATIF={whatif})")
    print(
        f"gunicorn: {args.workers_count} {results['settings']['worker_class']} workers, "
        f"wrk: {args.duration} s, {args.connections} connections, {args.wrk_threads} threads, "
        f"{multiprocessing.cpu_count()} CPUs"
    )
    print(f"API_RATE_PER_MINUTE={results['settings']['api_rate_per_minute']} (throttle counted)")
    print(f"{'endpoint':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}")
    for label, row in rows:
        print(
            f"{label:<30} {row['requests_per_second']:>9.0f} {row['p50_ms']:>8.2f} "
            f"{row['p99_ms']:>8.2f} {row['non_2xx_3xx']:>8} {row['socket_errors']:>7}"
        )
    ratio = results["ratio"]
    print(
        f"{'tenant / bare':<30} {ratio['requests_per_second']:>9.3f} {ratio['p50']:>8.2f} "
        f"{ratio['p99']:>8.2f}"
    )
    goal = results["goal"]
    print(
        f"goal: >= {GOAL_RPS} req/s and p99 < {GOAL_P99_MS:.0f} ms -> "
        f"{'MET' if goal['met'] else 'NOT MET'} "
        f"({tenant['requests_per_second']:.0f} req/s, p99 {tenant['p99_ms']:.1f} ms); "
        f"throughput {'>=' if goal['ratio_met'] else '<'} 1/5 of bare "
        f"({ratio['requests_per_second']:.2f})"
    )
    queries = results.get("round_trips")
    if queries:
        per = queries["per_request"]
        print(
            f"per tenant request: {queries['django_queries']} SQL query through Django's cursor, "
            f"{per['psycopg_statements']:.0f} statements sent to PostgreSQL, "
            f"{per['redis_commands']:.0f} Redis command(s)"
            + (" (counted on dotmac.wsgi, unchanged)" if args.tenant_app != "dotmac.wsgi" else "")
        )
    print(f"result: {results['json_path']}")


def main(argv=None) -> int:
    cpus = multiprocessing.cpu_count()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument(
        "--workers", type=int, help=f"gunicorn workers (default 2*CPUs+1 = {2 * cpus + 1})"
    )
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up load")
    parser.add_argument(
        "--worker-class",
        default=None,
        help="gunicorn worker class for both servers (GUNICORN_WORKER_CLASS; config default sync)",
    )
    parser.add_argument(
        "--gunicorn-threads", type=int, default=None, help="GUNICORN_THREADS (gthread workers)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the dotmac_bench database")
    parser.add_argument(
        "--reuse-db", action="store_true", help="use dotmac_bench as left by a --keep run"
    )
    parser.add_argument("--skip-bare", action="store_true", help="only the tenant endpoint")
    parser.add_argument(
        "--tenant-app",
        default="dotmac.wsgi",
        help="WSGI app of the tenant server, e.g. whatif_wsgi:application (benchmarks/ is on "
        "the path; BENCH_WHATIF picks its changes)",
    )
    parser.add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="PATH",
        help="also a list or detail of the demo tenant abc-corp, as its super admin (repeat "
        "it; the database gets the demo data). --lists: the issue's three 25-row lists",
    )
    parser.add_argument("--lists", action="store_true", help=f"--endpoint for each of {LISTS}")
    parser.add_argument(
        "--stock",
        action="store_true",
        help="also the stock django-tenants + DRF + simplejwt project (benchmarks/stock/): "
        "its 25-row list of a 15-field model with one foreign key, same gunicorn config",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=benchlib.RESULTS_DIR / "api_throughput.json",
        help="where to write the result",
    )
    args = parser.parse_args(argv)
    if args.lists:
        args.endpoint += [path for path in LISTS if path not in args.endpoint]
    args.workers_count = args.workers or 2 * cpus + 1
    wrk = find_wrk()
    load = load_average()
    if load is not None and load > 0.5 * cpus:
        log(f"note: load average {load:.1f} before the run; other processes compete for the CPU")

    gunicorn_env = {"WEB_CONCURRENCY": str(args.workers_count)}
    if args.worker_class:
        gunicorn_env["GUNICORN_WORKER_CLASS"] = args.worker_class
    if args.gunicorn_threads:
        gunicorn_env["GUNICORN_THREADS"] = str(args.gunicorn_threads)
    worker_class = args.worker_class or os.environ.get("GUNICORN_WORKER_CLASS", "sync")

    results: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": cpus,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": load,
        },
        "settings": {
            "duration_s": args.duration,
            "connections": args.connections,
            "wrk_threads": args.wrk_threads,
            "workers": args.workers_count,
            "worker_class": worker_class,
            "gunicorn_threads": args.gunicorn_threads,
            "gunicorn_config": "python:dotmac.gunicorn_conf",
            "tenant_app": args.tenant_app,
            "bench_whatif": os.environ.get("BENCH_WHATIF") if "whatif" in args.tenant_app else None,
        },
    }
    with benchlib.data_stores() as stores:
        if args.reuse_db:
            database_url = benchlib.existing_database(stores["DATABASE_URL"])
        else:
            log("resetting database dotmac_bench")
            database_url = benchlib.reset_database(stores["DATABASE_URL"])
        env = benchlib.app_env(database_url, stores["REDIS_URL"], **gunicorn_env)
        results["settings"]["api_rate_per_minute"] = int(env["API_RATE_PER_MINUTE"])
        log(f"API rate limit: {env['API_RATE_PER_MINUTE']} requests/min per user (throttle on)")
        try:
            if not args.reuse_db:
                benchlib.prepare_database(env, demo=bool(args.endpoint))
            results["round_trips"] = queries_per_request(env)

            if not args.skip_bare:
                bench_path = ["--pythonpath", str(benchlib.BENCH_DIR)]
                with benchlib.Gunicorn("bare", "bare_wsgi:application", env, bench_path) as server:
                    results["bare"] = bench(server, "/", {}, args, wrk)

            bench_path = ["--pythonpath", str(benchlib.BENCH_DIR)]
            with benchlib.Gunicorn("tenant", args.tenant_app, env, bench_path) as server:
                token = obtain_token(server.url)
                headers = {"Host": TENANT_HOST, "Authorization": f"Bearer {token}"}
                status, body = http(f"{server.url}/api/v1/me/", headers=headers)
                user = json.loads(body)["data"]["attributes"]["username"] if status == 200 else None
                if user != USERNAME:
                    raise RuntimeError(f"GET /api/v1/me/ answered {status}: {body[:500]!r}")
                results["tenant"] = bench(server, "/api/v1/me/", headers, args, wrk)
                if args.endpoint:
                    demo = {"Host": DEMO_HOST, "Authorization": "Bearer " + obtain_token(
                        server.url, DEMO_HOST, DEMO_USERNAME, DEMO_PASSWORD)}  # fmt: skip
                    results["endpoints"] = {
                        path: bench(server, path, demo, args, wrk) for path in args.endpoint
                    }
            if args.stock:
                results["stock"] = bench_stock(stores, gunicorn_env, args, wrk)
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"])
                log("dropped database dotmac_bench")

    tenant = results["tenant"]
    met = tenant["requests_per_second"] >= GOAL_RPS and tenant["p99_ms"] < GOAL_P99_MS
    results["goal"] = {"requests_per_second": GOAL_RPS, "p99_ms": GOAL_P99_MS, "met": met}
    if "bare" in results:
        bare = results["bare"]
        results["ratio"] = {
            "requests_per_second": tenant["requests_per_second"] / bare["requests_per_second"],
            "p50": tenant["p50_ms"] / bare["p50_ms"],
            "p99": tenant["p99_ms"] / bare["p99_ms"],
        }
        results["goal"]["ratio_met"] = results["ratio"]["requests_per_second"] >= GOAL_RATIO
    args.json.parent.mkdir(parents=True, exist_ok=True)
    results["json_path"] = str(args.json)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    if "bare" in results:
        print_report(results, args)
        print_lists(results)
    else:
        print(
            f"tenant GET /api/v1/me/: {tenant['requests_per_second']:.0f} req/s, "
            f"p50 {tenant['p50_ms']:.2f} ms, p99 {tenant['p99_ms']:.2f} ms; "
            f"goal {'MET' if met else 'NOT MET'} "
            f"(API_RATE_PER_MINUTE={results['settings']['api_rate_per_minute']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
