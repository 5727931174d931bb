"""Products tied to an ISP plan (issue 13 item 7): buying one orders a pending service of that plan
for the shopper's ISP account (found or opened, linked to the shopper as one party), once per
order line whatever is retried; a tenant without the ISP app hides and refuses such products;
another tenant's plans are not this tenant's."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from apps.commerce.models import Order, OrderLine, Payment, Product
from apps.commerce.services import carts, isp_plans, orders
from apps.core.models import PartyLink
from apps.core.registry import registry
from apps.identity import services as identity
from apps.identity.models import Role, User
from apps.isp.models import Customer, Service, ServicePlan
from tests.commerce import factories as f
from tests.commerce.conftest import SHOP_TENANT
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens
from tests.isp.factories import CustomerFactory, ServicePlanFactory
from tests.resource_base import owner_api

pytestmark = pytest.mark.django_db
CHECKOUT = "/api/v1/commerce/checkout/"
PRODUCTS = "/api/v1/commerce/products/"


def shopper(tenant, username: str, **fields) -> HostClient:
    with schema_context(tenant.schema_name):
        user = identity.user_create(username=username, password="shopper-password-1",
                                    email=f"{username}@example.com", **fields)  # fmt: skip
        identity.role_grant(user=user, role=Role.objects.get(name="Customer"))
    client = HostClient(host_of(TENANTS["a"]))
    return client.authenticate(obtain_tokens(client, username, "shopper-password-1")["access"])


def buy(client, sku: str, key: str = "isp-1", quantity: int = 1, card: str = f.CARD):
    body = {"lines": [{"sku": sku, "quantity": quantity}], "shipping_method": "standard",
            "card_number": card}  # fmt: skip
    return client.post_json(CHECKOUT, body, HTTP_IDEMPOTENCY_KEY=key)


def plan_product(sku: str, code: str | None = None, **fields) -> Product:
    code = code or ServicePlanFactory(code=f"shop-{sku.lower()}").code
    return f.product(sku=sku, stock=50, isp_plan=code, **fields)


def counts():
    return (Order.objects.count(), Payment.objects.count(), Service.objects.count(),
            Customer.objects.count(), PartyLink.objects.count())  # fmt: skip


def test_buying_a_plan_product_orders_a_pending_service_for_a_new_account(tenant_a):
    client = shopper(tenant_a, "plan-jane", first_name="Jane", last_name="Plan")
    with schema_context(tenant_a.schema_name):
        plan_product("ISP-NEW", name="Fiber 300 upgrade")
        before = counts()

    response = buy(client, "ISP-NEW")

    assert response.status_code == 201, response.content
    line = response.json()["data"]["attributes"]["lines"][0]
    assert line["isp_plan"] == "shop-isp-new"
    kinds = [e["kind"] for e in response.json()["data"]["attributes"]["timeline"]]
    assert kinds == ["placed", "paid", "isp_service"]
    with schema_context(tenant_a.schema_name):
        user = User.objects.get(username="plan-jane")
        service = Service.objects.get(pk=int(line["isp_service"]))
        assert service.status == Service.Status.PENDING  # the ISP staff activate it
        assert service.plan.code == "shop-isp-new"
        account = service.customer
        assert (account.user, account.email, account.name) == (
            user,
            "plan-jane@example.com",
            "Jane Plan",
        )
        assert account.status == Customer.Status.PROSPECT
        link = PartyLink.objects.get(app="commerce", ref=str(user.pk))
        assert (link.other_app, link.other_ref) == ("isp", str(account.pk))
        assert counts() == tuple(n + 1 for n in before)
        assert account.timeline.filter(data__ordered_by__startswith="commerce-line:").exists()
    order_id = response.json()["data"]["id"]
    staff = HostClient(host_of(TENANTS["a"])).sign_in()
    assert (
        f"service {line['isp_service']} ordered"
        in staff.get(f"/commerce/orders/{order_id}/").content.decode()
    )
    assert (
        "orders ISP plan shop-isp-new"
        in staff.get("/commerce/products/?q=ISP-NEW").content.decode()
    )


def test_the_shoppers_own_isp_account_gets_the_service(tenant_a):
    client = shopper(tenant_a, "plan-own")
    with schema_context(tenant_a.schema_name):
        own = CustomerFactory(user=User.objects.get(username="plan-own"))
        plan_product("ISP-OWN")
        customers = Customer.objects.count()

    assert buy(client, "ISP-OWN").status_code == 201

    with schema_context(tenant_a.schema_name):
        assert Customer.objects.count() == customers
        assert Service.objects.get(plan__code="shop-isp-own").customer == own
        assert isp_plans.linked_customer(own.user_id) == str(own.pk)


def test_a_party_link_decides_and_an_email_match_gives_no_portal_access(tenant_a):
    linked_client = shopper(tenant_a, "plan-linked")
    email_client = shopper(tenant_a, "plan-email")
    with schema_context(tenant_a.schema_name):
        linked = CustomerFactory(email="someone-else@example.com")
        # made from the ISP's side: found from either
        PartyLink.objects.create(
            app="isp",
            ref=str(linked.pk),
            other_app="commerce",
            other_ref=str(User.objects.get(username="plan-linked").pk),
        )
        by_email = CustomerFactory(email="PLAN-EMAIL@example.com")
        plan_product("ISP-LINK")

    assert buy(linked_client, "ISP-LINK", key="a").status_code == 201
    assert buy(email_client, "ISP-LINK", key="b").status_code == 201

    with schema_context(tenant_a.schema_name):
        services = Service.objects.filter(plan__code="shop-isp-link")
        assert {s.customer_id for s in services} == {linked.pk, by_email.pk}
        by_email.refresh_from_db()
        assert by_email.user is None  # an email alone opens no portal
        assert PartyLink.objects.filter(app="commerce", other_ref=str(by_email.pk)).exists()
        assert not PartyLink.objects.filter(app="commerce", other_ref=str(linked.pk)).exists()


def test_retries_order_one_service_per_line(tenant_a):
    client = shopper(tenant_a, "plan-retry")
    with schema_context(tenant_a.schema_name):
        plan_product("ISP-RETRY")

    first = buy(client, "ISP-RETRY", key="retry")
    again = buy(client, "ISP-RETRY", key="retry")

    assert first.status_code == again.status_code == 201
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    with schema_context(tenant_a.schema_name):
        assert Service.objects.filter(plan__code="shop-isp-retry").count() == 1
        order = Order.objects.get(pk=first.json()["data"]["id"])
        line = order.lines.get()
        # a replayed payment webhook: paid again is refused, and the ordering itself is a no-op
        with pytest.raises(Exception, match="cannot become paid"):
            orders.order_transition(order=order, to="paid")
        assert isp_plans.services_order(order) == []
        # the ISP's operation is itself once per reference
        again = registry.operation("isp.service_order")(
            plan="shop-isp-retry", reference=f"commerce-line:{line.pk}",
            email="plan-retry@example.com",
        )  # fmt: skip
        assert (again["service"], again["created"]) == (int(line.isp_service), False)
        assert Service.objects.filter(plan__code="shop-isp-retry").count() == 1


def test_refusals_write_nothing(tenant_a):
    client = shopper(tenant_a, "plan-refused")
    with schema_context(tenant_a.schema_name):
        plan_product("ISP-TWO")
        retired = plan_product("ISP-RETIRED")
        ServicePlan.objects.filter(code=retired.isp_plan).update(status="retired")
        before = counts()

    two = buy(client, "ISP-TWO", quantity=2, key="two")
    declined = buy(client, "ISP-TWO", card=f.DECLINED, key="declined")
    gone = buy(client, "ISP-RETIRED", key="retired")

    assert two.status_code == 400
    assert "one unit a line" in two.content.decode()
    assert declined.status_code == 400
    assert gone.status_code == 400
    assert "retired" in gone.content.decode()
    with schema_context(tenant_a.schema_name):
        assert counts() == before
        assert not OrderLine.objects.exclude(isp_service="").filter(sku="ISP-RETIRED").exists()


def test_a_product_is_tied_to_a_plan_the_isp_sells(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        ServicePlanFactory(code="shop-tie")
        ServicePlan.objects.filter(pk=ServicePlanFactory(code="shop-retired").pk).update(
            status="retired"
        )

    made = api_a.post_json(PRODUCTS, {"name": "Tie", "sku": "TIE-1", "price": "9.00",
                                      "isp_plan": "shop-tie"})  # fmt: skip
    unknown = api_a.post_json(PRODUCTS, {"name": "X", "sku": "TIE-2", "price": "9.00",
                                         "isp_plan": "no-such-plan"})  # fmt: skip
    retired = api_a.post_json(PRODUCTS, {"name": "Y", "sku": "TIE-3", "price": "9.00",
                                         "isp_plan": "shop-retired"})  # fmt: skip

    assert made.status_code == 201, made.content
    assert made.json()["data"]["attributes"]["isp_plan"] == "shop-tie"
    assert unknown.status_code == retired.status_code == 400
    with schema_context(tenant_a.schema_name):
        assert not Product.objects.filter(variants__sku__in=["TIE-2", "TIE-3"]).exists()
        assert "shop-tie" in {plan["code"] for plan in isp_plans.plans_on_sale()}


def test_without_the_isp_app_plan_products_are_hidden_and_refused(shop_tenant_slug):
    """tenant-shop has E-commerce only: nothing of the ISP is offered, nothing breaks."""
    from apps.platform.tenants.models import Tenant

    schema = Tenant.objects.get(slug=SHOP_TENANT).schema_name
    api = owner_api(SHOP_TENANT)
    with schema_context(schema):
        assert registry.operation("isp.service_order") is None
        assert isp_plans.plans_on_sale() == []
        f.product(sku="NOISP-PLAIN", stock=5, name="Plain cable")
        tied = f.product(sku="NOISP-TIED", stock=5, name="Tied upgrade")
        # tied while the tenant had the ISP app, which it has no more
        Product.objects.filter(pk=tied.pk).update(isp_plan="fiber-100")
        owner = User.objects.get(username="owner")
        cart = carts.cart_of_customer(owner)
        with pytest.raises(ValidationError, match="does not offer"):
            carts.cart_line_set(cart=cart, sku="NOISP-TIED", quantity=1)
        orders_before = Order.objects.count()
    connection.set_schema_to_public()

    refused = api.post_json(PRODUCTS, {"name": "Z", "sku": "NOISP-NEW", "price": "1.00",
                                       "isp_plan": "fiber-100"})  # fmt: skip
    listing = HostClient(host_of(SHOP_TENANT)).get("/shop/").content.decode()
    page = HostClient(host_of(SHOP_TENANT)).get(f"/shop/p/{tied.slug}/")
    bought = buy(api, "NOISP-TIED", key="no-isp")
    plain_bought = buy(api, "NOISP-PLAIN", key="plain")

    assert refused.status_code == 400
    assert "no ISP app" in refused.content.decode()
    assert "Plain cable" in listing
    assert "Tied upgrade" not in listing
    assert page.status_code == 404
    assert bought.status_code == 400
    assert "does not offer" in bought.content.decode()
    assert plain_bought.status_code == 201, plain_bought.content
    with schema_context(schema):
        assert Order.objects.count() == orders_before + 1


def test_another_tenants_plans_are_not_this_tenants(api_a, tenant_a, tenant_b):
    with schema_context(tenant_b.schema_name):
        ServicePlanFactory(code="only-in-b")
        b_services = Service.objects.count()
    with schema_context(tenant_a.schema_name):
        assert "only-in-b" not in {plan["code"] for plan in isp_plans.plans_on_sale()}
        plan_product("ISP-CROSS")
    connection.set_schema_to_public()

    tied = api_a.post_json(PRODUCTS, {"name": "B's", "sku": "CROSS-B", "price": "1.00",
                                      "isp_plan": "only-in-b"})  # fmt: skip
    client = shopper(tenant_a, "plan-cross")
    bought = buy(client, "ISP-CROSS")

    assert tied.status_code == 400
    assert bought.status_code == 201
    with schema_context(tenant_b.schema_name):
        assert Service.objects.count() == b_services  # tenant A's order wrote nothing in B
    with schema_context(tenant_a.schema_name):
        assert Service.objects.filter(plan__code="shop-isp-cross").count() == 1


def test_the_party_directory_shows_the_linked_shopper(tenant_a):
    client = shopper(tenant_a, "plan-party")
    with schema_context(tenant_a.schema_name):
        plan_product("ISP-PARTY", price="20.00")
    assert buy(client, "ISP-PARTY").status_code == 201
    with schema_context(tenant_a.schema_name):
        from apps.core.parties import linked_parties

        account = Customer.objects.get(user__username="plan-party")
        facts = linked_parties("isp", account.pk)
        assert [(p.app, dict(p.facts)["Orders"]) for p in facts] == [("commerce", "1")]
        assert Decimal(dict(facts[0].facts)["Spent"].split()[0]) > 0
