"""The tenant console's marketplace pages: vendors made and changed through the vendor services,
the commission ledger and payout batches read-only, payouts marked paid by an action through
the service (once); none of it without the plan's vendor portal, for staff without the model's
permission, or for another tenant's rows."""

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.commerce.models import CommissionEntry, Payout, Vendor
from apps.commerce.services import vendors
from apps.core.exceptions import ConflictError
from apps.core.models import AuditEntry
from apps.identity import services as identity
from apps.identity.models import User
from tests.commerce import factories as f
from tests.commerce.conftest import SHOP_TENANT
from tests.commerce.test_vendors import two_vendor_order
from tests.conftest import TENANTS, HostClient, host_of

pytestmark = pytest.mark.django_db
ADMIN = "/admin/commerce"


@pytest.fixture
def console(db):
    return HostClient(host_of(TENANTS["a"])).sign_in()


@pytest.fixture
def paid_out(vendor_portal_on, tenant_a):
    """Two vendors with sales in tenant A, and a payout batch paying both."""
    with schema_context(tenant_a.schema_name):
        alpha, beta = f.vendor(username="adm-alpha", rate="10.00"), f.vendor(username="adm-beta")
        two_vendor_order(alpha, beta)
        batch = vendors.payout_batch_create(until=timezone.localdate())
        batch.ids = [str(pk) for pk in batch.payouts.order_by("pk").values_list("pk", flat=True)]
        return batch, alpha, beta


def test_every_marketplace_page_opens(console, paid_out):
    batch, alpha, _ = paid_out
    payout = batch.ids[0]
    with schema_context("tenant_a"):
        entry = CommissionEntry.objects.first()

    for path in (
        "vendor/",
        f"vendor/{alpha.pk}/change/",
        "vendor/add/",
        "commissionentry/",
        f"commissionentry/{entry.pk}/change/",
        "payoutbatch/",
        f"payoutbatch/{batch.pk}/change/",
        "payout/",
        f"payout/{payout}/change/",
    ):
        assert console.get(f"{ADMIN}/{path}").status_code == 200, path  # fmt: skip
    index = console.get("/admin/").content.decode()
    batch_page = console.get(f"{ADMIN}/payoutbatch/{batch.pk}/change/").content.decode()

    assert f"{ADMIN}/payout/" in index
    assert "dm-readonly-inline" in batch_page
    assert alpha.name in batch_page


def test_a_vendor_made_in_the_console_goes_through_the_service(console, vendor_portal_on):
    with schema_context("tenant_a"):
        user = identity.user_create(username="adm-seller", password="seller-password-1")

    made = console.post(f"{ADMIN}/vendor/add/", {"user": user.pk, "code": "adm-seller",
                                                 "name": "Adm Seller", "commission_rate": "7.50",
                                                 "is_active": "on"})  # fmt: skip
    bad_rate = console.post(f"{ADMIN}/vendor/add/", {"user": user.pk, "code": "x", "name": "X",
                                                     "commission_rate": "120"})  # fmt: skip

    assert made.status_code == 302
    assert bad_rate.status_code == 200  # the form again, with the error
    with schema_context("tenant_a"):
        vendor = Vendor.objects.get(code="adm-seller")
        assert vendor.user.roles.filter(name="Vendor").exists()  # the service's role grant
        assert AuditEntry.objects.filter(object_type="commerce.vendor", action="create",
                                         object_id=str(vendor.pk)).exists()  # fmt: skip
        assert Vendor.objects.count() == 1


def test_a_vendor_who_has_sold_is_not_deleted(console, paid_out):
    _, alpha, _ = paid_out

    refused = console.post(f"{ADMIN}/vendor/{alpha.pk}/delete/", {"post": "yes"}, follow=True)

    assert "Cannot delete vendor" in refused.content.decode()  # its products and ledger
    with schema_context("tenant_a"):
        assert Vendor.objects.filter(pk=alpha.pk).exists()


def test_the_ledger_and_batches_are_read_only(console, paid_out):
    batch, _, _ = paid_out
    payout = batch.ids[0]
    with schema_context("tenant_a"):
        entry = CommissionEntry.objects.first()

    assert console.get(f"{ADMIN}/commissionentry/add/").status_code == 403
    assert console.post(f"{ADMIN}/commissionentry/{entry.pk}/change/", {}).status_code == 403
    assert console.get(f"{ADMIN}/commissionentry/{entry.pk}/delete/").status_code == 403
    assert console.get(f"{ADMIN}/payoutbatch/add/").status_code == 403
    assert console.get(f"{ADMIN}/payoutbatch/{batch.pk}/delete/").status_code == 403
    assert console.post(f"{ADMIN}/payout/{payout}/change/", {}).status_code == 403


def test_payouts_are_marked_paid_once_through_the_service(console, paid_out):
    batch, _, _ = paid_out
    ids = batch.ids

    def mark():
        return console.post(f"{ADMIN}/payout/", {"action": "mark_paid",
                                                 helpers.ACTION_CHECKBOX_NAME: ids},
                            follow=True)  # fmt: skip

    done = mark().content.decode()
    again = mark().content.decode()

    assert done.count("marked paid.") == 2
    assert again.count("Could not mark paid") == 2
    with schema_context("tenant_a"):
        paid = list(Payout.objects.filter(pk__in=ids))
        assert all(p.paid_at is not None and p.paid_by == "owner" for p in paid)
        assert AuditEntry.objects.filter(object_type="commerce.payout",
                                         action="mark_paid").count() == 2  # fmt: skip
        with pytest.raises(ConflictError):
            vendors.payout_mark_paid(payout=paid[0])


def test_without_the_vendor_portal_the_pages_are_hidden_and_refused(console, tenant_a):
    index = console.get("/admin/").content.decode()

    assert f"{ADMIN}/product/" in index  # the shop's other pages stay
    for model in ("vendor", "commissionentry", "payoutbatch", "payout"):
        assert f"{ADMIN}/{model}/" not in index
        assert console.get(f"{ADMIN}/{model}/").status_code == 403


def _staffer(username: str, *codenames: str) -> HostClient:
    with schema_context("tenant_a"):
        user = identity.user_create(username=username, password="staff-pass-123")
        User.objects.filter(pk=user.pk).update(is_staff=True)
        for codename in codenames:
            user.user_permissions.add(
                Permission.objects.get(codename=codename, content_type__app_label="commerce")
            )
    return HostClient(host_of(TENANTS["a"])).sign_in(username, "staff-pass-123")


def test_staff_without_the_models_permission_are_refused(paid_out):
    batch, alpha, _ = paid_out
    nobody = _staffer("adm-nobody")
    viewer = _staffer("adm-viewer", "view_payout", "view_vendor")
    ids = batch.ids

    for model in ("vendor", "commissionentry", "payoutbatch", "payout"):
        assert nobody.get(f"{ADMIN}/{model}/").status_code == 403
    assert nobody.get(f"{ADMIN}/vendor/{alpha.pk}/change/").status_code == 403
    listing = viewer.get(f"{ADMIN}/payout/")
    refused = viewer.post(f"{ADMIN}/payout/", {"action": "mark_paid",
                                               helpers.ACTION_CHECKBOX_NAME: ids})  # fmt: skip
    vendor_edit = viewer.post(
        f"{ADMIN}/vendor/{alpha.pk}/change/",
        {"code": alpha.code, "name": "Renamed", "commission_rate": "1"},
    )

    assert listing.status_code == 200
    assert "mark_paid" not in listing.content.decode()  # the action is not offered
    assert refused.status_code in (200, 302, 403)
    assert vendor_edit.status_code == 403
    assert viewer.get(f"{ADMIN}/commissionentry/").status_code == 403
    with schema_context("tenant_a"):
        assert not Payout.objects.filter(pk__in=ids, paid_at__isnull=False).exists()
        assert Vendor.objects.get(pk=alpha.pk).name == alpha.name


def test_another_tenants_payouts_are_unknown_here(console, vendor_portal_on, shop_tenant_slug):
    from apps.platform.tenants.models import Tenant

    with schema_context(Tenant.objects.get(slug=SHOP_TENANT).schema_name):
        alpha, beta = f.vendor(username="other-alpha"), f.vendor(username="other-beta")
        two_vendor_order(alpha, beta)
        batch = vendors.payout_batch_create(until=timezone.localdate())
        payout = batch.payouts.first()
    with schema_context("tenant_a"):
        assert not Payout.objects.filter(pk=payout.pk).exists()  # the same id is not A's either

    change = console.get(f"{ADMIN}/payout/{payout.pk}/change/", follow=True)
    marked = console.post(f"{ADMIN}/payout/", {"action": "mark_paid",
                                               helpers.ACTION_CHECKBOX_NAME: [str(payout.pk)]},
                          follow=True)  # fmt: skip

    assert change.redirect_chain[-1][0] == "/admin/"
    assert "marked paid." not in marked.content.decode()
    with schema_context(Tenant.objects.get(slug=SHOP_TENANT).schema_name):
        assert Payout.objects.get(pk=payout.pk).paid_at is None
