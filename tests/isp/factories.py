"""factory_boy factories for the ISP app (shared by the ISP test modules: keep them stable).

They create through the services (numbering, timeline, audit, limits), so use them inside a
tenant's schema (`with schema_context(tenant.schema_name):`).

    customer = CustomerFactory(billing_day=1)
    plan = ServicePlanFactory(price=Decimal("30.00"), setup_fee=Decimal("50.00"))
    service = active_service(customer=customer, plan=plan, on=date(2026, 3, 1))
"""

import datetime
from decimal import Decimal

import factory

from apps.isp.models import Customer, Service, ServicePlan, TaxClass


def default_tax_class() -> TaxClass:
    tax = TaxClass.objects.filter(is_default=True).first()
    if tax is None:
        tax, _ = TaxClass.objects.get_or_create(
            code="standard", defaults={"name": "Standard rate", "rate": Decimal("20.00")}
        )
    return tax


class CustomerFactory(factory.django.DjangoModelFactory):
    """An account opened through customer_create (prospect until a service is activated)."""

    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    kind = Customer.Kind.RESIDENTIAL
    billing_day = 1
    service_street = factory.Faker("street_address")
    service_city = factory.Faker("city")
    service_postcode = factory.Faker("postcode")
    service_country = "GB"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from apps.isp.services.customers import customer_create

        return customer_create(**kwargs)


class ServicePlanFactory(factory.django.DjangoModelFactory):
    """A monthly plan at 30.00 net with a 50.00 setup fee, taxed at the default rate."""

    class Meta:
        model = ServicePlan

    code = factory.Sequence(lambda n: f"fiber-{n}")
    name = factory.Sequence(lambda n: f"Fiber {n}")
    download_mbps = 100
    upload_mbps = 20
    price = Decimal("30.00")
    setup_fee = Decimal("50.00")
    billing_period = "monthly"
    tax_class = factory.LazyFunction(default_tax_class)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from apps.isp.services.plans import plan_create

        return plan_create(**kwargs)


class ServiceFactory(factory.django.DjangoModelFactory):
    """A pending service ordered through service_create."""

    class Meta:
        model = Service

    customer = factory.SubFactory(CustomerFactory)
    plan = factory.SubFactory(ServicePlanFactory)
    install_street = factory.Faker("street_address")
    install_city = factory.Faker("city")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from apps.isp.services.subscriptions import service_create

        return service_create(**kwargs)


def active_service(
    *,
    customer: Customer | None = None,
    plan: ServicePlan | None = None,
    on: datetime.date | None = None,
    **fields,
) -> Service:
    """A service ordered and activated on `on` (default today): its first invoice (setup fee
    and first period) is issued. `fields`: price_override, discount_percent, install_*."""
    from apps.isp.services.subscriptions import service_activate

    service = ServiceFactory(
        customer=customer or CustomerFactory(),
        plan=plan or ServicePlanFactory(),
        **fields,
    )
    service_activate(service=service, on=on)
    return service
