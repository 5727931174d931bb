"""The partner program in the platform console: partners created through the service with
their rules, the overview (platform monitoring by partner: tenants, MRR, commission), the
ledger and payouts read-only, the "pay out" action and a payout's CSV; all for platform staff
with the permission only, and absent on a tenant host."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.models import AuditEntry
from apps.platform.partners.models import LedgerEntry, Partner, Payout
from apps.platform.partners.services import attribute
from tests.conftest import HostClient
from tests.platform.billing.test_console import operator
from tests.platform.billing.test_partners import invoice_for

OVERVIEW = "/admin/partners/partner/overview/"
PAGES = [OVERVIEW, "/admin/partners/partner/", "/admin/partners/ledgerentry/",
         "/admin/partners/payout/", "/admin/partners/partner/add/"]  # fmt: skip


def earned(partner, tenant, amount="30.00", days_ago=40):
    """A ledger entry of `tenant`'s paid invoice, available `days_ago - 30` days ago."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    invoice = invoice_for(tenant, day)
    return LedgerEntry.objects.create(
        partner=partner, tenant=tenant, invoice=invoice, kind="accrual", key=f"k:{invoice.pk}",
        app_key="crm", base=Decimal("100.00"), percent=Decimal("30"), amount=Decimal(amount),
        available_on=day + datetime.timedelta(days=30),
    )  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_partner_pages_open_to_staff_with_the_permission_only(partner, path):
    viewer = operator("viewer", "view_partner", "add_partner", "view_ledgerentry", "view_payout")
    assert viewer.get(path).status_code == 200
    nobody = operator("nobody")  # staff without the permission
    assert nobody.get(path).status_code == 403
    assert HostClient("localhost").get(path).status_code == 302  # to sign in


def test_partner_pages_are_not_on_a_tenant_host(client_a):
    client_a.sign_in()  # the tenant's super admin
    for path in PAGES:
        assert client_a.get(path).status_code == 404


def test_the_overview_shows_each_partners_tenants_mrr_and_commission(partner, tenant_a):
    attribute(tenant=tenant_a, referral_code="acme", actor="signup")
    earned(partner, tenant_a, amount="30.00")
    admin = operator("root", superuser=True)

    page = admin.get(OVERVIEW).content.decode()

    assert 'data-testid="partner-acme"' in page
    row = page[page.index("<tbody>") :]
    assert "Acme Resellers" in row
    assert "30.00" in row
    assert ">1<" in row  # one tenant brought


def test_a_partner_is_created_through_the_service_and_audited(db):
    connection.set_schema_to_public()
    admin = operator("root", superuser=True)
    form = {"name": "Fibre Friends", "referral_code": "fibre", "email": "pay@ff.example",
            "is_active": "on"}  # fmt: skip
    for prefix in ("rules", "users", "attributions"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    response = admin.post("/admin/partners/partner/add/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    created = Partner.objects.get(referral_code="fibre")
    assert AuditEntry.objects.filter(object_type="partners.partner",
                                     object_id=str(created.pk)).exists()  # fmt: skip


def test_pay_out_makes_one_batch_of_what_is_available_and_its_csv_downloads(partner, tenant_a):
    attribute(tenant=tenant_a, referral_code="acme", actor="signup")
    entry = earned(partner, tenant_a, amount="30.00")
    admin = operator("root", superuser=True)
    action = {"action": "pay_out", "_selected_action": [partner.pk]}

    admin.post("/admin/partners/partner/", action)
    again = admin.post("/admin/partners/partner/", action, follow=True)

    payout = Payout.objects.get()
    assert payout.total == Decimal("30.00")
    entry.refresh_from_db()
    assert entry.payout == payout
    assert "nothing to pay out" in again.content.decode()  # no second batch
    csv = admin.get(f"/admin/partners/payout/{payout.pk}/csv/")
    assert csv.status_code == 200
    assert csv["Content-Type"] == "text/csv"
    assert "30.00" in csv.content.decode().splitlines()[1]
    assert operator("nobody").get(f"/admin/partners/payout/{payout.pk}/csv/").status_code == 403


def test_ledger_and_payouts_are_read_only(partner, tenant_a):
    entry = earned(partner, tenant_a)
    admin = operator("root", superuser=True)

    assert admin.get("/admin/partners/ledgerentry/add/").status_code == 403
    assert admin.post(f"/admin/partners/ledgerentry/{entry.pk}/delete/", {"post": "yes"}
                      ).status_code == 403  # fmt: skip
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()
