"""The demo's platform bill and partner (DESIGN.md §10): each demo tenant has a billing account
and a year of invoices, xyz-isp is past due, and the demo partner `partner` who brought xyz-isp
signs in to the portal and sees its ledger. Seeding twice adds nothing."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from apps.platform.billing.models import BillingAccount, Invoice
from apps.platform.licensing.models import Subscription
from apps.platform.partners.models import LedgerEntry, Payout
from tests.conftest import HostClient
from tests.platform.billing.factories import numbers_are_gapless, row_tenants

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_rows():
    """The demo tenants as rows (the bill needs no schema), each with two paying apps."""
    abc, xyz = row_tenants(2)
    abc.slug, xyz.slug = "abc-corp", "xyz-isp"
    abc.save(update_fields=["slug"])
    xyz.save(update_fields=["slug"])
    BillingAccount.objects.filter(tenant__in=[abc, xyz]).delete()
    return abc, xyz


def seed() -> None:
    call_command("seed_billing_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_the_demo_tenants_have_a_year_of_invoices_and_xyz_is_past_due(demo_rows):
    abc, xyz = demo_rows
    seed()
    seed()  # again: nothing more

    for tenant in demo_rows:
        invoices = Invoice.objects.filter(account__tenant=tenant, kind="period").order_by("number")
        assert invoices.count() == 12
        assert len({invoice.period_start for invoice in invoices}) == 12
        assert all(invoice.total > 0 for invoice in invoices)
        assert all(invoice.lines.count() == 2 for invoice in invoices)
    numbers_are_gapless()
    assert not Invoice.objects.filter(account__tenant=abc).exclude(status="paid").exists()
    xyz_invoices = list(Invoice.objects.filter(account__tenant=xyz).order_by("period_start"))
    assert [i.status for i in xyz_invoices] == ["paid"] * 11 + ["open"]
    assert xyz_invoices[-1].payments.get().failure_reason == "Card declined"
    statuses = set(Subscription.objects.filter(tenant=xyz).values_list("status", flat=True))
    assert statuses == {Subscription.Status.PAST_DUE}


def test_the_demo_partner_brought_xyz_and_has_a_ledger(demo_rows, public_client):
    _, xyz = demo_rows
    seed()
    seed()

    entries = LedgerEntry.objects.filter(partner__referral_code="northwind")
    assert set(entries.values_list("tenant__slug", flat=True)) == {"xyz-isp"}
    assert entries.count() == 11 * 2  # eleven paid invoices, two apps each
    paid = Invoice.objects.filter(account__tenant=xyz, status="paid")
    lines = sum(invoice.subtotal for invoice in paid)
    assert sum(e.base for e in entries) == lines
    assert sum(e.amount for e in entries) == (lines * Decimal("0.20")).quantize(Decimal("0.01"))
    payout = Payout.objects.get(partner__referral_code="northwind")
    released = entries.filter(available_on__lte=timezone.localdate())
    assert released.count() >= 20  # held 30 days from payment: all but perhaps last month's
    assert set(payout.entries.all()) == set(released)

    signed_in = public_client.post(
        "/partners/login/", {"username": "partner", "password": settings.DEMO_PASSWORD}
    )
    assert signed_in.status_code == 302
    page = public_client.get("/partners/")
    assert page.status_code == 200
    assert xyz.name.encode() in page.content
    assert HostClient("localhost").get("/partners/").status_code == 302  # no one signed in
