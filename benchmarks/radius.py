"""RADIUS through FreeRADIUS and DotMac: Access-Requests/s with p50/p99 latency next to FreeRADIUS
answering the same users from a static `users` file, accounting packets/s, and a NAS reboot of
50,000 sessions replayed, with the usage counted checked against what was sent.

    python benchmarks/radius.py              # 5,000 Access-Requests at 32 in flight, ...
    python benchmarks/radius.py --quick      # a small run (a minute or so)

A fresh database (dotmac_bench_radius on DATABASE_URL's server, or the launcher's local
PostgreSQL) gets the `bench` tenant on ISP Pro (`isp.radius`), a NAS at 127.0.0.1 routed to it,
and --users active services with PPPoE logins. gunicorn with DotMac's production config serves
it with gthread workers (--workers x --threads), as FreeRADIUS needs (apps/isp/radius/
freeradius.py); FreeRADIUS runs the project's generated configuration (rlm_rest, dynamic
clients). The ceiling is a second FreeRADIUS, same thread pool, answering from a `users` file
of the same logins (Cleartext-Password and the same Mikrotik-Rate-Limit reply), with no rest.

The load generator is one asyncio UDP socket acting as the NAS: packets are built beforehand
with pyrad (User-Password encrypted per RFC 2865), their Identifier (and an accounting
packet's authenticator) set when sent; each request's latency is send to answer.
"""

import argparse
import asyncio
import cProfile
import hashlib
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib
from benchlib import BENCH_DIR, PYTHON, Gunicorn, log, percentile

DATABASE = "dotmac_bench_radius"
TOKEN = "bench-radius-api-token-0123456789abcdef"
SECRET = "bench-nas-secret-0123456789"
PPP_PASSWORD = "pppoe-bench-Password-1"
RATE_LIMIT = "10000k/50000k"  # what the plan below (50 down / 10 up) answers on a MikroTik
PROVISION = benchlib.PROVISION.replace("admin_password=", 'apps=["isp"], admin_password=')
DICTIONARY = BENCH_DIR / "radius.dictionary"
ACCESS_ACCEPT, ACCESS_REJECT, ACCOUNTING_RESPONSE = 2, 3, 5
#: A NAS's retransmission timer and tries (MikroTik's default timeout is 300 ms; 3 s is kind).
TIMEOUT, TRIES = 3.0, 3

SEED = """
import datetime
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from apps.isp.models import Customer, Nas, RadiusLogin, Service, ServicePlan, TaxClass
from apps.platform.catalog.models import Plan
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.services import subscription_change_plan
from apps.platform.tenants.models import NasRoute, Tenant

tenant = Tenant.objects.get(schema_name="bench")
subscription_change_plan(subscription=Subscription.objects.get(tenant=tenant, app__key="isp"),
                         plan=Plan.objects.get(app__key="isp", key="pro"), actor="bench")
with schema_context("bench"), transaction.atomic():
    tax = TaxClass.objects.filter(is_default=True).first() or TaxClass.objects.create(
        code="standard", name="Standard", rate=20)
    plan = ServicePlan.objects.create(code="fiber-50", name="Fiber 50", download_mbps=50,
                                      upload_mbps=10, price=30, setup_fee=0, tax_class=tax)
    customers = Customer.objects.bulk_create([
        Customer(account_number=f"B{i:06d}", name=f"Subscriber {i}", email=f"s{i}@example.com",
                 status="active", billing_day=1) for i in range(__USERS__)])
    today = timezone.localdate()
    services = Service.objects.bulk_create([
        Service(customer=c, plan=plan, status="active", activated_on=today) for c in customers])
    RadiusLogin.objects.bulk_create([
        RadiusLogin(service=s, username=f"user{i}", password=__PASSWORD__)
        for i, s in enumerate(services)])
    nas = Nas.objects.create(name="bng-bench", address="127.0.0.1", secret=__SECRET__)
NasRoute.objects.create(address="127.0.0.1", tenant=tenant, nas_id=nas.pk)
print("seeded", len(services))
"""

COUNT = """
from django.db import connection
from django_tenants.utils import schema_context
with schema_context("bench"), connection.cursor() as cursor:
    cursor.execute("SELECT coalesce(sum(input_octets), 0), coalesce(sum(output_octets), 0)"
                   " FROM isp_usageday")
    used = cursor.fetchone()
    cursor.execute("SELECT status, count(*) FROM isp_radiussession GROUP BY status")
    statuses = dict(cursor.fetchall())
    cursor.execute("SELECT count(*) FROM isp_radiussession WHERE service_id IS NULL")
    unassigned = cursor.fetchone()[0]
print(json.dumps({"input": int(used[0]), "output": int(used[1]), "statuses": statuses,
                  "unassigned": unassigned}))
"""

# The rows the Starts of sessions `first`..`count`-1 would have opened: the same unique id as
# FreeRADIUS's acct_unique hash (apps/isp/radius/freeradius.py _UNIQUE) computes for the
# packets Accounting.packet builds; checked against the rows real Starts opened.
OPEN_SESSIONS = """
import json
from django.db import connection
from django_tenants.utils import schema_context
unique = ("md5('127.0.0.1,user' || (n % {users}) || '@bench,boot-' || n || ',127.0.0.1,,,' "
          "|| (n % 4096))")
with schema_context("bench"), connection.cursor() as cursor:
    cursor.execute(
        "SELECT count(*) FROM isp_radiussession s, generate_series(0, {checked} - 1) n"
        f" WHERE s.session_id = 'boot-' || n AND s.unique_id = {{unique}}")
    matching = cursor.fetchone()[0]
    cursor.execute(
        "INSERT INTO isp_radiussession (unique_id, session_id, username, framed_ip,"
        " calling_station, status, started_at, updated_at, input_octets, output_octets,"
        " terminate_cause, nas_id, service_id)"
        f" SELECT {{unique}}, 'boot-' || n, 'user' || (n % {users}) || '@bench', NULL, '', 'open',"
        " now(), now(), 0, 0, '', (SELECT id FROM isp_nas LIMIT 1),"
        " (SELECT service_id FROM isp_radiuslogin WHERE username = 'user' || (n % {users}))"
        " FROM generate_series({first}, {count} - 1) n")
    print(json.dumps({{"inserted": cursor.rowcount, "ids_checked": {checked},
                      "ids_matching": matching}}))
"""

STATIC_USERS_ENTRY = (
    '{name} Cleartext-Password := "{password}"\n'
    '\tMikrotik-Rate-Limit = "{rate}",\n'
    "\tAcct-Interim-Interval = 300\n\n"
)

STATIC_SERVER = """
client bench {{
    ipaddr = 127.0.0.1
    secret = "{secret}"
}}

modules {{
    files {{
        filename = {directory}/users
    }}
    pap {{
        normalise = yes
    }}
    always ok {{
        rcode = ok
    }}
}}

server static {{
    listen {{
        type = auth
        ipaddr = 127.0.0.1
        port = {auth_port}
    }}
    authorize {{
        files
        pap
    }}
    authenticate {{
        Auth-Type PAP {{
            pap
        }}
    }}
}}
"""


# --- The NAS: an asyncio UDP client -----------------------------------------------------------


class Nas(asyncio.DatagramProtocol):
    """One UDP socket, up to 256 requests in flight (the RADIUS Identifier is a byte)."""

    def __init__(self, secret: bytes):
        self.secret = secret
        self.pending: dict[int, tuple[asyncio.Future, float]] = {}
        self.free: asyncio.Queue[int] = asyncio.Queue()
        for identifier in range(256):
            self.free.put_nowait(identifier)
        self.transport = None
        self.lost = self.retries = 0

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        entry = self.pending.pop(data[1], None) if len(data) >= 20 else None
        if entry is not None and not entry[0].done():
            entry[0].set_result((data[0], time.perf_counter() - entry[1], data))

    def _stamp(self, raw: bytes, identifier: int, accounting: bool) -> bytes:
        packet = bytearray(raw)
        packet[1] = identifier
        if accounting:  # RFC 2866: MD5(code+id+length+16 zero octets+attributes+secret)
            packet[4:20] = hashlib.md5(
                bytes(packet[:4]) + bytes(16) + bytes(packet[20:]) + self.secret
            ).digest()
        return bytes(packet)

    async def request(self, raw: bytes, port: int, accounting: bool, started: float = 0):
        """(code, seconds, reply), or (None, seconds, None) when no try was answered. Like a
        NAS, it sends again after TIMEOUT seconds, up to TRIES times, each time with a new
        Identifier (a new request to FreeRADIUS, not a duplicate it would drop). Seconds count
        from `started` when given (the time the request was due), else from now."""
        started = started or time.perf_counter()
        for _ in range(TRIES):
            identifier = await self.free.get()
            future = asyncio.get_running_loop().create_future()
            self.pending[identifier] = (future, started)
            self.transport.sendto(self._stamp(raw, identifier, accounting), ("127.0.0.1", port))
            try:
                code, seconds, reply = await asyncio.wait_for(future, TIMEOUT)
            except TimeoutError:
                self.pending.pop(identifier, None)
                self.retries += 1
                # Not reused: a late answer would be taken for another request's.
                continue
            self.free.put_nowait(identifier)
            return code, seconds, reply
        self.lost += 1
        return None, time.perf_counter() - started, None


async def blast(
    packets, port: int, concurrency: int, accounting: bool, secret: str, budget: float = 0
) -> dict:
    """Send the packets in order, `concurrency` in flight (none started after `budget` seconds,
    when given); codes, latencies and how many were sent."""
    loop = asyncio.get_running_loop()
    transport, nas = await loop.create_datagram_endpoint(
        lambda: Nas(secret.encode()), local_addr=("127.0.0.1", 0)
    )
    iterator = iter(packets)
    latencies, codes, replies = [], {}, []
    deadline = time.perf_counter() + budget if budget else float("inf")

    async def worker():
        for raw in iterator:
            if time.perf_counter() > deadline:
                break
            code, seconds, reply = await nas.request(raw, port, accounting)
            latencies.append(seconds)
            codes[code] = codes.get(code, 0) + 1
            if reply is not None and len(replies) < 5:
                replies.append(reply)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    transport.close()
    return {"seconds": elapsed, "latencies": latencies, "codes": codes, "replies": replies,
            "retransmissions": nas.retries, "sent": len(latencies)}  # fmt: skip


async def paced(packets, port: int, rate: float, secret: str) -> dict:
    """Open loop, as subscribers reach a NAS: a request every 1/rate seconds whether or not
    the earlier ones were answered, each one's latency counted from when it was due (so a
    stall counts against every request it delayed: no coordinated omission)."""
    loop = asyncio.get_running_loop()
    transport, nas = await loop.create_datagram_endpoint(
        lambda: Nas(secret.encode()), local_addr=("127.0.0.1", 0)
    )
    latencies, codes = [], {}

    async def one(raw, due):
        code, seconds, _ = await nas.request(raw, port, False, started=due)
        latencies.append(seconds)
        codes[code] = codes.get(code, 0) + 1

    tasks, started = [], time.perf_counter()
    for n, raw in enumerate(packets):
        due = started + n / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(raw, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    transport.close()
    return {"seconds": elapsed, "latencies": latencies, "codes": codes,
            "retransmissions": nas.retries}  # fmt: skip


async def sessions_in_sequence(sessions, port: int, concurrency: int, secret: str) -> dict:
    """Each session's packets one after the other (Start, Interim, Stop), `concurrency`
    sessions at a time: the packets in flight are a mix of the three."""
    loop = asyncio.get_running_loop()
    transport, nas = await loop.create_datagram_endpoint(
        lambda: Nas(secret.encode()), local_addr=("127.0.0.1", 0)
    )
    iterator = iter(sessions)
    latencies, codes = [], {}

    async def worker():
        for packets in iterator:
            for raw in packets:
                code, seconds, _ = await nas.request(raw, port, True)
                latencies.append(seconds)
                codes[code] = codes.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    transport.close()
    return {"seconds": elapsed, "latencies": latencies, "codes": codes,
            "retransmissions": nas.retries}  # fmt: skip


# --- Packets ----------------------------------------------------------------------------------


def dictionary():
    from pyrad.dictionary import Dictionary

    return Dictionary(str(DICTIONARY))


def access_requests(count: int, users: int, realm: str) -> list[bytes]:
    from pyrad.packet import AccessRequest, AuthPacket

    attributes = dictionary()
    packets = []
    for n in range(count):
        packet = AuthPacket(code=AccessRequest, id=0, secret=SECRET.encode(), dict=attributes)
        packet["User-Name"] = f"user{n % users}@{realm}"
        packet["User-Password"] = packet.PwCrypt(PPP_PASSWORD)
        packet["NAS-IP-Address"] = "127.0.0.1"
        packet["NAS-Port"] = n % 4096
        packet["Service-Type"] = "Framed-User"
        packet["Framed-Protocol"] = "PPP"
        packet["Calling-Station-Id"] = f"52:54:00:{n % 256:02x}:{n // 256 % 256:02x}:01"
        packets.append(packet.RequestPacket())
    return packets


class Accounting:
    """Accounting-Request packets of the bench NAS (authenticators are set when sent)."""

    def __init__(self, realm: str, users: int):
        from pyrad.packet import AccountingRequest, AcctPacket

        self.realm, self.users = realm, users
        self.attributes = dictionary()
        self._new = lambda: AcctPacket(
            code=AccountingRequest, id=0, secret=SECRET.encode(), dict=self.attributes
        )
        self.sent_in = self.sent_out = 0  # the octets the last packets of each session report

    def packet(self, status: str, session: str, user: int, octets=(0, 0), **more) -> bytes:
        packet = self._new()
        packet["Acct-Status-Type"] = status
        packet["Acct-Session-Id"] = session
        packet["User-Name"] = f"user{user % self.users}@{self.realm}"
        packet["NAS-IP-Address"] = "127.0.0.1"
        packet["NAS-Port"] = user % 4096
        packet["Framed-IP-Address"] = f"100.64.{user // 256 % 256}.{user % 256}"
        packet["Acct-Input-Octets"] = octets[0] % 2**32
        packet["Acct-Input-Gigawords"] = octets[0] >> 32
        packet["Acct-Output-Octets"] = octets[1] % 2**32
        packet["Acct-Output-Gigawords"] = octets[1] >> 32
        for name, value in more.items():
            packet[name.replace("_", "-")] = value
        return packet.RequestPacket()

    def nas_on(self) -> bytes:
        packet = self._new()
        packet["Acct-Status-Type"] = "Accounting-On"
        packet["NAS-IP-Address"] = "127.0.0.1"
        return packet.RequestPacket()


# --- FreeRADIUS -------------------------------------------------------------------------------


class FreeRadius:
    """FreeRADIUS in the foreground on a configuration directory; stopped on exit."""

    def __init__(self, name: str, directory: Path, argv: list[str]):
        self.name, self.directory, self.argv = name, directory, argv
        self.process = None

    def output(self) -> str:
        log_file = self.directory / "stdout.log"
        return log_file.read_text(errors="replace")[-5000:] if log_file.exists() else ""

    def __enter__(self):
        from apps.isp.radius.freeradius import started

        self.process = started(self.argv, self.directory / "stdout.log", timeout=30)
        return self

    def __exit__(self, *exc):
        from apps.isp.radius.freeradius import stopped

        stopped(self.process)
        self.process = None


def free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dotmac_radius(root: Path, api_url: str, threads: int, connections: int) -> FreeRadius:
    from apps.isp.radius.freeradius import (
        FreeRadiusConfig,
        command,
        freeradius_binary,
        write_config,
    )

    config = FreeRadiusConfig(
        directory=root / "dotmac", api_url=api_url, token=TOKEN, auth_port=free_udp_port(),
        acct_port=free_udp_port(), threads=threads, connections=connections,
    )  # fmt: skip
    write_config(config)
    server = FreeRadius("dotmac", config.directory, command(config, freeradius_binary()))
    server.auth_port, server.acct_port = config.auth_port, config.acct_port
    return server


def static_radius(root: Path, users: int, realm: str, threads: int) -> FreeRadius:
    """The same thread pool and logging as DotMac's configuration; `files` instead of rest."""
    from apps.isp.radius.freeradius import RADIUSD_CONF, freeradius_binary

    directory = root / "static"
    for sub in ("log", "run", "acct", "mods-config"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    (directory / "dictionary").write_text("# none\n")
    (directory / "users").write_text(
        "".join(
            STATIC_USERS_ENTRY.format(
                name=f"user{n}@{realm}", password=PPP_PASSWORD, rate=RATE_LIMIT
            )  # fmt: skip
            for n in range(users)
        )
    )
    port = free_udp_port()
    head = RADIUSD_CONF.split("# Every address")[0].format(directory=directory, threads=threads)
    server_conf = STATIC_SERVER.format(secret=SECRET, directory=directory, auth_port=port)
    (directory / "radiusd.conf").write_text(head + server_conf)
    argv = [freeradius_binary(), "-f", "-d", str(directory), "-n", "radiusd", "-l", "stdout"]
    server = FreeRadius("static", directory, argv)
    server.auth_port = port
    return server


# --- The run ----------------------------------------------------------------------------------


def summary(result: dict, ok_codes: set[int]) -> dict:
    answered = sum(n for code, n in result["codes"].items() if code in ok_codes)
    total = sum(result["codes"].values())
    return {
        "packets": total,
        "per_s": round(total / result["seconds"], 1),
        "p50_ms": round(percentile(result["latencies"], 0.5) * 1000, 2),
        "p99_ms": round(percentile(result["latencies"], 0.99) * 1000, 2),
        "answered_ok": answered,
        "other": {str(code): n for code, n in result["codes"].items() if code not in ok_codes},
        "retransmissions": result["retransmissions"],
        "seconds": round(result["seconds"], 2),
    }


def check_reply(reply: bytes) -> str | None:
    from pyrad.packet import Packet

    answer = Packet(packet=reply, dict=dictionary())
    values = answer.get("Mikrotik-Rate-Limit") or answer.get((14988, 8))
    return values[0] if values else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--requests", type=int, help="Access-Requests per server (5000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--users", type=int, help="subscribers with PPPoE logins (1000)")
    parser.add_argument("--sessions", type=int, help="sessions of the accounting mix (1000)")
    parser.add_argument("--reboot-sessions", type=int, help="sessions the NAS reboot ends (50000)")
    parser.add_argument("--radius-starts", type=int, help="of those, opened by a Start (5000)")
    parser.add_argument("--replay-seconds", type=float, default=60,
                        help="stop replaying the reboot's stops after this (0: all)")  # fmt: skip
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=500,
        help="Access-Requests/s of the open-loop run (the goal's rate)",
    )
    parser.add_argument("--paced-seconds", type=float, default=10,
                        help="length of the open-loop run (0: none)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--radius-threads", type=int, default=32, help="FreeRADIUS threads")
    parser.add_argument(
        "--connections",
        type=int,
        help="rlm_rest connections (default: --radius-threads; FreeRADIUS 3 fails a request at"
        " once when its pool is at max, so fewer than its threads refuse requests under load)",
    )
    parser.add_argument("--profile-calls", type=int, default=300,
                        help="in-process WSGI calls profiled per call type (0: none)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help=f"keep {DATABASE} afterwards")
    parser.add_argument("--json", type=Path, default=benchlib.RESULTS_DIR / "radius.json")
    parser.add_argument("--in-process-profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = {"requests": 1000, "users": 200, "sessions": 300, "reboot_sessions": 5000,
             "radius_starts": 1000}  # fmt: skip
    full = {"requests": 5000, "users": 1000, "sessions": 1000, "reboot_sessions": 50_000,
            "radius_starts": 5000}  # fmt: skip
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.quick and args.profile_calls == 300:
        args.profile_calls = 100
    args.connections = args.connections or args.radius_threads
    if args.in_process_profile:
        return profile_in_process(args)

    from apps.isp.radius.freeradius import freeradius_binary

    if freeradius_binary() is None or not Path("/usr/lib/freeradius/rlm_rest.so").exists():
        sys.exit("FreeRADIUS is not installed: apt-get install freeradius freeradius-rest")

    report = {"machine": {"cpus": os.cpu_count(), "load": os.getloadavg()}, "settings": vars(args)}
    report["settings"] = {k: str(v) for k, v in vars(args).items()}
    with (
        benchlib.data_stores() as stores,
        tempfile.TemporaryDirectory(prefix="bench-radius-") as tmp,
    ):
        database_url = benchlib.reset_database(stores["DATABASE_URL"], DATABASE)
        try:
            env = benchlib.app_env(
                database_url, stores["REDIS_URL"], RADIUS_API_TOKEN=TOKEN,
                WEB_CONCURRENCY=str(args.workers), GUNICORN_WORKER_CLASS="gthread",
                GUNICORN_THREADS=str(args.threads),
            )  # fmt: skip
            log("migrate_schemas, the bench tenant (ISP Pro) and its subscribers ...")
            benchlib.manage("migrate_schemas", "--noinput", env=env)
            benchlib.manage("shell", "-c", PROVISION, env=env)
            seed = SEED.replace("__USERS__", str(args.users))
            seed = seed.replace("__PASSWORD__", repr(PPP_PASSWORD))
            seed = seed.replace("__SECRET__", repr(SECRET))
            log(benchlib.manage("shell", "-c", seed, env=env).strip())
            report.update(run(args, env, Path(tmp)))
            counted = json.loads(
                benchlib.manage("shell", "-c", "import json\n" + COUNT, env=env).splitlines()[-1]
            )
            if args.profile_calls:
                log(f"profiling the WSGI handler in process ({args.profile_calls} calls each) ...")
                profiled = subprocess.run(
                    [PYTHON, __file__, "--in-process-profile", "--users", str(args.users),
                     "--profile-calls", str(args.profile_calls)],
                    cwd=benchlib.BASE_DIR, env=env, capture_output=True, text=True,
                )  # fmt: skip
                if profiled.returncode != 0:
                    sys.stderr.write(profiled.stderr[-4000:])
                report["profile"] = profiled.stdout
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"], DATABASE)

    expected = report.pop("expected_usage")
    report["usage_check"] = {
        "sent": expected,
        "counted": [counted["input"], counted["output"]],
        "sessions": counted["statuses"],
        "unassigned": counted["unassigned"],
        "ok": [counted["input"], counted["output"]] == expected and counted["unassigned"] == 0,
    }
    print_report(report, args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    log(f"result: {args.json}")
    return 0 if report["usage_check"]["ok"] else 1


def run(args, env: dict, root: Path) -> dict:
    realm = benchlib.TENANT_SLUG
    out: dict = {}
    log(f"building {args.requests:,} Access-Requests ...")
    auth_packets = access_requests(args.requests, args.users, realm)
    warmup = access_requests(min(500, args.requests), args.users, realm)
    static = static_radius(root, args.users, realm, args.radius_threads)
    with static:
        asyncio.run(blast(warmup, static.auth_port, args.concurrency, False, SECRET))
        log(f"static users file: {args.requests:,} at {args.concurrency} in flight ...")
        result = asyncio.run(blast(auth_packets, static.auth_port, args.concurrency, False, SECRET))
        out["auth_static"] = summary(result, {ACCESS_ACCEPT})
        out["auth_static"]["rate_limit_reply"] = check_reply(result["replies"][0])
        out["paced_static"] = paced_run(args, auth_packets, static.auth_port)

    with Gunicorn("radius-api", "dotmac.wsgi", env) as web:
        radius = dotmac_radius(root, web.url, args.radius_threads, args.connections)
        with radius:
            asyncio.run(blast(warmup, radius.auth_port, args.concurrency, False, SECRET))
            log(f"DotMac (rlm_rest): {args.requests:,} at {args.concurrency} in flight ...")
            result = asyncio.run(
                blast(auth_packets, radius.auth_port, args.concurrency, False, SECRET)
            )
            out["auth_dotmac"] = summary(result, {ACCESS_ACCEPT})
            out["auth_dotmac"]["rate_limit_reply"] = (
                check_reply(result["replies"][0]) if result["replies"] else None
            )
            out["paced_dotmac"] = paced_run(args, auth_packets, radius.auth_port)
            out.update(accounting(args, radius, realm, env))
            out["freeradius_log_tail"] = radius.output()[-1500:]
    return out


def paced_run(args, packets: list[bytes], port: int) -> dict | None:
    count = int(args.paced_rate * args.paced_seconds)
    if not count:
        return None
    log(f"open loop: {count:,} Access-Requests at {args.paced_rate:.0f}/s ...")
    chosen = (packets * (count // len(packets) + 1))[:count]
    return summary(asyncio.run(paced(chosen, port, args.paced_rate, SECRET)), {ACCESS_ACCEPT})


def accounting(args, radius, realm: str, env: dict) -> dict:
    acct = Accounting(realm, args.users)
    expected = [0, 0]
    out = {}

    # 0. Warm-up, as for the Access-Requests: the accounting path's first calls (each gunicorn
    # thread's first statements, rlm_rest's connections) are not what is measured. Zero-octet
    # sessions: the usage check is unchanged.
    warm = [
        [acct.packet("Start", f"warm-{n}", n), acct.packet("Stop", f"warm-{n}", n)]
        for n in range(min(200, args.sessions))
    ]
    asyncio.run(sessions_in_sequence(warm, radius.acct_port, args.concurrency, SECRET))

    # 1. The mix: Start, Interim-Update, Stop per session, `concurrency` sessions at a time.
    sessions = []
    for n in range(args.sessions):
        interim, stop = (n * 1000, n * 4000), (n * 1000 + 512, n * 4000 + 2048 + 5 * 2**32)
        sessions.append([
            acct.packet("Start", f"mix-{n}", n),
            acct.packet("Interim-Update", f"mix-{n}", n, interim, Acct_Session_Time=300),
            acct.packet("Stop", f"mix-{n}", n, stop, Acct_Session_Time=420,
                        Acct_Terminate_Cause="User-Request"),
        ])  # fmt: skip
        expected[0] += stop[0]
        expected[1] += stop[1]
    log(f"accounting mix: {args.sessions:,} sessions x (Start, Interim, Stop) ...")
    result = asyncio.run(sessions_in_sequence(sessions, radius.acct_port, args.concurrency, SECRET))
    out["acct_mix"] = summary(result, {ACCOUNTING_RESPONSE})

    # 2. A NAS reboot: its sessions open, Accounting-On, then it replays their stops, with a
    # retransmission (a new Identifier, as after a lost answer) of every 20th one a little later.
    count = args.reboot_sessions
    over_radius = min(count, args.radius_starts)
    log(f"NAS reboot: opening {over_radius:,} sessions with Starts ...")
    starts = [acct.packet("Start", f"boot-{n}", n) for n in range(over_radius)]
    result = asyncio.run(blast(starts, radius.acct_port, args.concurrency, True, SECRET))
    out["reboot_starts"] = summary(result, {ACCOUNTING_RESPONSE})
    if count > over_radius:
        log(f"NAS reboot: {count - over_radius:,} more open sessions inserted in the database ...")
        opened = benchlib.manage("shell", "-c", OPEN_SESSIONS.format(
            first=over_radius, count=count, users=args.users, checked=min(over_radius, 100),
        ), env=env)  # fmt: skip
        out["reboot_sessions_inserted"] = json.loads(opened.splitlines()[-1])
    result = asyncio.run(blast([acct.nas_on()], radius.acct_port, 1, True, SECRET))
    out["reboot_accounting_on"] = summary(result, {ACCOUNTING_RESPONSE})
    stops, octets = [], {}
    for n in range(count):
        octets[n] = (n * 10 + 7, n * 100 + 9)
        stops.append((n, acct.packet("Stop", f"boot-{n}", n, octets[n], Acct_Session_Time=3600,
                                     Acct_Terminate_Cause="NAS-Reboot")))  # fmt: skip
        if n % 20 == 19:
            stops.append(stops[-10])
    budget = f" (at most {args.replay_seconds:.0f} s)" if args.replay_seconds else ""
    log(f"NAS reboot: replaying {len(stops):,} stops{budget} ...")
    result = asyncio.run(
        blast([raw for _, raw in stops], radius.acct_port, args.concurrency, True, SECRET,
              budget=args.replay_seconds)
    )  # fmt: skip
    out["reboot_stops"] = summary(result, {ACCOUNTING_RESPONSE})
    replayed = {n for n, _ in stops[: result["sent"]]}
    out["reboot_stops"]["sessions_stopped"] = len(replayed)
    out["reboot_stops"]["sessions"] = count
    for n in replayed:
        expected[0] += octets[n][0]
        expected[1] += octets[n][1]
    out["expected_usage"] = expected
    return out


def print_report(report: dict, args) -> None:
    static, dotmac = report["auth_static"], report["auth_dotmac"]
    print(
        f"FreeRADIUS {args.radius_threads} threads; DotMac: gunicorn gthread {args.workers} "
        f"workers x {args.threads} threads, rlm_rest {args.connections} connections; "
        f"{os.cpu_count()} CPUs; {args.users:,} subscribers"
    )
    print(f"Access-Request, {args.requests:,} at {args.concurrency} in flight:")
    print(f"  {'':28} {'static users':>14} {'DotMac (rest)':>14}")
    for key, label in (("per_s", "requests/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
                       ("answered_ok", "Access-Accept"), ("other", "other answers"),
                       ("retransmissions", "retransmissions")):  # fmt: skip
        print(f"  {label:28} {static[key]!s:>14} {dotmac[key]!s:>14}")
    print(f"  {'Mikrotik-Rate-Limit':28} {static['rate_limit_reply']!s:>14} "
          f"{dotmac['rate_limit_reply']!s:>14}")  # fmt: skip
    paced_static, paced_dotmac = report.get("paced_static"), report.get("paced_dotmac")
    if paced_dotmac:
        rate = f"{args.paced_rate:.0f}/s"
        print(f"Access-Request, open loop at {rate} for {args.paced_seconds:.0f} s "
              "(latency from when each was due):")  # fmt: skip
        for key, label in (("per_s", "answered/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
                           ("answered_ok", "Access-Accept"), ("other", "other answers"),
                           ("retransmissions", "retransmissions")):  # fmt: skip
            print(f"  {label:28} {paced_static[key]!s:>14} {paced_dotmac[key]!s:>14}")
        goal = dotmac["per_s"] >= 500 and paced_dotmac["p99_ms"] < 50
        print(f"  goal >= 500/s (closed loop) and p99 < 50 ms at {rate}: "
              f"{'MET' if goal else 'NOT MET'}")  # fmt: skip
    goal = dotmac["per_s"] >= 500 and dotmac["p99_ms"] < 50
    print(f"  (stricter: p99 < 50 ms at full load, {args.concurrency} in flight: "
          f"{'MET' if goal else 'NOT MET'})")  # fmt: skip
    print("Accounting (DotMac):")
    for key, label in (
        ("acct_mix", f"mix {args.sessions:,} x Start/Interim/Stop"),
        ("reboot_starts", f"reboot: {min(args.radius_starts, args.reboot_sessions):,} Starts"),
        ("reboot_accounting_on", "reboot: Accounting-On"),
        ("reboot_stops", "reboot: Stops replayed (+5%)"),
    ):
        row = report[key]
        print(
            f"  {label:34} {row['packets']:>7,} packets {row['per_s']:>8}/s "
            f"p50 {row['p50_ms']:>7} ms p99 {row['p99_ms']:>8} ms  {row['seconds']:>7} s  "
            f"answered {row['answered_ok']:,} other {row['other']} "
            f"retransmitted {row['retransmissions']}"
        )
    mix = report["acct_mix"]["per_s"]
    print(f"  goal >= 1000 packets/s (mix): {'MET' if mix >= 1000 else 'NOT MET'}")
    stops = report["reboot_stops"]
    inserted = report.get("reboot_sessions_inserted")
    if inserted:
        print(
            f"  (+ {inserted['inserted']:,} open sessions inserted in the database; their unique "
            f"ids match FreeRADIUS's for {inserted['ids_matching']}/{inserted['ids_checked']} "
            "sessions opened by Starts)"
        )
    everything = stops["sessions_stopped"] == stops["sessions"]
    rate = stops["sessions_stopped"] / stops["seconds"]
    projected = stops["sessions"] / rate if rate else float("inf")
    print(
        f"  goal: a reboot of {stops['sessions']:,} sessions replays in under 60 s: "
        f"{'MET' if everything and stops['seconds'] < 60 else 'NOT MET'} "
        f"({stops['sessions_stopped']:,} sessions stopped in {stops['seconds']} s; all of them "
        f"at this rate: {projected:.0f} s)"
    )
    check = report["usage_check"]
    print(
        f"usage check: sent {check['sent']} octets (in, out), counted {check['counted']}, "
        f"sessions {check['sessions']}, unassigned {check['unassigned']} -> "
        f"{'OK, no double counting' if check['ok'] else 'MISMATCH'}"
        + (
            " (fewer counted: packets never answered were never recorded)"
            if not check["ok"] and check["counted"] < check["sent"]
            else ""
        )
    )
    if report.get("profile"):
        print(report["profile"])


# --- In process: where a call's time goes -----------------------------------------------------


def profile_in_process(args) -> int:
    """The WSGI handler called in a loop (no HTTP, no FreeRADIUS): µs and queries per call, and
    the top cumulative costs (cProfile)."""
    import base64

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from apps.isp.models import Nas
    from apps.isp.radius.endpoint import radius_application
    from apps.platform.tenants.models import NasRoute

    connection.set_schema_to_public()
    route = NasRoute.objects.get(address="127.0.0.1")
    with schema_context(route.tenant.schema_name):  # the short name the client lookup gives
        nas_type = Nas.objects.get(pk=route.nas_id).type
    nas = f"{route.tenant.schema_name}:{route.nas_id}:{nas_type}"
    auth = "Basic " + base64.b64encode(f"freeradius:{TOKEN}".encode()).decode()

    def environ(method, path, query, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        return {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
            "HTTP_AUTHORIZATION": auth, "CONTENT_LENGTH": str(len(data)) if data else "",
            "wsgi.input": io.BytesIO(data),
        }  # fmt: skip

    def attrs(values: dict) -> dict:
        return {name: {"type": "string", "value": [value]} for name, value in values.items()}

    counter = iter(range(10**9))

    def authorize():
        n = next(counter)
        body = attrs({"User-Name": f"user{n % args.users}@bench", "NAS-IP-Address": "127.0.0.1"})
        return environ("POST", "/_radius/authorize", f"nas={nas}", body)

    def interim():
        n = next(counter)
        body = attrs({
            "Acct-Status-Type": "Interim-Update", "Acct-Session-Id": f"prof-{n % 500}",
            "Acct-Unique-Session-Id": hashlib.md5(f"prof-{n % 500}".encode()).hexdigest(),
            "User-Name": f"user{n % args.users}@bench", "Acct-Input-Octets": str(n),
            "Acct-Output-Octets": str(2 * n),
        })  # fmt: skip
        return environ("POST", "/_radius/accounting", f"nas={nas}", body)

    def client():
        return environ("GET", "/_radius/client", "address=127.0.0.1")

    statuses: dict = {}

    def call(make):
        def start_response(status, headers):
            statuses[status] = statuses.get(status, 0) + 1

        return b"".join(radius_application(make(), start_response))

    lines = ["In process (the WSGI handler, no HTTP):"]
    for name, make in (("client", client), ("authorize", authorize),
                       ("accounting interim", interim)):  # fmt: skip
        for _ in range(50):
            call(make)
        with CaptureQueriesContext(connection) as queries:
            call(make)
        best = best_cpu = float("inf")
        for _ in range(3):
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.profile_calls):
                call(make)
            best = min(best, (time.perf_counter() - started) / args.profile_calls)
            best_cpu = min(best_cpu, (time.process_time() - cpu) / args.profile_calls)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.profile_calls):
            call(make)
        profiler.disable()
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        lines.append(
            f"  {name}: {best * 1e6:.0f} µs per call ({best_cpu * 1e6:.0f} µs CPU of this "
            f"process), {len(queries.captured_queries)} queries "
            f"through Django's cursor; top cumulative (µs per call):"
        )
        rows = []
        for (file, line, function), (_, calls, _, cumulative, _) in stats.stats.items():
            rows.append((cumulative / args.profile_calls * 1e6, calls / args.profile_calls,
                         f"{Path(file).name}:{line} {function}"))  # fmt: skip
        for cumulative, calls, where in sorted(rows, reverse=True)[2:14]:
            lines.append(f"    {cumulative:8.0f} µs  {calls:6.1f} calls  {where}")
        lines.append("   top own time (µs per call):")
        own = sorted(
            ((tottime / args.profile_calls * 1e6, f"{Path(file).name}:{line} {function}")
             for (file, line, function), (_, _, tottime, _, _) in stats.stats.items()),
            reverse=True,
        )  # fmt: skip
        for tottime, where in own[:10]:
            lines.append(f"    {tottime:8.0f} µs  {where}")
        for query in queries.captured_queries:
            lines.append(f"    SQL: {query['sql'][:150]}")
    lines.append(f"  answers: {statuses}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
