"""factory_boy factories the ISP API tests add to tests/isp/factories.py (whose customers,
plans and services they reuse). Call them inside the tenant's schema (`schema_context`)."""

from decimal import Decimal

import factory

from apps.isp.models import CreditNote, CustomerContact, DunningStep, Invoice, Payment, TaxClass
from apps.isp.models.billing import LineKind
from apps.isp.services.billing import LineDraft, credit_note_create, invoice_create
from apps.isp.services.customers import contact_create
from apps.isp.services.payments import payment_record
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


def adjustment(amount: str = "40.00", description: str = "Router", rate: str = "20.00"):
    return LineDraft(
        kind=LineKind.ADJUSTMENT,
        description=description,
        amount=Decimal(amount),
        tax_rate=Decimal(rate),
    )


class InvoiceFactory(factory.Factory):
    """A hand-issued invoice: one 40.00 line at 20% (48.00), through invoice_create."""

    class Meta:
        model = Invoice

    customer = factory.SubFactory(CustomerFactory)
    lines = factory.LazyFunction(lambda: [adjustment()])
    issue_date = None

    @classmethod
    def _create(cls, model_class, **fields):
        return invoice_create(**fields)


class CreditNoteFactory(factory.Factory):
    class Meta:
        model = CreditNote

    customer = factory.SubFactory(CustomerFactory)
    lines = factory.LazyFunction(lambda: [adjustment("10.00", "Goodwill")])
    reason = "Goodwill"

    @classmethod
    def _create(cls, model_class, **fields):
        return credit_note_create(**fields)


class PaymentFactory(factory.Factory):
    class Meta:
        model = Payment

    customer = factory.SubFactory(CustomerFactory)
    amount = Decimal("25.00")
    method = Payment.Method.BANK_TRANSFER

    @classmethod
    def _create(cls, model_class, **fields):
        return payment_record(**fields)
