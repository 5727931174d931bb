"""factory_boy factories for the ISP API tests. Each creates through the services (numbering,
limits, audit, timeline), so call them inside the tenant's schema (`schema_context`)."""

from decimal import Decimal

import factory

from apps.isp.models import Customer, CustomerContact, DunningStep, ServicePlan, TaxClass
from apps.isp.services.customers import contact_create, customer_create
from apps.isp.services.plans import plan_create


class CustomerFactory(factory.Factory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n:03d}")
    email = factory.Sequence(lambda n: f"customer{n:03d}@example.com")
    kind = Customer.Kind.RESIDENTIAL

    @classmethod
    def _create(cls, model_class, **fields):
        return customer_create(**fields)


class ContactFactory(factory.Factory):
    class Meta:
        model = CustomerContact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n:03d}")
    role = CustomerContact.Role.BILLING
    email = factory.Sequence(lambda n: f"contact{n:03d}@example.com")

    @classmethod
    def _create(cls, model_class, **fields):
        return contact_create(**fields)


class TaxClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxClass

    code = factory.Sequence(lambda n: f"tax-{n:03d}")
    name = factory.Sequence(lambda n: f"Tax {n:03d}")
    rate = Decimal("10.00")


def default_tax_class() -> TaxClass:
    return TaxClass.objects.get(is_default=True)


class PlanFactory(factory.Factory):
    class Meta:
        model = ServicePlan

    code = factory.Sequence(lambda n: f"fibre-{n:03d}")
    name = factory.Sequence(lambda n: f"Fibre {n:03d}")
    download_mbps = 100
    upload_mbps = 20
    price = Decimal("30.00")
    setup_fee = Decimal("50.00")
    tax_class = factory.LazyFunction(default_tax_class)

    @classmethod
    def _create(cls, model_class, **fields):
        return plan_create(**fields)


class DunningStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DunningStep

    name = factory.Sequence(lambda n: f"Step {n:03d}")
    days_overdue = factory.Sequence(lambda n: 30 + n)
    action = DunningStep.Action.REMINDER
