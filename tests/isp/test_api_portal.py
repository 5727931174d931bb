"""The customer portal's API: a customer user (the seed's Jane) sees and pays only her own
account's documents; everyone else's ids are 404s; staff endpoints refuse her."""

import pytest
from django_tenants.utils import schema_context

from apps.identity import services as identity
from apps.identity.models import Role
from apps.isp.models import Customer, Payment
from apps.isp.services.customers import customer_link_user
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens
from tests.isp.api_factories import (
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
    ServiceFactory,
    active_service,
)
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
PORTAL = "/api/v1/isp/portal"
PASSWORD = "portal-password-1"
GOOD_CARD = "4242424242424242"


def portal_api(slug: str, username: str) -> HostClient:
    client = HostClient(host_of(slug))
    return client.authenticate(obtain_tokens(client, username, PASSWORD)["access"])


def customer_user(slug: str, username: str, *, linked_to: Customer | None) -> HostClient:
    """A tenant user holding the Customer role (portal + shop), linked to an account or not."""
    user = identity.user_create(username=username, password=PASSWORD)
    identity.role_grant(user=user, role=Role.objects.get(name="Customer"))
    if linked_to is not None:
        customer_link_user(customer=linked_to, user=user)
    return portal_api(slug, username)


class PortalResourceTests(ResourceTests):
    """A portal resource as a customer user sees it: read-only, her account's rows only. Each
    ISP tenant of the session has a `jane` linked to an account of its own, whose rows make()
    makes; she runs the checks (and asks each host for the other tenant's ids)."""

    operations = {"list", "retrieve"}
    outsider_role = "IT Manager"  # ISP's staff side, but not the customer portal
    username = "jane"

    @pytest.fixture(autouse=True)
    def _a_customer_user_in_each_isp_tenant(self, tenant_a, tenant_b):
        for tenant in (tenant_a, tenant_b):
            with schema_context(tenant.schema_name):
                user = identity.user_create(username=self.username, password=PASSWORD)
                identity.role_grant(user=user, role=Role.objects.get(name="Customer"))
                customer_link_user(customer=CustomerFactory(name="Jane Doe"), user=user)

    @pytest.fixture
    def api(self, _a_customer_user_in_each_isp_tenant):
        return self.tenant_api(TENANTS["a"])

    def tenant_api(self, slug: str) -> HostClient:
        return portal_api(slug, self.username)

    def make(self, **fields):
        return self.factory(customer=Customer.objects.get(user__username=self.username), **fields)


class TestPortalServiceResource(PortalResourceTests):
    path = f"{PORTAL}/services/"
    resource_type = "service"
    factory = ServiceFactory


class TestPortalInvoiceResource(PortalResourceTests):
    path = f"{PORTAL}/invoices/"
    resource_type = "invoice"
    factory = InvoiceFactory


class TestPortalPaymentResource(PortalResourceTests):
    path = f"{PORTAL}/payments/"
    resource_type = "payment"
    factory = PaymentFactory


@pytest.fixture
def accounts(tenant_a):
    """Jane's account (an active service, two invoices, a payment) and Bob's (one invoice)."""
    with schema_context(tenant_a.schema_name):
        jane_account = CustomerFactory(name="Jane Doe", email="jane@example.com")
        service = active_service(customer=jane_account)
        extra = InvoiceFactory(customer=jane_account)
        PaymentFactory(customer=jane_account)
        bob_account = CustomerFactory(name="Bob Roe")
        bob_invoice = InvoiceFactory(customer=bob_account)
        invoices = list(jane_account.invoices.order_by("id"))
        jane = customer_user("tenant-a", "jane", linked_to=jane_account)
    return {
        "jane": jane,
        "account": jane_account,
        "service": service,
        "invoices": invoices,
        "open_invoice": extra,
        "bob_invoice": bob_invoice,
        "bob_account": bob_account,
    }


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["data"]}


def test_me_is_the_linked_account(accounts):
    me = accounts["jane"].get(f"{PORTAL}/me/")

    data = me.json()["data"]
    assert me.status_code == 200
    assert (data["id"], data["type"]) == (str(accounts["account"].pk), "customer")
    assert data["attributes"]["name"] == "Jane Doe"
    assert data["attributes"]["currency"] == "USD"


def test_contact_details_are_editable_and_the_rest_is_not(accounts, tenant_a):
    response = accounts["jane"].patch(
        f"{PORTAL}/me/",
        {"phone": "+44 7700 900123", "billing_city": "Leeds", "name": "Queen Jane"},
        content_type="application/json",
    )

    shown = response.json()["data"]["attributes"]
    assert response.status_code == 200
    assert (shown["phone"], shown["billing_city"], shown["name"]) == (
        "+44 7700 900123",
        "Leeds",
        "Jane Doe",
    )
    bad = accounts["jane"].patch(
        f"{PORTAL}/me/", {"email": "not-an-email"}, content_type="application/json"
    )
    assert bad.status_code == 400
    with schema_context(tenant_a.schema_name):
        timeline = accounts["account"].timeline.values_list("message", flat=True)
        assert any("phone" in message for message in timeline)


def test_lists_hold_only_her_own_rows(accounts):
    jane = accounts["jane"]

    assert ids(jane.get(f"{PORTAL}/invoices/")) == {str(i.pk) for i in accounts["invoices"]}
    assert ids(jane.get(f"{PORTAL}/services/")) == {str(accounts["service"].pk)}
    payments = jane.get(f"{PORTAL}/payments/").json()["data"]
    assert [p["attributes"]["amount"] for p in payments] == ["25.00"]


def test_another_customers_invoice_is_not_found_to_read_or_pay(accounts, tenant_a):
    bob_invoice = accounts["bob_invoice"]
    jane = accounts["jane"]

    read = jane.get(f"{PORTAL}/invoices/{bob_invoice.pk}/")
    pay = jane.post_json(f"{PORTAL}/invoices/{bob_invoice.pk}/pay/", {"card_number": GOOD_CARD})

    for response in (read, pay):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
    with schema_context(tenant_a.schema_name):
        assert not Payment.objects.filter(customer=accounts["bob_account"]).exists()


def test_she_pays_her_invoice_by_card(accounts, tenant_a):
    invoice = accounts["open_invoice"]  # 48.00

    response = accounts["jane"].post_json(
        f"{PORTAL}/invoices/{invoice.pk}/pay/", {"card_number": GOOD_CARD}
    )

    payment = response.json()["data"]
    assert response.status_code == 201
    assert (payment["type"], payment["attributes"]["amount"]) == ("payment", "48.00")
    assert payment["attributes"]["status"] == "succeeded"
    shown = accounts["jane"].get(f"{PORTAL}/invoices/{invoice.pk}/").json()["data"]
    assert shown["attributes"]["status"] == "paid"


def test_a_declined_card_in_the_portal_is_a_clear_message(accounts):
    invoice = accounts["open_invoice"]

    response = accounts["jane"].post_json(
        f"{PORTAL}/invoices/{invoice.pk}/pay/", {"card_number": "4000 0000 0000 0002"}
    )

    assert response.status_code == 400
    assert "declined" in response.json()["error"]["message"]
    failed = accounts["jane"].get(f"{PORTAL}/payments/?status=failed").json()["data"]
    assert len(failed) == 1


@pytest.mark.parametrize(
    "path", ["/api/v1/isp/customers/", "/api/v1/isp/invoices/", "/api/v1/isp/plans/"]
)
def test_staff_endpoints_refuse_a_customer_user(accounts, path):
    response = accounts["jane"].get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_a_user_without_a_linked_account_is_told_so(tenant_a):
    with schema_context(tenant_a.schema_name):
        lonely = customer_user("tenant-a", "lonely", linked_to=None)

    response = lonely.get(f"{PORTAL}/invoices/")
    me = lonely.get(f"{PORTAL}/me/")

    for answer in (response, me):
        error = answer.json()["error"]
        assert answer.status_code == 403
        assert error["code"] == "PERMISSION_DENIED"
        assert "not linked to a customer account" in error["message"]


def test_a_field_tech_cannot_open_the_portal(tenant_a):
    with schema_context(tenant_a.schema_name):
        tom = identity.user_create(username="tom", password=PASSWORD)
        identity.role_grant(user=tom, role=Role.objects.get(name="Field Tech"))
    client = HostClient(host_of("tenant-a"))
    client.authenticate(obtain_tokens(client, "tom", PASSWORD)["access"])

    response = client.get(f"{PORTAL}/invoices/")

    assert response.status_code == 403
    assert "Customer portal" in response.json()["error"]["message"]


def test_the_portal_needs_the_customer_portal_feature(
    accounts, tenant_a, django_capture_on_commit_callbacks
):
    from apps.platform.licensing import services as licensing
    from apps.platform.licensing.models import Subscription

    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=tenant_a, app__key="isp"),
            features={"isp.customer_portal": False},
            actor="test",
        )

    response = accounts["jane"].get(f"{PORTAL}/invoices/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"
