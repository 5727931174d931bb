"""The tenant admin's ISP section: every model listed, writes through the services (the customer
limit with a clear message and nothing written), documents read-only, lifecycle actions, and
nothing of it for a tenant without ISP."""

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin import helpers
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.isp.models import Customer, CustomerContact, Service, TimelineEvent
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.conftest import HostClient
from tests.isp.api_factories import (
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
    ServiceFactory,
    active_service,
)

pytestmark = pytest.mark.django_db
ADMIN = "/admin/isp"


@pytest.fixture
def console(db):
    return HostClient("tenant-a.localhost").sign_in()


def customer_form(**fields) -> dict:
    data = {
        "kind": "residential",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "billing_day": "1",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    return {**data, **fields}


def isp_model_admins():
    return [model for model in django_admin.site._registry if model._meta.app_label == "isp"]


def test_every_isp_model_is_registered():
    from django.apps import apps

    missing = {
        model.__name__
        for model in apps.get_app_config("isp").get_models()
        if model not in django_admin.site._registry
    }
    # shown inline on their documents, tickets and work orders
    assert missing <= {
        "InvoiceLine",
        "CreditNoteLine",
        "TicketReply",
        "TicketAttachment",
        "ChecklistItem",
        "WorkOrderPart",
        "WorkOrderFile",
        "WorkOrderEvent",
    }


def test_every_isp_list_and_the_index_render(console, in_tenant_a):
    invoice = InvoiceFactory()
    PaymentFactory(customer=invoice.customer)
    active_service()

    index = console.get("/admin/").content.decode()

    assert "ISP Framework" in index
    for model in isp_model_admins():
        path = f"{ADMIN}/{model._meta.model_name}/"
        response = console.get(path)
        assert response.status_code == 200, path


def test_opening_an_account_numbers_it_and_records_it(console, in_tenant_a):
    response = console.post(f"{ADMIN}/customer/add/", customer_form())

    assert response.status_code == 302, response.content.decode()[:3000]
    customer = Customer.objects.get(name="Ada Lovelace")
    assert customer.account_number.startswith("C")
    assert customer.timeline.get().kind == TimelineEvent.Kind.CREATED
    assert AuditEntry.objects.filter(object_type="isp.customer", action="create").exists()


def test_opening_an_account_past_the_limit_says_why_and_writes_nothing(
    console, in_tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=in_tenant_a, app__key="isp"),
            limits={"isp.max_customers": 1},
            actor="test",
        )
    CustomerFactory()

    response = console.post(f"{ADMIN}/customer/add/", customer_form())

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your plan allows 1 for isp.max_customers" in page
    assert "upgrade the ISP plan" in page
    with schema_context(in_tenant_a.schema_name):
        assert not Customer.objects.filter(name="Ada Lovelace").exists()


def test_balance_and_account_number_are_not_editable(console, in_tenant_a):
    customer = CustomerFactory()

    form = console.get(f"{ADMIN}/customer/{customer.pk}/change/").context["adminform"].form

    assert "balance" not in form.fields
    assert "account_number" not in form.fields
    assert "status" in form.fields


def test_editing_an_account_goes_through_the_service_and_its_contacts_too(console, in_tenant_a):
    customer = CustomerFactory(name="Old Name", email="old@example.com")

    response = console.post(
        f"{ADMIN}/customer/{customer.pk}/change/",
        customer_form(
            name="New Name",
            email="old@example.com",
            status="prospect",
            **{
                "contacts-TOTAL_FORMS": "1",
                "contacts-0-name": "Bea Billing",
                "contacts-0-role": "billing",
                "contacts-0-email": "bea@example.com",
                "contacts-0-phone": "",
                "services-TOTAL_FORMS": "0",
                "services-INITIAL_FORMS": "0",
                "invoices-TOTAL_FORMS": "0",
                "invoices-INITIAL_FORMS": "0",
            },
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    with schema_context(in_tenant_a.schema_name):
        customer.refresh_from_db()
        assert customer.name == "New Name"
        assert customer.timeline.filter(message__startswith="Details changed: name").exists()
        contact = CustomerContact.objects.get(customer=customer)
        assert contact.name == "Bea Billing"
        assert AuditEntry.objects.filter(
            object_type="isp.customercontact", object_id=str(contact.pk), action="create"
        ).exists()


def test_only_an_account_without_history_can_be_deleted(console, in_tenant_a):
    fresh = CustomerFactory()
    used = ServiceFactory().customer

    refused = console.get(f"{ADMIN}/customer/{used.pk}/delete/")
    deleted = console.post(f"{ADMIN}/customer/{fresh.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 403
    assert deleted.status_code == 302
    with schema_context(in_tenant_a.schema_name):
        assert not Customer.objects.filter(pk=fresh.pk).exists()
        assert Customer.objects.filter(pk=used.pk).exists()


def test_suspend_and_restore_actions_use_the_lifecycle_services(console, in_tenant_a):
    service = active_service()

    def act(action):
        return console.post(
            f"{ADMIN}/service/",
            {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(service.pk)]},
            follow=True,
        )

    suspended = act("suspend_services")
    with schema_context(in_tenant_a.schema_name):
        assert Service.objects.get(pk=service.pk).status == "suspended"
    again = act("suspend_services")
    restored = act("restore_services")

    assert "suspended." in suspended.content.decode()
    assert "Could not suspend" in again.content.decode()
    assert "restored." in restored.content.decode()
    with schema_context(in_tenant_a.schema_name):
        assert Service.objects.get(pk=service.pk).status == "active"
        assert (
            AuditEntry.objects.filter(object_type="isp.service", action="admin_action").count() == 2
        )


def test_a_service_change_page_offers_the_buttons_of_its_status(console, in_tenant_a):
    service = active_service()

    page = console.get(f"{ADMIN}/service/{service.pk}/change/").content.decode()

    assert "Suspend" in page
    assert "Terminate today" in page
    assert "Activate today" not in page


def test_documents_are_read_only(console, in_tenant_a):
    invoice = InvoiceFactory()
    payment = PaymentFactory(customer=invoice.customer)

    page = console.get(f"{ADMIN}/invoice/{invoice.pk}/change/")

    assert page.status_code == 200
    assert "Router" in page.content.decode()  # its line, inline
    assert console.post(f"{ADMIN}/invoice/{invoice.pk}/change/", {}).status_code == 403
    assert console.get(f"{ADMIN}/invoice/add/").status_code == 403
    assert console.get(f"{ADMIN}/invoice/{invoice.pk}/delete/").status_code == 403
    assert console.get(f"{ADMIN}/payment/{payment.pk}/change/").status_code == 200
    assert console.get(f"{ADMIN}/payment/add/").status_code == 403


def test_dunning_policy_is_read_only_without_the_feature(console, in_tenant_a):
    assert console.get(f"{ADMIN}/dunningstep/").status_code == 200
    assert console.get(f"{ADMIN}/dunningstep/add/").status_code == 403


def test_a_tenant_without_isp_sees_no_isp_admin(
    client_b, tenant_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_cancel(
            subscription=Subscription.objects.get(tenant=tenant_b, app__key="isp"), actor="test"
        )
    client_b.sign_in()

    index = client_b.get("/admin/").content.decode()

    assert "ISP Framework" not in index
    assert "/admin/isp/customer/" not in index
    assert client_b.get("/admin/isp/customer/").status_code == 403
    assert client_b.get("/admin/isp/").status_code == 403


def test_run_billing_now_queues_a_run(console, in_tenant_a):
    from apps.isp.models import BillingRun

    page = console.get(f"{ADMIN}/billingrun/").content.decode()
    response = console.post(f"{ADMIN}/billingrun/run/", follow=True)

    assert "Run billing now" in page
    assert "queued" in response.content.decode()
    with schema_context(in_tenant_a.schema_name):
        run = BillingRun.objects.get()
        assert (run.status, run.triggered_by) == ("queued", "owner")
        assert AuditEntry.objects.filter(
            object_type="isp.billingrun", action="admin_action"
        ).exists()


def test_tenant_a_account_is_unknown_in_tenant_b_console(client_b, tenant_a):
    with schema_context(tenant_a.schema_name):
        customer = CustomerFactory(name="Only In A")
        invoice = InvoiceFactory(customer=customer)
    client_b.sign_in()

    change = client_b.get(f"{ADMIN}/customer/{customer.pk}/change/", follow=True)
    listing = client_b.get(f"{ADMIN}/customer/?q=Only+In+A").content.decode()
    document = client_b.get(f"{ADMIN}/invoice/{invoice.pk}/change/", follow=True)

    assert change.redirect_chain[-1][0] == "/admin/"
    assert "doesn’t exist" in change.content.decode()
    assert f"/admin/isp/customer/{customer.pk}/change/" not in listing
    assert "0 customers" in listing
    assert document.redirect_chain[-1][0] == "/admin/"
    assert invoice.number not in document.content.decode()
