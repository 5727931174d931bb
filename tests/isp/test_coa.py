"""Changes of authorization (RFC 5176): the service lifecycle queues a CoA or a Disconnect for
each open session, sent with pyrad to a NAS (a real UDP server on 127.0.0.1) that ACKs, NAKs or
says nothing; retries with back-off, fallbacks, superseded changes, the sweep, the licence."""

import datetime

import pytest
from django.utils import timezone
from pyrad import packet

from apps.core.exceptions import ConflictError
from apps.isp.models import AuthorizationChange, NetworkSettings, RadiusSession, TimelineEvent
from apps.isp.services import coa
from apps.isp.services.subscriptions import (
    service_activate,
    service_change_plan,
    service_restore,
    service_suspend,
    service_terminate,
)
from tests.isp.coa_data import SECRET, Sends, make_nas, move_isp_to, open_session
from tests.isp.factories import ServiceFactory, ServicePlanFactory, active_service
from tests.isp.radius_nas import ACK, SILENT, FakeNas, nak

Status, Action = AuthorizationChange.Status, AuthorizationChange.Action


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.RADIUS_COA_TIMEOUT = 0.1


@pytest.fixture
def on_pro(db, django_capture_on_commit_callbacks):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)


@pytest.fixture
def fake_nas():
    with FakeNas(SECRET) as server:
        yield server


@pytest.fixture
def sends(monkeypatch, django_capture_on_commit_callbacks):
    return Sends(django_capture_on_commit_callbacks).install(monkeypatch)


@pytest.fixture
def live(on_pro, in_tenant_a, fake_nas):
    """An active service on 100/20 Mbit/s with an open session on a MikroTik NAS."""
    service = active_service(plan=ServicePlanFactory(download_mbps=100, upload_mbps=20))
    nas = make_nas(fake_nas.port, name="bras-north")
    session = open_session(service, nas, session_id="81000001", username="ann@tenant-a",
                           framed_ip="100.64.0.9")  # fmt: skip
    return service, session


def network_events(service) -> list[str]:
    rows = TimelineEvent.objects.filter(customer=service.customer, kind=TimelineEvent.Kind.NETWORK)
    return list(rows.order_by("pk").values_list("message", flat=True))


def test_a_suspension_disconnects_the_session_and_the_ack_is_on_the_timeline(live, fake_nas, sends):
    service, session = live

    with sends.capture(execute=True):
        service_suspend(service=service)
    change = AuthorizationChange.objects.get(session=session)
    pending = change.status
    sends.drain()
    change.refresh_from_db()

    assert (pending, change.action, change.reason) == (Status.PENDING, "disconnect", "suspend")
    assert fake_nas.codes == [packet.DisconnectRequest]
    sent = fake_nas.received[0][1]
    assert sent["User-Name"] == ["ann@tenant-a"]
    assert sent["Acct-Session-Id"] == ["81000001"]
    assert sent["Framed-IP-Address"] == ["100.64.0.9"]
    assert change.status == Status.ACKED
    assert change.attempts == 1
    assert change.confirmed_at is not None
    assert change.last_result == "Disconnect acknowledged by bras-north"
    assert network_events(service) == ["Disconnect acknowledged by bras-north"]


def test_a_walled_garden_suspension_sends_a_coa_with_the_pool(live, fake_nas, sends):
    service, session = live
    NetworkSettings.objects.update_or_create(
        pk=1, defaults={"suspended_access": "walled_garden", "walled_garden_pool": "garden"}
    )

    with sends.capture(execute=True):
        service_suspend(service=service)
    sends.drain()

    change = AuthorizationChange.objects.get(session=session)
    assert change.action == Action.COA
    assert fake_nas.codes == [packet.CoARequest]
    assert fake_nas.received[0][1]["Framed-Pool"] == ["garden"]
    assert change.status == Status.ACKED
    assert network_events(service) == ["CoA acknowledged by bras-north"]


def test_a_plan_change_sends_the_new_rate_limit_and_a_future_one_waits(live, fake_nas, sends):
    service, session = live
    faster = ServicePlanFactory(download_mbps=300, upload_mbps=50)
    later = ServicePlanFactory(download_mbps=500, upload_mbps=100)

    with sends.capture(execute=True):
        service_change_plan(service=service, plan=faster)
    sends.drain()
    with sends.capture(execute=True):
        service_change_plan(
            service=service, plan=later, on=timezone.localdate() + datetime.timedelta(days=5)
        )

    change = AuthorizationChange.objects.get(session=session)
    assert change.reason == "plan_change"
    assert change.attributes["Mikrotik-Rate-Limit"] == "50000k/300000k"
    assert fake_nas.received[0][1]["Mikrotik-Rate-Limit"] == ["50000k/300000k"]
    assert fake_nas.received[0][1]["Acct-Interim-Interval"] == [300]
    assert change.status == Status.ACKED
    assert not sends.queued  # the future-dated change reaches the session when it reconnects


def test_a_coa_the_nas_refuses_falls_back_to_a_disconnect(live, fake_nas, sends):
    service, session = live
    fake_nas.answers = [nak(401), ACK]

    with sends.capture(execute=True):
        service_change_plan(service=service, plan=ServicePlanFactory(download_mbps=50))
    sends.drain()

    change = AuthorizationChange.objects.get(session=session)
    assert fake_nas.codes == [packet.CoARequest, packet.DisconnectRequest]
    assert (change.action, change.status, change.attempts) == ("disconnect", "acked", 2)
    assert network_events(service) == [
        "CoA refused by bras-north (Error-Cause 401): disconnecting instead",
        "Disconnect acknowledged by bras-north",
    ]


def test_a_silent_nas_gets_retries_with_back_off_then_the_change_fails(live, fake_nas, sends):
    service, session = live
    fake_nas.answers = [SILENT]

    with sends.capture(execute=True):
        service_terminate(service=service)
    sends.drain()

    change = AuthorizationChange.objects.get(session=session)
    assert len(fake_nas.received) == 6
    assert sends.countdowns == [None, 5.0, 10.0, 20.0, 40.0, 80.0]
    assert (change.status, change.attempts, change.next_attempt_at) == ("failed", 6, None)
    assert change.last_result == "Disconnect to bras-north failed: no answer after 6 attempts"
    events = network_events(service)
    assert events[0] == "Disconnect to bras-north: no answer (attempt 1 of 6), retrying in 5 s"
    assert len(events) == 6


def test_a_retry_is_scheduled_at_its_back_off(live, fake_nas, sends):
    service, session = live
    fake_nas.answers = [SILENT]
    with sends.capture(execute=True):
        service_suspend(service=service)

    before = timezone.now()
    sends.drain(limit=1)
    change = AuthorizationChange.objects.get(session=session)

    assert change.status == Status.PENDING
    assert change.attempts == 1
    assert before + datetime.timedelta(seconds=4) < change.next_attempt_at
    assert change.next_attempt_at < timezone.now() + datetime.timedelta(seconds=6)
    assert sends.queued == [(change.pk, 1)]


def test_session_not_found_means_the_session_is_gone_and_closed(live, fake_nas, sends):
    service, session = live
    fake_nas.answers = [nak(503)]

    with sends.capture(execute=True):
        service_suspend(service=service)
    sends.drain()

    change = AuthorizationChange.objects.get(session=session)
    session.refresh_from_db()
    assert change.status == Status.ACKED
    assert session.status == RadiusSession.Status.STALE
    assert session.stopped_at is not None
    assert "no longer holds the session (Error-Cause 503)" in network_events(service)[0]


def test_a_disconnect_refused_otherwise_fails_at_once(live, fake_nas, sends):
    service, session = live
    fake_nas.answers = [nak(504)]

    with sends.capture(execute=True):
        service_suspend(service=service)
    sends.drain()

    change = AuthorizationChange.objects.get(session=session)
    assert (change.status, change.attempts) == ("failed", 1)
    assert change.last_result == "Disconnect refused by bras-north (Error-Cause 504)"


def test_a_later_decision_supersedes_the_pending_change(live, fake_nas, sends):
    service, session = live
    NetworkSettings.objects.update_or_create(pk=1, defaults={"suspended_access": "walled_garden"})

    with sends.capture(execute=True):
        service_suspend(service=service)
        service_restore(service=service)
    sends.drain()

    first, second = AuthorizationChange.objects.filter(session=session).order_by("pk")
    assert (first.reason, first.status) == ("suspend", "superseded")
    assert first.attempts == 0
    assert f"Superseded by change #{second.pk}" in first.last_result
    assert (second.reason, second.status) == ("restore", "acked")
    assert len(fake_nas.received) == 1
    assert "Framed-Pool" not in fake_nas.received[0][1]


def test_a_redelivered_task_sends_nothing_twice(live, fake_nas, sends):
    service, session = live
    with sends.capture(execute=True):
        service_suspend(service=service)
    change_id, attempt = sends.queued[0]
    sends.drain()

    again = coa.change_attempt(change_id=change_id, attempt=attempt)

    assert again is None
    assert len(fake_nas.received) == 1


def test_a_session_that_ended_meanwhile_needs_no_packet(live, fake_nas, sends):
    service, session = live
    with sends.capture(execute=True):
        service_suspend(service=service)
    RadiusSession.objects.filter(pk=session.pk).update(status=RadiusSession.Status.CLOSED)

    sends.drain()

    change = AuthorizationChange.objects.get(session=session)
    assert change.status == Status.ACKED
    assert fake_nas.received == []
    assert "had already ended" in change.last_result


def test_the_sweep_sends_again_what_is_overdue_only(live, fake_nas, sends):
    service, session = live
    with sends.capture(execute=True):
        service_suspend(service=service)
    sends.queued.clear()  # the task was lost
    lost = AuthorizationChange.objects.get(session=session)
    AuthorizationChange.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    fresh_session = open_session(ServiceFactory(), session.nas)
    AuthorizationChange.objects.create(service=fresh_session.service, session=fresh_session,
                                       action="coa", reason="activate",
                                       next_attempt_at=timezone.now())  # fmt: skip

    with sends.capture(execute=True):
        resent = coa.changes_resend_due()
    sends.drain()

    lost.refresh_from_db()
    assert resent == 1
    assert lost.status == Status.ACKED
    assert len(fake_nas.received) == 1


def test_staff_retry_sends_a_failed_change_again(live, fake_nas, sends):
    service, session = live
    fake_nas.answers = [nak(504), ACK]
    with sends.capture(execute=True):
        service_suspend(service=service)
    sends.drain()
    change = AuthorizationChange.objects.get(session=session)

    with sends.capture(execute=True):
        coa.change_retry(change=change, actor="staff")
    queued = list(sends.queued)
    sends.drain()
    change.refresh_from_db()

    assert queued == [(change.pk, 0)]
    assert (change.status, change.attempts) == ("acked", 1)
    assert "Disconnect sent again (retry)" in network_events(service)


def test_only_a_failed_change_can_be_retried(live, sends):
    service, session = live
    with sends.capture(execute=True):
        service_suspend(service=service)
    change = AuthorizationChange.objects.get(session=session)

    with pytest.raises(ConflictError, match="Only a failed change"):
        coa.change_retry(change=change)


def test_activation_of_a_connected_service_sends_its_profile(on_pro, in_tenant_a, fake_nas, sends):
    service = ServiceFactory(plan=ServicePlanFactory(download_mbps=40, upload_mbps=10))
    open_session(service, make_nas(fake_nas.port, type="other"))

    with sends.capture(execute=True):
        service_activate(service=service)
    sends.drain()

    sent = fake_nas.received[0][1]
    assert sent["WISPr-Bandwidth-Max-Down"] == [40_000_000]
    assert sent["WISPr-Bandwidth-Max-Up"] == [10_000_000]


def test_without_isp_radius_nothing_is_queued_nor_sent(in_tenant_a, fake_nas, sends):
    service = active_service()
    session = open_session(service, make_nas(fake_nas.port))

    with sends.capture(execute=True):
        service_suspend(service=service)

    assert not AuthorizationChange.objects.filter(session=session).exists()
    assert sends.queued == []
    assert fake_nas.received == []


def test_fair_use_slows_the_live_session_by_coa_and_a_top_up_restores_it(
    on_pro, in_tenant_a, fake_nas, sends
):
    """The accounting update that uses the cap up sends the slower rate at once, on the
    session that reported it; the top-up sends the plan's rate back."""
    from decimal import Decimal

    from apps.isp.models import RadiusLogin
    from apps.isp.services.radius import data_top_up_add, radius_account

    plan = ServicePlanFactory(
        download_mbps=100, upload_mbps=20, data_cap_gb=1, fup_download_kbps=1000,
        fup_upload_kbps=500, top_up_price_per_gb=Decimal("1.00"),
    )  # fmt: skip
    service = active_service(plan=plan)
    RadiusLogin.objects.create(service=service, username="ann", password="pw-of-ann-123")
    nas = make_nas(fake_nas.port, name="bras-fup")
    packet = {"Acct-Unique-Session-Id": "fup-1", "Acct-Session-Id": "fup-1",
              "User-Name": "ann@tenant-a", "Acct-Status-Type": "Start"}  # fmt: skip
    radius_account(nas=nas, packet=packet, realm="tenant-a")

    with sends.capture(execute=True):
        radius_account(
            nas=nas, realm="tenant-a",
            packet={**packet, "Acct-Status-Type": "Interim-Update", "Acct-Output-Octets": "0",
                    "Acct-Output-Gigawords": "1"},  # 4.29 GB: over the 1 GB cap
        )  # fmt: skip
    sends.drain()
    with sends.capture(execute=True):
        data_top_up_add(service=service, gigabytes=10)
    sends.drain()

    changes = list(AuthorizationChange.objects.filter(service=service).order_by("pk"))
    assert [(c.reason, c.action, c.status) for c in changes] == [
        ("fair_use", "coa", Status.ACKED),
        ("top_up", "coa", Status.ACKED),
    ]
    assert [p[1]["Mikrotik-Rate-Limit"] for p in fake_nas.received] == [
        ["500k/1000k"],
        ["20000k/100000k"],
    ]
