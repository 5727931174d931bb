"""Fair use: the month's data cap checked on each accounting update, the slow-down it causes, and
top-ups that lift it (in process; FreeRADIUS's side is tests/isp/test_radius.py)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.isp.models import DataTopUp, Invoice, Nas, RadiusLogin, TimelineEvent
from apps.isp.services.radius import (
    GIGABYTE,
    data_top_up_add,
    radius_account,
    radius_authorize,
)
from tests.isp.factories import ServicePlanFactory, active_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def capped(in_tenant_a):
    plan = ServicePlanFactory(
        download_mbps=100, upload_mbps=20, data_cap_gb=1, fup_download_kbps=1000,
        fup_upload_kbps=512, top_up_price_per_gb=Decimal("2.00"),
    )  # fmt: skip
    service = active_service(plan=plan)
    RadiusLogin.objects.create(service=service, username="heavy", password="pw-heavy-123")
    nas = Nas.objects.create(name="BNG", address="192.0.2.20", secret="x" * 20)
    return service, nas


def interim(nas, service_id_octets: int, session="s1", status="Interim-Update"):
    return radius_account(
        nas=nas,
        realm="tenant-a",
        packet={
            "Acct-Status-Type": status,
            "Acct-Unique-Session-Id": session,
            "Acct-Session-Id": session,
            "User-Name": "heavy@tenant-a",
            "Acct-Output-Octets": str(service_id_octets % 2**32),
            "Acct-Output-Gigawords": str(service_id_octets >> 32),
        },
    )


def speeds(nas):
    decision = radius_authorize(nas=nas, packet={"User-Name": "heavy@tenant-a"}, realm="tenant-a")
    return decision.reply["Mikrotik-Rate-Limit"]


def test_using_the_cap_up_slows_the_service_down_at_the_update_that_crossed_it(capped):
    service, nas = capped

    interim(nas, GIGABYTE // 2)
    assert speeds(nas) == "20000k/100000k"
    interim(nas, GIGABYTE + 1)

    login = RadiusLogin.objects.get(service=service)
    assert login.throttled_month is not None
    assert speeds(nas) == "512k/1000k"
    assert TimelineEvent.objects.filter(
        customer=service.customer, kind="network", message__contains="used up"
    ).exists()


def test_a_top_up_is_invoiced_and_lifts_the_slow_down(capped):
    service, nas = capped
    interim(nas, GIGABYTE + 1)

    data_top_up_add(service=service, gigabytes=5)

    assert RadiusLogin.objects.get(service=service).throttled_month is None
    assert speeds(nas) == "20000k/100000k"
    invoice = Invoice.objects.filter(customer=service.customer).latest("id")
    line = invoice.lines.get()
    assert (line.amount, line.description.startswith("Data top-up: 5 GB")) == (
        Decimal("10.00"),
        True,
    )
    # Used up again past the new allowance (1 + 5 GB): slowed down again.
    interim(nas, 6 * GIGABYTE + 1)
    assert speeds(nas) == "512k/1000k"


def test_staff_may_grant_a_free_top_up_and_top_ups_are_bounded(capped):
    service, nas = capped
    invoices = Invoice.objects.count()

    data_top_up_add(service=service, gigabytes=1, charge=False)
    for bad in (0, 10_001):
        with pytest.raises(ValidationError, match="Top up 1 to"):
            data_top_up_add(service=service, gigabytes=bad)

    assert Invoice.objects.count() == invoices
    assert DataTopUp.objects.filter(service=service).count() == 1


def test_a_plan_without_a_cap_or_a_top_up_price_refuses_top_ups(in_tenant_a):
    unlimited = active_service(plan=ServicePlanFactory())
    not_sold = active_service(plan=ServicePlanFactory(data_cap_gb=10))

    with pytest.raises(ValidationError, match="no data cap"):
        data_top_up_add(service=unlimited, gigabytes=1)
    with pytest.raises(ValidationError, match="does not sell top-ups"):
        data_top_up_add(service=not_sold, gigabytes=1)
    assert not DataTopUp.objects.exists()


def test_a_cap_without_a_slower_speed_never_slows_down(in_tenant_a):
    service = active_service(plan=ServicePlanFactory(data_cap_gb=1))
    RadiusLogin.objects.create(service=service, username="heavy", password="pw-heavy-123")
    nas = Nas.objects.create(name="BNG", address="192.0.2.21", secret="x" * 20)

    interim(nas, 3 * GIGABYTE)

    assert RadiusLogin.objects.get(service=service).throttled_month is None
