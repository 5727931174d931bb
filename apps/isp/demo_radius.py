"""Demo data for RADIUS (DESIGN.md §10): the demo tenant's NAS on a loopback address with the
demo password as its secret, a PPPoE login for every live service (Jane's is `jane` with the
demo password, so `jane@abc-corp` authenticates), a month of closed sessions and usage by day
(the charts show real traffic), and the sessions open now. Idempotent: a tenant that has a NAS
is left alone.

The demo password (`DEMO_PASSWORD`, default `dotmac-demo`) is shorter than the 16 characters
the NAS service asks of a secret, so the demo writes its NAS with the kit's audited write and
routes it itself (apps.isp.services.nas.nas_route_sync) instead of calling nas_create.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from apps.core.kit.writes import record_create
from apps.isp.models import Nas, NasType, RadiusLogin, RadiusSession, Service, Site, UsageDay
from apps.isp.selectors.radius import GB
from apps.isp.services.nas import nas_route_sync

__all__ = ["NAS_ADDRESSES", "radius_demo_ensure"]

#: The NAS of each demo tenant: FreeRADIUS on the same machine sees it at a loopback address.
NAS_ADDRESSES = {"abc-corp": "127.0.0.1", "xyz-isp": "127.0.0.2"}
ACTOR = "demo"
HISTORY_DAYS = 30


def radius_demo_ensure(*, demo, password: str) -> None:
    address = NAS_ADDRESSES.get(demo.slug)
    if address is None or not password or Nas.objects.exists():
        return
    with transaction.atomic():
        _seed(demo, address, password)


def _seed(demo, address: str, password: str) -> None:
    rng = random.Random(f"dotmac-radius-{demo.slug}")
    nas = Nas(name="bng-1", address=address, secret=password, type=NasType.MIKROTIK,
              site=Site.objects.order_by("pk").first(),
              description="The demo's access concentrator (FreeRADIUS here).")  # fmt: skip
    record_create(nas, actor=ACTOR)
    nas_route_sync(nas, actor=ACTOR)

    live = list(
        Service.objects.filter(status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED])
        .select_related("customer__user", "plan")
        .order_by("pk")
    )
    logins = {}
    for service in live:
        user = service.customer.user
        if user is not None and user.username == "jane" and "jane" not in logins.values():
            username, secret = "jane", password
        else:
            username = service.customer.account_number.lower()
            if username in logins.values():
                username = f"{username}-{service.pk}"
            secret = "".join(rng.choices("abcdefghjkmnpqrstuvwxyz23456789", k=16))
        record_create(RadiusLogin(service=service, username=username, password=secret), actor=ACTOR)
        logins[service.pk] = username

    now, today = timezone.now(), timezone.localdate()
    sessions, usage = [], []
    for n, service in enumerate(live):
        username = f"{logins[service.pk]}@{demo.slug}"
        heavy = rng.random() < 0.15
        for back in range(HISTORY_DAYS):
            day = today - datetime.timedelta(days=back)
            down = int(rng.uniform(0.5, 12 if heavy else 4) * GB)
            usage.append(UsageDay(service=service, day=day, output_octets=down,
                                  input_octets=int(down * rng.uniform(0.08, 0.25))))  # fmt: skip
        # a session per reconnect over the month (a few each), and the current one
        started = now - datetime.timedelta(days=HISTORY_DAYS)
        for k in range(rng.randint(1, 3)):
            length = datetime.timedelta(days=rng.randint(3, 9), minutes=rng.randint(1, 900))
            stopped = min(started + length, now - datetime.timedelta(hours=2))
            sessions.append(
                _session(demo, nas, service, username, f"{n}-{k}", started, stopped, rng)
            )
            started = stopped + datetime.timedelta(minutes=rng.randint(1, 5))
        if service.status == Service.Status.ACTIVE:
            sessions.append(_session(demo, nas, service, username, f"{n}-open", started, None, rng))
    UsageDay.objects.bulk_create(usage, batch_size=2000)
    RadiusSession.objects.bulk_create(sessions, batch_size=2000)


def _session(demo, nas, service, username, key, started, stopped, rng) -> RadiusSession:
    now = timezone.now()
    hours = ((stopped or now) - started).total_seconds() / 3600
    down = int(hours * rng.uniform(0.02, 0.2) * GB)
    return RadiusSession(
        unique_id=f"demo-{demo.slug}-{key}",
        session_id=f"{rng.getrandbits(32):08X}",
        service=service,
        nas=nas,
        username=username,
        calling_station=":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
        status=RadiusSession.Status.CLOSED if stopped else RadiusSession.Status.OPEN,
        started_at=started,
        updated_at=stopped or now - datetime.timedelta(minutes=rng.randint(0, 4)),
        stopped_at=stopped,
        input_octets=int(down * 0.15),
        output_octets=down,
        terminate_cause="User-Request" if stopped else "",
    )
