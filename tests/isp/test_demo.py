"""The ISP demo seeder: a year of believable history through the services, idempotent."""

import datetime

from django.utils import timezone

from apps.core.demo import DemoTenant, DemoUser
from apps.isp import demo
from apps.isp.models import Customer, Invoice, IPAddress, Payment, Prefix, Service, ServicePlan


def test_the_seeder_builds_a_year_of_history_once(in_tenant_a, monkeypatch):
    from apps.identity.services import user_create

    monkeypatch.setitem(demo.CUSTOMERS, "tenant-a", 40)
    jane = user_create(
        username="jane", email="jane@tenant-a.example.com", password="x-Secret-123",
        first_name="Jane", last_name="Doe",
    )  # fmt: skip
    tenant = DemoTenant(
        slug="tenant-a",
        name="A",
        apps=("isp", "crm"),
        users=(DemoUser("jane", "Jane", "Doe", "Customer"),),
    )  # noqa: E501

    demo.isp_demo_ensure(tenant=in_tenant_a, demo=tenant, password="x")
    counts = [Model.objects.count() for Model in (ServicePlan, Customer, Service, Invoice, Payment)]
    demo.isp_demo_ensure(tenant=in_tenant_a, demo=tenant, password="x")

    assert [
        Model.objects.count() for Model in (ServicePlan, Customer, Service, Invoice, Payment)
    ] == counts
    assert counts[0] == 6
    assert counts[1] == 40
    today = timezone.localdate()
    assert Invoice.objects.filter(issue_date__lt=today - datetime.timedelta(days=300)).exists()
    assert (
        Invoice.objects.filter(status="paid").count()
        > Invoice.objects.filter(status="open").count()
    )
    janes = Customer.objects.get(user=jane)
    assert janes.services.filter(status="active").exists()
    assert janes.invoices.filter(status="paid").count() >= 10
    assert janes.invoices.filter(status="open").count() == 1
    # The books balance: every balance is what its documents say.
    for customer in Customer.objects.all():
        owed = (
            sum(customer.invoices.values_list("total", flat=True), 0)
            - sum(customer.credit_notes.values_list("total", flat=True), 0)
            - sum(customer.payments.filter(status="succeeded").values_list("amount", flat=True), 0)
        )
        assert customer.balance == owed, customer
    # The network pages show real content: the address plan, every live service addressed
    # (business plans from the static pool), the core's devices.
    live = Service.objects.filter(status__in=["active", "suspended"])
    assert live.exists()
    assert not live.filter(ip_addresses__isnull=True).exists()
    business = live.filter(plan__code="business-500")
    assert all(
        str(address).startswith("198.51.100.")
        for address in IPAddress.objects.filter(service__in=business).values_list(
            "address", flat=True
        )
    )
    assert Prefix.objects.filter(status="container").count() == 2
    assert IPAddress.objects.filter(vrf__name="management").count() == 3


def test_tenants_without_the_isp_app_get_nothing(in_tenant_a):
    demo.isp_demo_ensure(tenant=in_tenant_a, demo=DemoTenant(slug="x", name="X", apps=("crm",)))

    assert not ServicePlan.objects.exists()
