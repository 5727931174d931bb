"""IPAM: prefixes' free addresses, allocation, and the addresses' life with the services.

Two allocations at once never hand out one address twice. The database holds it: an address is
unique in its VRF (a constraint), and an insert that collides is refused, whoever made the other
row. The allocation also takes a lock per VRF for its transaction, so that concurrent
allocations queue rather than collide and fail (NetBox #2519 and #10282: a lock on the prefix
alone still races, since two prefixes of one VRF may overlap).

Free addresses are found by the database: the addresses in use, in order, and the gaps between
them (a window over the unique index), stopping at the first gaps that hold enough.
"""

import datetime
import ipaddress
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_update
from apps.isp.models import IPAddress, NetworkSettings, Prefix, Service

__all__ = [
    "MAX_ALLOCATION",
    "MAX_LISTED",
    "available_addresses",
    "network_settings",
    "prefix_allocate",
    "service_addresses_quarantine",
    "service_static_address_ensure",
]

#: The most addresses one allocation hands out, and the most a listing of free ones shows.
MAX_ALLOCATION = 256
MAX_LISTED = 1000
_FAMILY_MAX = {4: 2**32 - 1, 6: 2**128 - 1}
#: The prefixes whose addresses go to subscribers' services.
SERVICE_POOLS = (Prefix.Purpose.CUSTOMER, Prefix.Purpose.STATIC)

#: The addresses of a range that count as taken (a quarantine that has passed does not).
_TAKEN = """
    SELECT address FROM isp_ipaddress
    WHERE vrf_id IS NOT DISTINCT FROM %(vrf)s
      AND address >= %(first)s::inet AND address <= %(last)s::inet
      AND NOT (status = 'quarantine' AND quarantined_until < %(today)s)
"""
#: The first and last taken address and how many there are: when they are as many as the span
#: between them holds, the range is full up to the last (the usual case of a pool handed out in
#: order) and no gap needs finding. Otherwise the gaps after each taken address, in order, up
#: to the LIMIT-th.
_SPAN = f"SELECT min(address), max(address), count(*) FROM ({_TAKEN}) AS taken"
_GAPS = f"""
SELECT address, next FROM (
    SELECT address, lead(address) OVER (ORDER BY address) AS next FROM ({_TAKEN}) AS taken
) AS edges
WHERE next IS NULL OR address + 1 < next
ORDER BY address LIMIT %(limit)s
"""


def network_settings() -> NetworkSettings:
    """The tenant's row (made by the ISP's initialiser), or the defaults."""
    return NetworkSettings.objects.filter(pk=1).first() or NetworkSettings(pk=1)


def _usable(prefix: Prefix) -> tuple[int, int]:
    """The prefix's usable range, less the family's first and last address (never a host)."""
    first, last = prefix.usable_range()
    return max(first, 1), min(last, _FAMILY_MAX[prefix.network.version] - 1)


def available_addresses(prefix: Prefix, limit: int, *, today=None) -> list:
    """The first `limit` free addresses of a prefix, in order: not in use in its VRF, and not
    in quarantine (one whose quarantine has passed is free again)."""
    first, last = _usable(prefix)
    if limit <= 0 or first > last:
        return []
    make = ipaddress.IPv4Address if prefix.network.version == 4 else ipaddress.IPv6Address
    params = {
        "vrf": prefix.vrf_id,
        "first": str(make(first)),
        "last": str(make(last)),
        "today": today or timezone.localdate(),
        "limit": limit,
    }
    found: list = []

    def take(start: int, end: int) -> bool:
        """Add start..end (as far as needed); True once `limit` are found."""
        stop = min(end, start + limit - len(found) - 1)
        found.extend(make(number) for number in range(start, stop + 1))
        return len(found) >= limit

    with connection.cursor() as cursor:
        cursor.execute(_SPAN, params)
        lowest, highest, count = cursor.fetchone()
        if lowest is None:  # nothing taken: the range from its start
            take(first, last)
            return found
        lowest = int(ipaddress.ip_interface(lowest).ip)
        highest = int(ipaddress.ip_interface(highest).ip)
        if lowest > first and take(first, lowest - 1):
            return found
        if count == highest - lowest + 1:  # no hole between them
            take(highest + 1, last)
            return found
        cursor.execute(_GAPS, params)
        for taken, following in cursor.fetchall():
            start = int(ipaddress.ip_interface(taken).ip) + 1
            end = int(ipaddress.ip_interface(following).ip) - 1 if following else last
            if take(start, end):
                break
    return found


def _lock_vrf(vrf_id: int | None) -> None:
    """Serialise the allocations of one VRF until the transaction ends (advisory locks are per
    database: the schema is part of the key)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"ipam:{connection.schema_name}:{vrf_id or 0}"],
        )


def _check_allocatable(prefix: Prefix, service: Service | None) -> None:
    if prefix.status != Prefix.Status.ACTIVE:
        raise ConflictError(
            f"Addresses are allocated only from an active prefix ({prefix} is {prefix.status})."
        )
    if service is None:
        return
    if prefix.purpose not in SERVICE_POOLS:
        raise ValidationError({"service": "A service's addresses come from a customer pool."})
    if service.status == Service.Status.TERMINATED:
        raise ConflictError("A terminated service gets no addresses.")


@transaction.atomic
def prefix_allocate(
    *, prefix: Prefix, count: int = 1, service: Service | None = None, actor=None,
    description: str = "",
) -> list[IPAddress]:  # fmt: skip
    """Hand out the first `count` free addresses of an active prefix, to `service` if given.
    Not enough free addresses: 409 CONFLICT, nothing written."""
    if not 1 <= count <= MAX_ALLOCATION:
        raise ValidationError({"count": f"Allocate between 1 and {MAX_ALLOCATION} addresses."})
    _lock_vrf(prefix.vrf_id)
    prefix = Prefix.objects.select_for_update().get(pk=prefix.pk)
    _check_allocatable(prefix, service)
    today = timezone.localdate()
    free = available_addresses(prefix, count, today=today)
    if len(free) < count:
        raise ConflictError(
            f"{prefix} has {len(free)} free address{'' if len(free) == 1 else 'es'}; "
            f"{count} were asked for.",
            [{"field": "count", "message": f"{len(free)} free"}],
        )
    reusable = {
        row.address: row
        for row in IPAddress.objects.select_for_update()
        .filter(vrf_id=prefix.vrf_id, address__in=[str(a) for a in free], status="quarantine")
        .order_by("pk")
    }
    made = []
    try:
        with transaction.atomic():
            for address in free:
                row = reusable.get(address)
                if row is None:
                    row = IPAddress(vrf_id=prefix.vrf_id, address=address, status="active",
                                    service=service, description=description)  # fmt: skip
                    made.append(record_create(row, actor=actor))
                else:  # its quarantine has passed
                    fields = {"status": "active", "service": service, "description": description}
                    record_update(row, fields, actor=actor, action="allocate")
                    made.append(row)
    except IntegrityError as error:  # made outside the allocation's lock (by hand) meanwhile
        raise ConflictError(f"An address of {prefix} was just taken; allocate again.") from error
    return made


def service_static_address_ensure(*, service: Service, actor=None) -> IPAddress | None:
    """A service of a plan with a static address gets one at activation, from the first pool of
    static customer addresses (IPv4 first) with a free one; it keeps the one it has. No free
    address in any such pool: 409 CONFLICT (the activation is refused, nothing written)."""
    if not service.plan.static_ip:
        return None
    held = service.ip_addresses.filter(status="active").first()
    if held is not None:
        return held
    pools = Prefix.objects.filter(purpose=Prefix.Purpose.STATIC, status=Prefix.Status.ACTIVE)
    pools = sorted(pools, key=lambda p: (p.network.version, p.network))
    for pool in pools:
        try:
            with transaction.atomic():
                return prefix_allocate(prefix=pool, count=1, service=service, actor=actor)[0]
        except ConflictError:
            continue
    raise ConflictError(
        f"{service.plan.name} includes a static IP address, and no pool of static customer "
        "addresses has a free one: add a prefix of static customer addresses and activate again."
    )


def service_addresses_quarantine(
    *, service: Service, on: datetime.date | None = None, actor=None
) -> int:
    """A terminated service's addresses wait in quarantine for the tenant's number of days
    after its last day before they are handed out again. Answers how many."""
    on = on or timezone.localdate()
    until = on + timedelta(days=network_settings().quarantine_days)
    rows = list(
        service.ip_addresses.select_for_update().exclude(status="quarantine").order_by("pk")
    )
    for row in rows:
        fields = {"status": "quarantine", "quarantined_until": until}
        record_update(row, fields, actor=actor, action="quarantine")
    return len(rows)
