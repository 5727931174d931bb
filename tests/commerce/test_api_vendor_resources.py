"""The marketplace's API resources on the generic resource test: the back office's vendors,
commissions and payout batches, and the vendor portal's own rows (a vendor user of each
tenant runs those checks, and asks each host for the other tenant's ids)."""

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.commerce.models import (
    CommissionEntry,
    Fulfilment,
    OrderLine,
    Payout,
    PayoutBatch,
    Product,
    Stock,
    Vendor,
)
from apps.commerce.services import vendors
from apps.identity import services as identity
from apps.platform.tenants.models import Tenant
from tests.commerce import factories as f
from tests.commerce.base import CommerceResourceTests
from tests.conftest import PASSWORD, TENANTS, HostClient, host_of, obtain_tokens

READ_ONLY = {"list", "retrieve"}
VENDOR_API = "/api/v1/commerce/vendor"
VENDOR = "seller"


class MarketplaceResourceTests(CommerceResourceTests):
    @pytest.fixture(autouse=True)
    def _feature(self, vendor_portal_on):
        """The feature on both tenants (the cross-tenant checks need it on the other one)."""


class TestVendors(MarketplaceResourceTests):
    path = "/api/v1/commerce/vendors/"
    resource_type = "vendor"
    model = Vendor
    maker = staticmethod(f.vendor)
    update_data = {"commission_rate": "12.50", "name": "Renamed"}
    invalid_data = {"code": "bad", "name": "Bad", "commission_rate": "150.00"}

    def create_data(self):
        user = identity.user_create(username="new-seller", password=PASSWORD)
        return {"user": user.pk, "code": "new-seller", "name": "New Seller",
                "commission_rate": "15.00"}  # fmt: skip


class TestCommissions(MarketplaceResourceTests):
    path = "/api/v1/commerce/commissions/"
    resource_type = "commission_entry"
    model = CommissionEntry
    operations = READ_ONLY
    update_data = {"earnings": "1000.00"}

    def make(self, **fields):
        return CommissionEntry.objects.get(line__order=f.vendor_order())


class TestPayoutBatches(MarketplaceResourceTests):
    path = "/api/v1/commerce/payouts/"
    resource_type = "payout_batch"
    model = PayoutBatch
    operations = {"list", "retrieve", "create"}
    update_data = {"total": "1000.00"}
    invalid_data = {"until": "not a date"}

    def make(self, **fields):
        f.vendor_order()
        return vendors.payout_batch_create(actor="test")

    def create_data(self):
        f.vendor_order()
        return {"until": timezone.localdate().isoformat()}


def vendor_api(slug: str, username: str = VENDOR) -> HostClient:
    client = HostClient(host_of(slug))
    return client.authenticate(obtain_tokens(client, username, PASSWORD)["access"])


class VendorPortalResourceTests(MarketplaceResourceTests):
    """A vendor portal resource as a vendor sees it: their own rows only. Tenant A and the
    shop tenant each have a vendor `seller`, whose rows make() makes."""

    outsider_role = "Customer"  # the shop, not the vendor portal

    @pytest.fixture(autouse=True)
    def _a_vendor_in_each_shop(self, tenant_a, shop_tenant_slug, vendor_portal_on):
        for schema in (tenant_a.schema_name, Tenant.objects.get(slug=shop_tenant_slug).schema_name):
            with schema_context(schema):
                f.vendor(username=VENDOR)

    @pytest.fixture
    def api(self, _a_vendor_in_each_shop):
        return vendor_api(TENANTS["a"])

    def tenant_api(self, slug: str) -> HostClient:
        return vendor_api(slug)

    def seller(self):
        return f.vendor(username=VENDOR)


class TestVendorProducts(VendorPortalResourceTests):
    path = f"{VENDOR_API}/products/"
    resource_type = "product"
    model = Product
    create_data = {"name": "Seller's Router", "sku": "SELLER-NEW-1", "price": "59.00",
                   "status": "published"}  # fmt: skip
    update_data = {"price": "49.50", "status": "draft"}
    invalid_data = {"name": "No price", "price": "-1.00"}

    def make(self, **fields):
        return f.product(vendor=self.seller())


class TestVendorStock(VendorPortalResourceTests):
    path = f"{VENDOR_API}/stock/"
    resource_type = "stock"
    model = Stock
    operations = READ_ONLY
    update_data = {"quantity": 1000}

    def make(self, **fields):
        return f.variant_of(f.product(vendor=self.seller(), stock=5)).stocks.get()


class TestVendorOrderLines(VendorPortalResourceTests):
    path = f"{VENDOR_API}/order-lines/"
    resource_type = "order_line"
    model = OrderLine
    operations = READ_ONLY
    update_data = {"quantity": 1000}

    def make(self, **fields):
        return f.vendor_order(vendor=self.seller()).lines.get()


class TestVendorFulfilments(VendorPortalResourceTests):
    path = f"{VENDOR_API}/fulfilments/"
    resource_type = "fulfilment"
    model = Fulfilment
    operations = READ_ONLY
    update_data = {"status": "delivered"}

    def make(self, **fields):
        return f.vendor_order(vendor=self.seller()).fulfilments.get()


class TestVendorLedger(VendorPortalResourceTests):
    path = f"{VENDOR_API}/ledger/"
    resource_type = "commission_entry"
    model = CommissionEntry
    operations = READ_ONLY
    update_data = {"earnings": "1000.00"}

    def make(self, **fields):
        return CommissionEntry.objects.get(line__order=f.vendor_order(vendor=self.seller()))


class TestVendorPayouts(VendorPortalResourceTests):
    path = f"{VENDOR_API}/payouts/"
    resource_type = "payout"
    model = Payout
    operations = READ_ONLY
    update_data = {"amount": "1000.00"}

    def make(self, **fields):
        f.vendor_order(vendor=self.seller())
        return vendors.payout_batch_create(actor="test").payouts.get(vendor=self.seller())
