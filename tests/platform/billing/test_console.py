"""The console's bill on the public host: invoices, payments, failed payments and the revenue
page (MRR, ARR and churn by app, invoiced by month), for platform staff with the permission."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from apps.platform.billing import selectors
from apps.platform.billing.models import Payment
from apps.platform.licensing.models import Subscription
from tests.conftest import HostClient
from tests.platform.billing.factories import plan
from tests.platform.billing.test_surfaces import invoice_for

REVENUE = "/admin/billing/invoice/revenue/"
PAGES = [REVENUE, "/admin/billing/invoice/", "/admin/billing/payment/",
         "/admin/billing/billingaccount/"]  # fmt: skip


def operator(username: str, *permissions: str, superuser: bool = False) -> HostClient:
    from apps.identity.models import User

    connection.set_schema_to_public()
    if superuser:
        User.objects.create_superuser(username, f"{username}@example.com", "op-password-1")
    else:
        user = User.objects.create_user(username, password="op-password-1", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    return HostClient("localhost").sign_in(username, "op-password-1")


@pytest.mark.parametrize("path", PAGES)
def test_console_billing_pages_open_to_staff_with_the_permission_only(db, tenant_a, path):
    invoice_for(tenant_a)
    viewer = operator("viewer", "view_invoice", "view_payment", "view_billingaccount")
    assert viewer.get(path).status_code == 200
    nobody = operator("nobody")  # staff, without the permission
    assert nobody.get(path).status_code == 403
    assert HostClient("localhost").get(path).status_code == 302  # to sign in


def test_the_console_bill_is_not_on_a_tenant_host(client_a):
    client_a.sign_in()  # the tenant's super admin
    for path in PAGES:
        assert client_a.get(path).status_code == 404


def test_revenue_page_shows_mrr_arr_and_churn_by_app_and_failed_payments(db, tenant_a, tenant_b):
    Subscription.objects.filter(tenant__in=[tenant_a, tenant_b]).update(
        status=Subscription.Status.ACTIVE, current_period_start=timezone.now()
    )
    # Tenant B cancels ISP now: one of the ISP's paying subscriptions churned.
    Subscription.objects.filter(tenant=tenant_b, app__key="isp").update(
        status=Subscription.Status.CANCELLED, cancelled_at=timezone.now()
    )
    failing = invoice_for(tenant_a, total="12.34")  # with a failed attempt
    console = operator("boss", superuser=True)

    page = console.get(REVENUE)

    assert page.status_code == 200
    rows = {row["app"].key: row for row in page.context["apps"]}
    isp_price = Subscription.objects.get(tenant=tenant_a, app__key="isp").plan.monthly_price
    assert rows["isp"]["mrr"] == isp_price
    assert rows["isp"]["arr"] == isp_price * 12
    assert (rows["isp"]["paying"], rows["isp"]["churned"]) == (1, 1)
    assert rows["isp"]["churn_percent"] == 50.0
    assert rows["projects"]["paying"] == 1
    assert rows["projects"]["churned"] == 0
    assert page.context["mrr_total"] == sum(row["mrr"] for row in rows.values())
    assert failing.display_number.encode() in page.content
    assert b"Card declined" in page.content
    may = next(row for row in page.context["months"] if row["month"] == datetime.date(2026, 5, 1))
    assert may["invoiced"] >= Decimal("12.34")
    assert len(page.context["months"]) == 12


def test_invoiced_by_month_sums_each_month_and_fills_empty_ones(db, tenant_a):
    invoice = invoice_for(tenant_a, total="20.00")  # issued 3 May 2026
    Payment.objects.filter(invoice=invoice).delete()
    months = selectors.invoiced_by_month(months=3, today=datetime.date(2026, 6, 15))
    assert [row["month"] for row in months] == [datetime.date(2026, 4, 1),
                                                datetime.date(2026, 5, 1),
                                                datetime.date(2026, 6, 1)]  # fmt: skip
    assert [row["invoiced"] for row in months] == [Decimal("0"), Decimal("20.00"), Decimal("0")]
    assert months[1]["open"] == Decimal("20.00")
    assert months[1]["count"] == 1


def test_mrr_uses_the_billed_price_version(db, tenant_c):
    from apps.platform.billing.services import accounts

    crm = Subscription.objects.get(tenant=tenant_c, app__key="crm")
    Subscription.objects.filter(tenant=tenant_c).update(status=Subscription.Status.CANCELLED)
    Subscription.objects.filter(pk=crm.pk).update(status=Subscription.Status.ACTIVE,
                                                  plan=plan("crm", "pro"))  # fmt: skip
    crm.refresh_from_db()
    billing = accounts.billing_of(crm)
    price = accounts.price_publish(
        plan=plan("crm", "pro"), amount=Decimal("10.00"), per_seat=True,
        seat_meter="crm.max_users", actor="test",
    )  # fmt: skip
    accounts.price_move(subscriptions=[crm], price=price, actor="test")
    billing.refresh_from_db()
    billing.seats = 4
    billing.save()
    rows = {row["app"].key: row for row in selectors.revenue_by_app()}
    assert rows["crm"]["mrr"] == Decimal("40.00")


def test_an_invoice_page_shows_its_lines_read_only(db, tenant_a):
    invoice = invoice_for(tenant_a, total="12.34")
    root = operator("root", superuser=True)

    page = root.get(f"/admin/billing/invoice/{invoice.pk}/change/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "CRM Pro" in body  # the line, shown by the read-only inline
    assert 'name="lines-0-description"' not in body  # no editable line field
