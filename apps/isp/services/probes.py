"""The probes themselves: ICMP echo over many targets at once with fping (one subprocess per
batch, its `-C` output parsed), a pure-Python fallback when fping is not installed (a TCP
connect: an answer, even a refusal, means the host is there), the TCP port probe, and the
optional SNMP v2c read (pysnmp: sysUpTime.0 and ifHCInOctets / ifHCOutOctets summed over the
interfaces; it never says up or down). No database here: addresses in, one `ProbeOutcome` (or
`SnmpReading`) per address out.

Only addresses a tenant registered are ever handed in (a device's management IP); on top of
that `MONITORING_PROBE_NETWORKS`, when set, is a fence: an address outside it is refused (logged,
no outcome: its state does not move) before anything is sent. The tests fence probes into
127.0.0.0/8, ::1 and their own network namespace."""

import asyncio
import ipaddress
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger(__name__)

__all__ = [
    "ProbeOutcome",
    "ProbeRefused",
    "SnmpReading",
    "address_allowed",
    "fping_path",
    "icmp_probe",
    "snmp_read",
    "tcp_probe",
]

#: The most targets one fping call (or one fallback batch) is given.
MAX_TARGETS = 20_000
#: Connections the TCP probes open at once.
TCP_CONCURRENCY = 500
#: SNMP agents read at once.
SNMP_CONCURRENCY = 100
#: The most interface rows summed per agent (a bigger table is summed over its first rows).
SNMP_MAX_INTERFACES = 1024
#: Rows asked per GETBULK request.
SNMP_REPETITIONS = 32
#: One agent's whole read (every request of it) is given at most this many timeouts.
SNMP_TIMEOUTS_PER_READ = 5
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"


class ProbeRefused(ValueError):
    """An address outside what may be probed."""


@dataclass(frozen=True)
class ProbeOutcome:
    address: str
    ok: bool
    latency_ms: float | None  # the mean of the answered requests
    loss_percent: float


@dataclass(frozen=True)
class SnmpReading:
    """One SNMP read: `ok` when sysUpTime was read (the counters are None when the agent has no
    ifXTable); else `error` says why (no answer: a wrong community looks the same)."""

    address: str
    ok: bool
    uptime: int | None = None  # sysUpTime.0, hundredths of a second
    in_octets: int | None = None
    out_octets: int | None = None
    error: str = ""


def _fence() -> list:
    return [ipaddress.ip_network(net, strict=False) for net in settings.MONITORING_PROBE_NETWORKS]


def address_allowed(address: str, fence: list | None = None) -> bool:
    """Whether `address` is a single host address inside the probe fence (any address when
    no fence is configured)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_multicast or ip.is_unspecified or (ip.version == 4 and int(ip) == 0xFFFFFFFF):
        return False
    fence = _fence() if fence is None else fence
    return not fence or any(ip in net for net in fence if net.version == ip.version)


def _checked(addresses: Iterable[str]) -> list[str]:
    """The addresses that may be probed; the others are refused (logged, never sent to)."""
    addresses = list(dict.fromkeys(str(a) for a in addresses))
    if len(addresses) > MAX_TARGETS:
        raise ProbeRefused(f"At most {MAX_TARGETS} targets per probe batch.")
    fence = _fence()
    allowed = [a for a in addresses if address_allowed(a, fence)]
    if len(allowed) < len(addresses):
        refused = [a for a in addresses if a not in set(allowed)]
        log.warning("Not probed (outside MONITORING_PROBE_NETWORKS): %s", refused[:20])
    return allowed


def fping_path() -> str | None:
    configured = settings.MONITORING_FPING
    if configured == "":
        return None
    return shutil.which(configured)


def parse_fping(output: str, addresses: list[str]) -> dict[str, ProbeOutcome]:
    """fping's `-C` summary ("127.0.0.1 : 0.04 - 0.05", one line per target, `-` a lost
    request) as outcomes; a target fping said nothing of is lost."""
    outcomes = {}
    for line in output.splitlines():
        name, sep, rest = line.partition(" : ")
        if not sep:
            continue
        name = name.strip()
        samples = rest.split()
        if not samples or any(s != "-" and not s.replace(".", "", 1).isdigit() for s in samples):
            continue
        times = [float(s) for s in samples if s != "-"]
        loss = 100.0 * (len(samples) - len(times)) / len(samples)
        latency = round(sum(times) / len(times), 3) if times else None
        outcomes[name] = ProbeOutcome(name, bool(times), latency, round(loss, 1))
    return {a: outcomes.get(a) or ProbeOutcome(a, False, None, 100.0) for a in addresses}


def _fping(binary: str, addresses: list[str], *, count: int, timeout_ms: int) -> dict:
    interval = settings.MONITORING_FPING_INTERVAL_MS
    command = [binary, "-C", str(count), "-q", "-r", "0", "-t", str(timeout_ms),
               "-i", f"{interval:g}", "-p", str(max(20, timeout_ms // 10))]  # fmt: skip
    # Bounded: every request is sent within count × targets × interval, answered or timed
    # out `timeout` later.
    limit = count * len(addresses) * max(interval, 0.05) / 1000 + count * timeout_ms / 1000 + 30
    done = subprocess.run(  # noqa: S603 (a fixed binary, addresses validated above)
        command, input="\n".join(addresses), capture_output=True, text=True, timeout=limit,
        check=False,
    )  # fmt: skip
    # Exit 1: some targets unreachable; 2: some addresses not found; above: a real failure.
    if done.returncode > 2:
        raise RuntimeError(f"fping failed ({done.returncode}): {done.stderr[-300:]}")
    return parse_fping(done.stderr, addresses)


async def _connect(address: str, port: int, timeout: float, refused_is_up: bool, gate):
    async with gate:
        started = time.perf_counter()
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
        except ConnectionRefusedError:
            if not refused_is_up:
                return ProbeOutcome(address, False, None, 100.0)
        except (OSError, TimeoutError):
            return ProbeOutcome(address, False, None, 100.0)
        else:
            writer.close()
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        return ProbeOutcome(address, True, elapsed, 0.0)


async def _connect_all(targets, timeout: float, refused_is_up: bool) -> list[ProbeOutcome]:
    gate = asyncio.Semaphore(TCP_CONCURRENCY)
    return await asyncio.gather(*(_connect(a, p, timeout, refused_is_up, gate) for a, p in targets))


def _run(coroutine):
    """The connects' coroutine run to its end: on its own event loop, in a thread of its own when
    the caller already runs a loop (an ASGI worker, a test client's loop), since asyncio.run
    refuses to nest."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result = {}

    def run():
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=run, name="probe-connects")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def tcp_probe(targets: list[tuple[str, int]], *, timeout_ms: int) -> dict[tuple, ProbeOutcome]:
    """Connect to each (address, port): up when the port accepts. Keyed by (address, port)."""
    allowed = set(_checked(a for a, _ in targets))
    targets = list(dict.fromkeys((a, p) for a, p in targets if a in allowed))
    outcomes = _run(_connect_all(targets, timeout_ms / 1000, refused_is_up=False))
    return dict(zip(targets, outcomes, strict=True))


def icmp_probe(addresses: Iterable[str], *, count: int, timeout_ms: int) -> dict:
    """Each address echoed `count` times in one fping call; without fping, a TCP connect to
    port 7 stands in (a refusal is an answer: the host is there)."""
    addresses = _checked(addresses)
    if not addresses:
        return {}
    binary = fping_path()
    if binary:
        return _fping(binary, addresses, count=count, timeout_ms=timeout_ms)
    targets = [(a, 7) for a in addresses]
    outcomes = _run(_connect_all(targets, timeout_ms / 1000, refused_is_up=True))
    return {o.address: o for o in outcomes}


# --- SNMP ----------------------------------------------------------------------------------------


class _SnmpFailed(Exception):
    pass


async def _snmp_request(call, *args):
    error, status, index, binds = await call(*args, lookupMib=False)
    if error:
        raise _SnmpFailed(str(error))
    if status:
        raise _SnmpFailed(f"{status.prettyPrint()} at {index}")
    return binds


def _oid(value) -> tuple[int, ...]:
    return tuple(int(part) for part in str(value).strip(".").split("."))


async def _snmp_counters(request, hlapi) -> tuple[int, int] | None:
    """ifHCInOctets and ifHCOutOctets summed, both columns walked side by side by GETBULK; None
    when the agent has neither. Stops at the table's end, at `SNMP_MAX_INTERFACES` rows or at
    an OID that does not increase (a broken agent)."""
    columns = (_oid(IF_HC_IN_OCTETS), _oid(IF_HC_OUT_OCTETS))
    cursor, totals, rows = list(columns), [0, 0], 0
    while rows < SNMP_MAX_INTERFACES:
        binds = await request(
            hlapi.bulk_cmd, 0, SNMP_REPETITIONS,
            *(hlapi.ObjectType(hlapi.ObjectIdentity(".".join(map(str, oid)))) for oid in cursor),
        )  # fmt: skip
        pairs = [binds[i : i + 2] for i in range(0, len(binds) - 1, 2)]
        if not pairs:
            break
        for pair in pairs:
            oids = [_oid(oid) for oid, _ in pair]
            inside = all(oid[: len(col)] == col for col, oid in zip(columns, oids, strict=True))
            if not inside or any(oid <= last for oid, last in zip(oids, cursor, strict=True)):
                return (totals[0], totals[1]) if rows else None
            for i, (_, value) in enumerate(pair):
                totals[i] += int(value) if isinstance(value, hlapi.Counter64) else 0
            cursor, rows = oids, rows + 1
            if rows >= SNMP_MAX_INTERFACES:
                break
    return (totals[0], totals[1]) if rows else None


async def _snmp_one(hlapi, engine, address, port, community, timeout, gate) -> SnmpReading:
    async with gate:
        try:
            kind = hlapi.Udp6TransportTarget if ":" in address else hlapi.UdpTransportTarget
            target = await kind.create((address, port), timeout=timeout, retries=0)
            auth = hlapi.CommunityData(community, mpModel=1)  # v2c

            async def request(call, *args):
                return await _snmp_request(call, engine, auth, target, hlapi.ContextData(), *args)

            async def read():
                binds = await request(
                    hlapi.get_cmd, hlapi.ObjectType(hlapi.ObjectIdentity(SYS_UPTIME))
                )
                value = binds[0][1] if binds else None
                if not isinstance(value, hlapi.TimeTicks):
                    raise _SnmpFailed("The agent has no sysUpTime.")
                try:
                    counters = await _snmp_counters(request, hlapi)
                except _SnmpFailed:
                    counters = None  # the uptime alone still tells reboots
                in_octets, out_octets = counters or (None, None)
                return SnmpReading(address, True, int(value), in_octets, out_octets)

            return await asyncio.wait_for(read(), timeout * SNMP_TIMEOUTS_PER_READ)
        except TimeoutError:
            return SnmpReading(address, False, error="No complete answer in time.")
        except _SnmpFailed as error:
            return SnmpReading(address, False, error=str(error)[:200])
        except Exception as error:  # noqa: BLE001 - a broken agent never fails the probe round
            log.warning("SNMP read of %s failed: %r", address, error)
            return SnmpReading(address, False, error=f"SNMP read failed: {error}"[:200])


async def _snmp_all(targets: dict, timeout: float) -> dict:
    from pysnmp.hlapi.v3arch import asyncio as hlapi  # heavy import: only when SNMP is read

    engine = hlapi.SnmpEngine()
    gate = asyncio.Semaphore(SNMP_CONCURRENCY)
    try:
        keys = list(targets)
        readings = await asyncio.gather(
            *(_snmp_one(hlapi, engine, *targets[key], timeout, gate) for key in keys)
        )
    finally:
        engine.close_dispatcher()
    return dict(zip(keys, readings, strict=True))


def snmp_read(targets: dict, *, timeout_ms: int) -> dict:
    """Read each agent ({key: (address, port, community)}, v2c): sysUpTime.0 and the summed
    interface counters, one `SnmpReading` per key. Every request waits at most `timeout_ms`
    (no retry) and one agent's whole read at most `SNMP_TIMEOUTS_PER_READ` times that; an
    address outside the probe fence is never sent to (no reading for its key)."""
    allowed = set(_checked(address for address, _, _ in targets.values()))
    targets = {key: target for key, target in targets.items() if target[0] in allowed}
    if not targets:
        return {}
    return _run(_snmp_all(targets, timeout_ms / 1000))
