"""factory_boy factories the ISP API tests add to tests/isp/factories.py (whose customers,
plans and services they reuse). Call them inside the tenant's schema (`schema_context`)."""

from decimal import Decimal

import factory

from apps.isp.models import CustomerContact, DunningStep, TaxClass
from apps.isp.services.customers import contact_create
from tests.isp.factories import (  # noqa: F401 (re-exported for the API tests)
    CustomerFactory,
    ServiceFactory,
    ServicePlanFactory,
    active_service,
    default_tax_class,
)


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


PlanFactory = ServicePlanFactory


class DunningStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DunningStep

    name = factory.Sequence(lambda n: f"Step {n:03d}")
    days_overdue = factory.Sequence(lambda n: 30 + n)
    action = DunningStep.Action.REMINDER
