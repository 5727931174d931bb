"""RADIUS against the real FreeRADIUS: radclient as the NAS, FreeRADIUS on the project's
generated configuration, asking DotMac under gunicorn (rlm_rest).

Two tenants of the module's own (their committed rows leave with their schemas), both on ISP
Pro (`isp.radius`). Tenant A's NAS is 127.0.0.1, the address radclient sends from; tenant B's
is 127.0.0.2, so B's users and B's secret arriving from 127.0.0.1 are A's NAS's business.
"""

import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import (
    IPAddress,
    Nas,
    NetworkSettings,
    RadiusLogin,
    RadiusSession,
    UsageDay,
)
from apps.isp.services.subscriptions import service_suspend, service_terminate
from apps.platform.tenants.models import NasRoute
from tests.committed import committed
from tests.conftest import PASSWORD
from tests.isp.factories import ServiceFactory, ServicePlanFactory, active_service
from tests.servers import FreeRadius, Gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TOKEN = "radius-api-token-of-the-tests"
SECRET_A, SECRET_B = "secret-of-tenant-a-nas-0001", "secret-of-tenant-b-nas-0002"
PPP_PASSWORD = "pppoe-Password-1"


class World:
    def __init__(self, a, b, radius: FreeRadius):
        self.a, self.b, self.radius = a, b, radius

    def auth(self, secret=SECRET_A, **attributes):
        return self.radius.radclient("auth", secret, attributes)[0]

    def acct(self, *packets, secret=SECRET_A):
        return self.radius.radclient("acct", secret, *packets)

    def in_a(self, fn, *args, **kwargs):
        return committed(_in, self.a, fn, *args, **kwargs)

    def in_b(self, fn, *args, **kwargs):
        return committed(_in, self.b, fn, *args, **kwargs)


def _in(tenant, fn, *args, **kwargs):
    with schema_context(tenant.schema_name):
        return fn(*args, **kwargs)


def _tenant(slug: str):
    from apps.platform.catalog.models import Plan
    from apps.platform.licensing.models import Subscription
    from apps.platform.licensing.services import subscription_change_plan
    from apps.platform.tenants import services

    tenant = services.tenant_create_now(
        name=slug,
        slug=slug,
        admin_username="owner",
        admin_email=f"owner@{slug}.example.com",
        admin_password=PASSWORD,
        apps=("isp",),
    )
    subscription_change_plan(
        subscription=Subscription.objects.get(tenant=tenant, app__key="isp"),
        plan=Plan.objects.get(app__key="isp", key="pro"),
        actor="test",
    )
    return tenant


def _nas(tenant, address: str, secret: str) -> Nas:
    with schema_context(tenant.schema_name):
        nas = Nas.objects.create(name=f"BNG {address}", address=address, secret=secret)
    NasRoute.objects.create(address=address, tenant=tenant, nas_id=nas.pk)
    return nas


def _drop(tenant):
    from apps.platform.tenants import schemas
    from apps.platform.tenants.models import Tenant

    NasRoute.objects.filter(tenant=tenant).delete()
    schemas.drop_schema(tenant.schema_name)
    Tenant.objects.filter(pk=tenant.pk).delete()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    suffix = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        a = committed(_tenant, f"radius-a-{suffix}")
        b = committed(_tenant, f"radius-b-{suffix}")
        try:
            committed(_nas, a, "127.0.0.1", SECRET_A)
            committed(_nas, b, "127.0.0.2", SECRET_B)
            # Threaded workers, as DotMac serves FreeRADIUS (apps/isp/radius/freeradius.py).
            env = {"RADIUS_API_TOKEN": TOKEN, "GUNICORN_WORKER_CLASS": "gthread",
                   "GUNICORN_THREADS": "8"}  # fmt: skip
            with Gunicorn(workers=2, env=env) as web, FreeRadius(web.url, TOKEN) as radius:
                yield World(a, b, radius)
        finally:
            committed(_drop, a)
            committed(_drop, b)


def _subscriber(username: str, *, static_ip: str | None = None, **plan) -> int:
    """An active service with a PPPoE login (and a static address); returns the service's id."""
    service = active_service(
        plan=ServicePlanFactory(**{"download_mbps": 50, "upload_mbps": 10, **plan})
    )
    RadiusLogin.objects.create(service=service, username=username, password=PPP_PASSWORD)
    if static_ip:
        IPAddress.objects.create(address=static_ip, status="active", service=service)
    return service.pk


def _service(pk):
    from apps.isp.models import Service

    return Service.objects.get(pk=pk)


# --- Access-Request --------------------------------------------------------------------------


def test_pap_accept_carries_the_plans_speeds_and_the_static_address(world):
    world.in_a(_subscriber, "jane", static_ip="100.64.9.10")

    answer = world.auth(**{"User-Name": f"jane@{world.a.slug}", "User-Password": PPP_PASSWORD})

    assert answer is not None, world.radius.output()[-6000:]
    assert answer["code"] == "Access-Accept"
    assert answer["Mikrotik-Rate-Limit"] == "10000k/50000k"  # upload/download as RouterOS reads
    assert answer["Framed-IP-Address"] == "100.64.9.10"
    assert answer["Acct-Interim-Interval"] == "300"


def test_chap_works_from_the_same_stored_password_and_a_wrong_password_is_rejected(world):
    world.in_a(_subscriber, "chap-user")
    realm = f"@{world.a.slug}"

    chap = world.auth(**{"User-Name": f"chap-user{realm}", "CHAP-Password": PPP_PASSWORD})
    wrong = world.auth(**{"User-Name": f"chap-user{realm}", "User-Password": "not-it"})
    unknown = world.auth(**{"User-Name": f"nobody{realm}", "User-Password": PPP_PASSWORD})

    assert chap["code"] == "Access-Accept"
    assert (wrong["code"], unknown["code"]) == ("Access-Reject", "Access-Reject")


def test_suspended_is_rejected_or_walled_in_and_terminated_and_pending_are_rejected(world):
    realm = f"@{world.a.slug}"
    suspended = world.in_a(_subscriber, "late-payer")
    ended = world.in_a(_subscriber, "moved-away")
    world.in_a(lambda: service_suspend(service=_service(suspended)))
    world.in_a(lambda: service_terminate(service=_service(ended), on=timezone.localdate()))

    def pending():
        service = ServiceFactory()
        RadiusLogin.objects.create(service=service, username="not-yet", password=PPP_PASSWORD)

    world.in_a(pending)

    def ask(name):
        return world.auth(**{"User-Name": f"{name}{realm}", "User-Password": PPP_PASSWORD})

    assert [ask(n)["code"] for n in ("late-payer", "moved-away", "not-yet")] == [
        "Access-Reject"
    ] * 3

    def walled_garden(on: bool):
        settings, _ = NetworkSettings.objects.get_or_create(pk=1)
        settings.suspended_access = "walled_garden" if on else "reject"
        settings.save()

    world.in_a(walled_garden, True)
    try:
        walled = ask("late-payer")
    finally:
        world.in_a(walled_garden, False)
    assert walled["code"] == "Access-Accept"
    assert walled["Framed-Pool"] == "walled-garden"
    assert "Mikrotik-Rate-Limit" not in walled
    assert ask("moved-away")["code"] == "Access-Reject"


def test_ipoe_is_accepted_by_the_cpes_mac_address(world):
    def ipoe():
        service = active_service(plan=ServicePlanFactory(download_mbps=20, upload_mbps=5))
        RadiusLogin.objects.create(service=service, kind="ipoe", mac="52:54:00:12:34:56")

    world.in_a(ipoe)

    answer = world.auth(**{"User-Name": "52-54-00-12-34-56", "User-Password": "52-54-00-12-34-56"})

    assert answer["code"] == "Access-Accept"
    assert answer["Mikrotik-Rate-Limit"] == "5000k/20000k"


def test_a_user_of_another_tenant_is_rejected_through_this_tenants_nas(world):
    world.in_b(_subscriber, "bob")
    bobs = {"User-Password": PPP_PASSWORD}

    with_b_realm = world.auth(**{"User-Name": f"bob@{world.b.slug}", **bobs})
    without_realm = world.auth(**{"User-Name": "bob", **bobs})
    # B's secret on A's NAS address: FreeRADIUS cannot verify the packet and answers nothing.
    b_secret = world.auth(secret=SECRET_B, **{"User-Name": f"bob@{world.b.slug}", **bobs})

    assert with_b_realm["code"] == "Access-Reject"
    assert without_realm["code"] == "Access-Reject"
    assert b_secret is None or b_secret["code"] == "Access-Reject"


def test_a_nas_answers_only_while_its_tenant_is_licensed_for_radius(world):
    """ISP Basic has no `isp.radius`: the tenant's subscribers are rejected until it upgrades."""
    from apps.platform.catalog.models import Plan
    from apps.platform.licensing.models import Subscription
    from apps.platform.licensing.services import subscription_change_plan

    world.in_a(_subscriber, "on-basic")

    def move(plan_key):
        subscription_change_plan(
            subscription=Subscription.objects.get(tenant=world.a, app__key="isp"),
            plan=Plan.objects.get(app__key="isp", key=plan_key),
            actor="test",
        )

    packet = {"User-Name": f"on-basic@{world.a.slug}", "User-Password": PPP_PASSWORD}
    committed(move, "basic")
    try:
        on_basic = world.auth(**packet)
    finally:
        committed(move, "pro")
    assert on_basic["code"] == "Access-Reject"
    assert world.auth(**packet)["code"] == "Access-Accept"


# --- Accounting ------------------------------------------------------------------------------


def _acct(status: str, session: str, user: str, *, octets: tuple[int, int] = (0, 0), **more):
    return {
        "Acct-Status-Type": status,
        "Acct-Session-Id": session,
        "User-Name": user,
        "NAS-IP-Address": "127.0.0.1",
        "NAS-Port": "7",
        "Framed-IP-Address": "100.64.0.77",
        "Acct-Input-Octets": str(octets[0] % 2**32),
        "Acct-Input-Gigawords": str(octets[0] >> 32),
        "Acct-Output-Octets": str(octets[1] % 2**32),
        "Acct-Output-Gigawords": str(octets[1] >> 32),
        **more,
    }


def _usage(service_id):
    rows = UsageDay.objects.filter(service_id=service_id)
    return sum(r.input_octets for r in rows), sum(r.output_octets for r in rows)


CAUSE = {"Acct-Terminate-Cause": "User-Request"}


def test_duplicates_and_packets_out_of_order_are_counted_once(world):
    service = world.in_a(_subscriber, "counted")
    user = f"counted@{world.a.slug}"
    big = 5 * 2**32 + 1000  # past the 32-bit counter: gigawords

    answers = world.acct(
        _acct("Start", "s-1", user),
        _acct("Start", "s-1", user),  # repeated
        _acct("Interim-Update", "s-1", user, octets=(1_000, 2_000)),
        _acct("Interim-Update", "s-1", user, octets=(1_000, 2_000)),  # repeated
        _acct("Interim-Update", "s-1", user, octets=(3_000, big)),
        _acct("Interim-Update", "s-1", user, octets=(2_000, 4_000)),  # late: older counters
        _acct("Stop", "s-1", user, octets=(4_000, big + 10), **CAUSE),
        _acct("Interim-Update", "s-1", user, octets=(9_000, big + 99)),  # after the stop
        _acct("Stop", "s-1", user, octets=(4_000, big + 10)),  # repeated
    )

    assert [a and a["code"] for a in answers] == ["Accounting-Response"] * 9
    session = world.in_a(lambda: RadiusSession.objects.get(service_id=service))
    assert session.status == "closed"
    assert (session.input_octets, session.output_octets) == (4_000, big + 10)
    assert session.terminate_cause == "User-Request"
    assert str(session.framed_ip) == "100.64.0.77"
    assert world.in_a(_usage, service) == (4_000, big + 10)


def test_an_interim_without_its_start_opens_the_session_and_counts_from_zero(world):
    service = world.in_a(_subscriber, "no-start")
    user = f"no-start@{world.a.slug}"

    world.acct(
        _acct("Interim-Update", "s-2", user, octets=(500, 700), **{"Acct-Session-Time": "600"})
    )

    session = world.in_a(lambda: RadiusSession.objects.get(service_id=service))
    assert session.status == "open"
    assert (session.updated_at - session.started_at).total_seconds() == pytest.approx(600, abs=5)
    assert world.in_a(_usage, service) == (500, 700)


def test_a_nas_reboot_closes_its_sessions_and_their_replayed_stops_count_only_the_growth(world):
    service = world.in_a(_subscriber, "rebooted")
    user = f"rebooted@{world.a.slug}"
    world.acct(
        _acct("Start", "s-3", user),
        _acct("Interim-Update", "s-3", user, octets=(100, 200)),
    )

    world.acct({"Acct-Status-Type": "Accounting-On", "NAS-IP-Address": "127.0.0.1"})
    stale = world.in_a(lambda: RadiusSession.objects.get(service_id=service))
    world.acct(_acct("Stop", "s-3", user, octets=(150, 260)))  # the NAS replays the stop
    # The same Acct-Session-Id again after the reboot: a new session, the old one kept.
    world.acct(_acct("Start", "s-3", user), _acct("Interim-Update", "s-3", user, octets=(10, 20)))

    assert stale.status == "stale"
    sessions = world.in_a(
        lambda: list(RadiusSession.objects.filter(service_id=service).order_by("pk"))
    )
    assert [s.status for s in sessions] == ["closed", "open"]
    assert sessions[0].unique_id.endswith(f".{sessions[0].pk}")
    assert world.in_a(_usage, service) == (160, 280)


def test_a_tenant_b_user_accounted_through_tenant_as_nas_lands_in_a_only_unassigned(world):
    """B's user name through A's NAS: recorded as A's NAS reported it (A's schema), tied to no
    service of either tenant."""
    b_service = world.in_b(_subscriber, "carol")

    world.acct(_acct("Start", "s-4", f"carol@{world.b.slug}"))
    world.acct(_acct("Interim-Update", "s-4", f"carol@{world.b.slug}", octets=(10, 10)))

    in_a = world.in_a(lambda: list(RadiusSession.objects.filter(session_id="s-4")))
    assert [s.service_id for s in in_a] == [None]
    assert world.in_b(lambda: RadiusSession.objects.filter(session_id="s-4").exists()) is False
    assert world.in_b(_usage, b_service) == (0, 0)


def test_packets_of_one_session_arriving_at_once_count_once_each(world):
    """One session's packets sent at the same time (a NAS retransmitting while the first try is
    in flight, interims crossing a stop), answered by 2 gunicorn workers x 8 threads: the row
    lock in the advance statement orders them, the counters end at the highest reported, and
    the day's usage is what they grew by, counted once. The start is among them: whichever
    packet arrives first opens the session."""
    from concurrent.futures import ThreadPoolExecutor

    service = world.in_a(_subscriber, "racing")
    user = f"racing@{world.a.slug}"
    packets = [_acct("Start", "s-5", user)]
    packets += [
        _acct("Interim-Update", "s-5", user, octets=(n * 100, n * 1_000)) for n in range(1, 25)
    ]
    packets += [_acct("Stop", "s-5", user, octets=(2_500, 25_000), **CAUSE)]
    packets += packets[5:15]  # retransmitted
    # FreeRADIUS drops what an unknown NAS sends while it looks the client up: known first.
    world.auth(**{"User-Name": f"nobody@{world.a.slug}", "User-Password": "not-a-password"})

    with ThreadPoolExecutor(max_workers=12) as pool:
        # Retransmitted as a NAS does (3 tries): what is judged is that each counts once.
        answers = list(pool.map(lambda packet: world.radius.radclient(
            "acct", SECRET_A, packet, retries=3)[0], packets))  # fmt: skip

    assert [a and a["code"] for a in answers] == ["Accounting-Response"] * len(packets)
    sessions = world.in_a(lambda: list(RadiusSession.objects.filter(service_id=service)))
    assert len(sessions) == 1
    assert (sessions[0].input_octets, sessions[0].output_octets) == (2_500, 25_000)
    assert sessions[0].status == "closed"
    assert world.in_a(_usage, service) == (2_500, 25_000)
