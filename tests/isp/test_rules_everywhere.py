"""A rule of the ISP lives in its services, so the API and the tenant admin refuse the same
bad input with the same message (the API's serializers used to hold some of these rules, and
the admin did not know them)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from apps.core.kit import organisation
from apps.core.kit.organisation import organisation_update
from apps.crm.models import Opportunity
from apps.identity.models import User
from apps.isp.models import CustomerContact, Invoice, Service, ServicePlan
from apps.isp.services.billing import LineDraft, invoice_create
from apps.isp.services.plans import plan_retire
from tests.conftest import HostClient
from tests.crm.factories import AccountFactory, OpportunityFactory
from tests.isp.api_factories import ContactFactory, CustomerFactory
from tests.isp.factories import ServicePlanFactory, active_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(db) -> HostClient:
    return HostClient("tenant-a.localhost").sign_in()


def page_text(response) -> str:
    return response.content.decode()


def test_a_contact_stays_with_its_customer_on_the_api_and_in_the_admin(api_a, console, tenant_a):
    with schema_context(tenant_a.schema_name):
        contact = ContactFactory()
        other = CustomerFactory()
    message = "A contact cannot move to another customer."

    api = api_a.patch(
        f"/api/v1/isp/customer-contacts/{contact.pk}/", {"customer": other.pk},
        content_type="application/json",
    )  # fmt: skip
    admin = console.post(
        f"/admin/isp/customercontact/{contact.pk}/change/",
        {"customer": other.pk, "name": contact.name, "role": contact.role,
         "email": contact.email, "phone": contact.phone},
        follow=True,
    )  # fmt: skip

    assert api.status_code == 400
    assert api.json()["error"]["details"] == [{"field": "customer", "message": message}]
    assert message in page_text(admin)
    with schema_context(tenant_a.schema_name):
        assert CustomerContact.objects.get(pk=contact.pk).customer_id == contact.customer_id


def test_a_retired_plan_is_not_ordered_on_the_api_nor_in_the_admin(api_a, console, tenant_a):
    with schema_context(tenant_a.schema_name):
        customer = CustomerFactory()
        plan = plan_retire(plan=ServicePlanFactory(name="Old Fibre"))
    message = "Old Fibre is retired and no longer sold."

    api = api_a.post_json("/api/v1/isp/services/", {"customer": customer.pk, "plan": plan.pk})
    admin = console.post(
        "/admin/isp/service/add/",
        {"customer": customer.pk, "plan": plan.pk, "discount_percent": "0",
         "plan_changes-TOTAL_FORMS": "0", "plan_changes-INITIAL_FORMS": "0"},
        follow=True,
    )  # fmt: skip

    assert api.status_code == 400
    assert api.json()["error"]["details"] == [{"field": "plan", "message": message}]
    assert message in page_text(admin)
    with schema_context(tenant_a.schema_name):
        assert not Service.objects.filter(customer=customer).exists()


def test_the_plan_and_customer_of_a_service_do_not_change_by_editing_it(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        service = active_service()
        other_plan = ServicePlanFactory()

    response = api_a.patch(
        f"/api/v1/isp/services/{service.pk}/", {"plan": other_plan.pk},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": "plan", "message": "Cannot be changed here: use change-plan."}
    ]
    with schema_context(tenant_a.schema_name):
        assert Service.objects.get(pk=service.pk).plan_id == service.plan_id


def test_an_invoice_line_for_another_customers_service_is_refused_by_the_service(in_tenant_a):
    service = active_service()
    stranger = CustomerFactory()
    line = LineDraft(kind="adjustment", description="x", amount=Decimal("5.00"), service=service)
    before = Invoice.objects.count()

    with pytest.raises(ValidationError) as refused:
        invoice_create(customer=stranger, lines=[line])

    assert refused.value.message_dict == {
        "lines.0.service": ["This service belongs to another customer."]
    }
    assert Invoice.objects.count() == before


def test_an_invoice_line_without_a_rate_takes_the_default_tax_class(in_tenant_a):
    customer = CustomerFactory()
    line = LineDraft(kind="adjustment", description="x", amount=Decimal("10.00"), tax_rate=None)

    invoice = invoice_create(customer=customer, lines=[line])

    assert (invoice.tax_total, invoice.total) == (Decimal("2.00"), Decimal("12.00"))


# --- One currency, read one way ----------------------------------------------------------------


def test_the_organisations_currency_is_every_apps(api_a, tenant_a):
    """Invoices, plans and the CRM's deals all take the one setting (core.OrganisationSettings)
    the moment it changes."""
    with schema_context(tenant_a.schema_name):
        organisation_update(currency="EUR")
        customer = CustomerFactory()
        plan = ServicePlanFactory()
        owner = User.objects.get(username="owner")
        deal = OpportunityFactory(owner=owner, account=AccountFactory(owner=owner))
        assert organisation.currency() == "EUR"

    invoice = api_a.post_json(
        "/api/v1/isp/invoices/",
        {"customer": customer.pk, "lines": [{"description": "Survey", "amount": "10.00"}]},
    )
    shown_plan = api_a.get(f"/api/v1/isp/plans/{plan.pk}/")
    shown_deal = api_a.get(f"/api/v1/crm/opportunities/{deal.pk}/")

    assert invoice.json()["data"]["attributes"]["currency"] == "EUR"
    assert shown_plan.json()["data"]["attributes"]["currency"] == "EUR"
    assert shown_deal.json()["data"]["attributes"]["currency"] == "EUR"
    with schema_context(tenant_a.schema_name):
        assert Opportunity.objects.filter(pk=deal.pk).exists()
        assert ServicePlan.objects.filter(pk=plan.pk).exists()


def test_a_currency_that_is_not_three_capitals_is_refused(in_tenant_a):
    with pytest.raises(ValidationError) as refused:
        organisation_update(currency="euro")

    assert "currency" in refused.value.message_dict
    assert organisation.currency() == "USD"
