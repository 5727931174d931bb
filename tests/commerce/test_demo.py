"""The shop's demo (issue 13): about 60 products (routers, cables, plan upgrades), two vendors
with their own products and ledgers, a year of orders, Jane's own orders; stock recounts from
the ledger; fast (bulk), and seeding twice adds nothing."""

import time
from datetime import timedelta

import pytest
from django.db.models import Max, Min
from django.utils import timezone

from apps.commerce import demo
from apps.commerce.models import (
    CommissionEntry,
    Fulfilment,
    Order,
    PayoutBatch,
    Product,
    Stock,
    Vendor,
)
from apps.commerce.services import inventory, vendors
from apps.core.demo import DemoTenant
from apps.identity import services as identity
from apps.identity.models import Role
from tests.conftest import PASSWORD
from tests.isp.factories import ServicePlanFactory

pytestmark = pytest.mark.django_db
ABC = DemoTenant(slug="abc-corp", name="ABC", apps=("isp", "crm", "commerce"))


def test_the_demo_shop_has_products_vendors_a_year_of_orders_and_janes(in_tenant_a):
    jane = identity.user_create(username="jane", password=PASSWORD, email="jane@example.com")
    identity.role_grant(user=jane, role=Role.objects.get(name="Customer"))
    ServicePlanFactory(code="fiber-300")  # the ISP's demo plan (fiber-1000 is not there)

    started = time.monotonic()
    demo.commerce_demo_ensure(tenant=in_tenant_a, demo=ABC, password=PASSWORD)
    took = time.monotonic() - started

    assert 55 <= Product.objects.count() <= 65
    assert Product.objects.filter(category__name="Plan upgrades").count() == 8
    tied = dict(Product.objects.exclude(isp_plan="").values_list("variants__sku", "isp_plan"))
    assert tied == {"UPG-300": "fiber-300"}  # buying it orders the plan; UPG-1G's is missing
    assert set(Vendor.objects.values_list("code", flat=True)) == {"routerworks", "cableco"}
    for vendor in Vendor.objects.all():
        assert vendor.products.exists()
        assert vendor.ledger.filter(kind="accrual").count() > 20
        assert vendors.vendor_balance(vendor) > 0  # the last month is not paid out yet
    assert PayoutBatch.objects.count() == 1
    span = Order.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] - span["first"] > timedelta(days=300)
    assert Order.objects.count() > 400
    assert Order.objects.filter(customer=jane).count() == 6
    assert Fulfilment.objects.filter(vendor__isnull=False).exists()
    assert inventory.stock_recount() == 0  # the ledger sums to what is on hand
    assert not Stock.objects.filter(quantity__lt=0).exists()
    assert CommissionEntry.objects.filter(created_at__lt=timezone.now() - timedelta(days=200))
    assert took < 30, f"the shop's demo took {took:.1f} s"

    counts = (Product.objects.count(), Order.objects.count())
    demo.commerce_demo_ensure(tenant=in_tenant_a, demo=ABC, password=PASSWORD)
    assert (Product.objects.count(), Order.objects.count()) == counts


def test_the_vendors_sign_in_to_their_portal_and_mike_works_the_back_office(in_tenant_a):
    demo.commerce_demo_ensure(tenant=in_tenant_a, demo=ABC, password=PASSWORD)

    from apps.identity.access import granted_areas
    from apps.identity.models import User

    assert "commerce.vendor" in granted_areas(User.objects.get(username="routerworks"))
    assert "commerce" in dict(
        Role.objects.filter(name="Sales Rep").values_list("name", "areas")
    ).get("Sales Rep", [])
