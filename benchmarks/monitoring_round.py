"""One monitoring probe round over 10,000 loopback targets with 2 Celery workers (goal < 30 s),
next to fping's own time for the same targets in the same run.

    python benchmarks/monitoring_round.py              # 10,000 targets, 2 workers
    python benchmarks/monitoring_round.py --quick      # 1,000 targets

Only 127.0.0.0/8 is ever probed: the targets are 127.64.0.1 onwards (every address of
127.0.0.0/8 answers on Linux), and the workers run with `MONITORING_PROBE_NETWORKS=127.0.0.0/8`,
the product's fence, so nothing else could be sent to even by mistake.

A fresh database (dotmac_bench_monitoring on DATABASE_URL's server, or the launcher's local
PostgreSQL) gets the `bench` tenant on ISP Enterprise (monitoring, no device limit) and N
devices, each with its management IP registered and an ICMP monitor (the tenant's default
monitoring settings: 3 echo requests per probe, 1,000 ms timeout). Two Celery workers
(`--pool solo`, one process each) take the round's batches: `MONITORING_BATCH_SIZE` is N / 2,
so each worker gets one batch (one fping call, then the results recorded: the history rows and
the state machine in one transaction). The round is sent as beat sends it
(`isp.monitoring_round` from the tenant's schema) and timed from `delay()` to the moment its
`finished_at` is set (after the last batch decided the alerts).

fping is also run by itself with the same arguments the probe uses (probes._fping), before the
workers start and after they stop (the better of the two is fping's figure): once over all N
targets, and as two calls at once over the two halves (what the two workers' fping calls do).
The difference between the round and the parallel fping is what DotMac adds: the tasks,
reading the targets, parsing, recording N results and N state changes.
"""

import argparse
import ipaddress
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import Background, celery_command, log  # noqa: E402

DATABASE = "dotmac_bench_monitoring"
FENCE = ipaddress.ip_network("127.0.0.0/8")
FIRST_TARGET = ipaddress.ip_address("127.64.0.1")
GOAL_S = 30.0
# as the product's defaults (MonitoringSettings, MONITORING_FPING_INTERVAL_MS)
COUNT, TIMEOUT_MS, INTERVAL_MS = 3, 1000, 1.0

PROVISION = benchlib.PROVISION.replace("admin_password=", 'apps=["isp"], admin_password=')

SETUP = """
import json
from django_tenants.utils import schema_context
from apps.isp.models import Device, IPAddress, Monitor
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription

licensing.subscription_change_plan(
    subscription=Subscription.objects.get(tenant__slug="bench", app__key="isp"),
    plan=Plan.objects.get(app__key="isp", key="enterprise"), actor="bench")
import ipaddress
first = ipaddress.ip_address("{first}")
targets = [str(first + i) for i in range({count})]
with schema_context("bench"):
    addresses = IPAddress.objects.bulk_create(
        [IPAddress(address=a, status="active", description="bench target") for a in targets],
        batch_size=5000)
    devices = Device.objects.bulk_create(
        [Device(name=f"bench-{{i:05d}}", role="router", management_ip=ip)
         for i, ip in enumerate(addresses)], batch_size=5000)
    Monitor.objects.bulk_create([Monitor(device=d) for d in devices], batch_size=5000)
    print(json.dumps({{"monitors": Monitor.objects.filter(enabled=True).count()}}))
"""

ROUND = """
import json, time
from django_tenants.utils import schema_context
from apps.isp import tasks
from apps.isp.models import Monitor, ProbeResult, ProbeRound

with schema_context("bench"):
    before = ProbeRound.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    results_before = ProbeResult.objects.count()
    started = time.time()
    tasks.monitoring_round.delay()
    deadline = time.monotonic() + {timeout}
    row = None
    while time.monotonic() < deadline:
        row = ProbeRound.objects.filter(pk__gt=before).first()
        if row is not None and row.finished_at is not None:
            break
        time.sleep(0.05)
    seen = time.time()
    assert row is not None and row.finished_at is not None, "the round did not finish"
    states = dict.fromkeys(("up", "down", "unknown"), 0)
    for state in Monitor.objects.values_list("state", flat=True):
        states[state] += 1
    print(json.dumps({{
        "seconds": row.finished_at.timestamp() - started, "seen_s": seen - started,
        "server_s": (row.finished_at - row.started_at).total_seconds(),
        "targets": row.targets, "batches": row.batches, "batches_done": row.batches_done,
        "results": ProbeResult.objects.count() - results_before, "states": states}}))
"""


def targets_of(count: int) -> list[str]:
    addresses = [str(FIRST_TARGET + i) for i in range(count)]
    assert all(ipaddress.ip_address(a) in FENCE for a in addresses)
    return addresses


def fping_command(binary: str) -> list[str]:
    """probes._fping's command line (the same flags, the product's default settings)."""
    return [binary, "-C", str(COUNT), "-q", "-r", "0", "-t", str(TIMEOUT_MS),
            "-i", f"{INTERVAL_MS:g}", "-p", str(max(20, TIMEOUT_MS // 10))]  # fmt: skip


def fping_time(binary: str, parts: list[list[str]]) -> tuple[float, int]:
    """Wall time of fping over each part at once (one process per part); answered targets."""
    answered = [0] * len(parts)

    def run(index, addresses):
        done = subprocess.run(  # noqa: S603 (a fixed binary, loopback targets only)
            fping_command(binary), input="\n".join(addresses), capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
        answered[index] = sum(
            1 for line in done.stderr.splitlines()
            if " : " in line and any(s != "-" for s in line.split(" : ", 1)[1].split())
        )  # fmt: skip

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(parts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, sum(answered)


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def wait_ready(workers: list[Background], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers:
            worker.check()
        if all(" ready." in worker.output() for worker in workers):
            return
        time.sleep(0.3)
    raise RuntimeError("the Celery workers did not get ready:\n" + workers[0].output())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 targets")
    parser.add_argument("--targets", type=int, help="targets (default 10,000; --quick 1,000)")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (1 process each)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds measured one after another")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--json", default=str(benchlib.RESULTS_DIR / "monitoring_round.json"))
    args = parser.parse_args(argv)
    count = args.targets or (1_000 if args.quick else 10_000)
    if not 1 <= count <= 100_000 or not 1 <= args.workers <= 8 or not 1 <= args.rounds <= 10:
        parser.error("--targets 1..100000, --workers 1..8, --rounds 1..10")
    binary = subprocess.run(["which", "fping"], capture_output=True, text=True).stdout.strip()
    if not binary:
        sys.exit("fping is not installed (apt-get install fping): the round and its comparison "
                 "both need it.")  # fmt: skip
    targets = targets_of(count)
    batch = math.ceil(count / args.workers)

    with benchlib.data_stores() as stores:
        database_url = benchlib.reset_database(stores["DATABASE_URL"], DATABASE)
        try:
            env = benchlib.app_env(
                database_url, stores["REDIS_URL"], MONITORING_PROBE_NETWORKS=str(FENCE),
                MONITORING_BATCH_SIZE=str(batch), MONITORING_FPING=binary,
                MONITORING_FPING_INTERVAL_MS=f"{INTERVAL_MS:g}",
            )  # fmt: skip
            log("migrate_schemas ...")
            benchlib.manage("migrate_schemas", "--noinput", env=env)
            benchlib.manage("shell", "-c", PROVISION, env=env)
            log(f"{count:,} devices probed at {targets[0]} .. {targets[-1]} ...")
            script = SETUP.format(first=targets[0], count=count)
            setup = last_json(benchlib.manage("shell", "-c", script, env=env))
            assert setup["monitors"] == count, setup
            workers = [
                Background(
                    f"worker-{n}",
                    celery_command(
                        "worker",
                        "--pool",
                        "solo",
                        "-l",
                        "INFO",
                        "-Q",
                        "celery",
                        "-n",
                        f"bench-monitoring-{n}-{os.getpid()}@%h",
                    ),
                    env,
                )  # fmt: skip
                for n in range(1, args.workers + 1)
            ]
            halves = [targets[i : i + batch] for i in range(0, count, batch)]
            log("fping by itself over the same targets, before the round ...")
            before = fping_time(binary, [targets]), fping_time(binary, halves)
            rounds = []
            for worker in workers:
                worker.__enter__()
            try:
                wait_ready(workers)
                log(f"{args.workers} workers ready; {args.rounds} round(s) ...")
                for _ in range(args.rounds):
                    script = ROUND.format(timeout=max(120, count // 50))
                    rounds.append(last_json(benchlib.manage("shell", "-c", script, env=env)))
                    log(f"round: {rounds[-1]['seconds']:.2f} s")
            finally:
                for worker in workers:
                    worker.__exit__(None, None, None)
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"], DATABASE)

    log("fping by itself over the same targets, after the round ...")
    after = fping_time(binary, [targets]), fping_time(binary, halves)
    # the better of before and after: fping's own time on this machine in this run
    (one_s, one_answered), (parallel_s, parallel_answered) = (
        min(before[0], after[0]), min(before[1], after[1]))  # fmt: skip

    print(
        f"targets: {count:,} loopback addresses ({targets[0]} .. {targets[-1]}), "
        f"{COUNT} echo requests each, timeout {TIMEOUT_MS} ms, fping -i {INTERVAL_MS:g} ms"
    )
    print(f"{'what':<46} {'seconds':>8} {'answered':>9}")
    for n, r in enumerate(rounds, start=1):
        what = f"round {n}: {args.workers} workers, {r['batches']} batches"
        print(f"{what:<46} {r['seconds']:>8.2f} {r['states']['up']:>9,}")
    print(
        f"{'fping alone, one call over all targets':<46} {one_s:>8.2f} {one_answered:>9,}"
        f"   (before / after the round: {before[0][0]:.2f} / {after[0][0]:.2f})"
    )
    what = f"fping alone, {len(halves)} calls at once (the batches)"
    print(
        f"{what:<46} {parallel_s:>8.2f} {parallel_answered:>9,}"
        f"   (before / after the round: {before[1][0]:.2f} / {after[1][0]:.2f})"
    )
    ok = all(
        r["seconds"] < GOAL_S and r["states"]["up"] == count and r["results"] == count
        and r["batches_done"] == r["batches"]
        for r in rounds
    )  # fmt: skip
    report = {"targets": count, "workers": args.workers, "batch_size": batch, "rounds": rounds,
              "fping_one_call_s": one_s, "fping_parallel_s": parallel_s,
              "fping_before_s": [before[0][0], before[1][0]],
              "fping_after_s": [after[0][0], after[1][0]],
              "fping_answered": one_answered, "goal_s": GOAL_S, "met": ok,
              "load_average": os.getloadavg()[0]}  # fmt: skip
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2))
    log(f"load average at the end: {os.getloadavg()[0]:.2f}; result: {args.json}")
    log(f"goal met: every target up, one result each, < {GOAL_S:g} s" if ok
        else "FAILED: see the figures")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
