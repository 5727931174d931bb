"""A shop order that ordered an ISP service, cancelled or wholly refunded: the service, still
pending, is ended through `isp.service_order_cancel` (once, on the order's timeline); one
already active is left to the ISP staff, with a note saying so; a partial refund changes
nothing."""

import pytest
from django_tenants.utils import schema_context

from apps.commerce.models import Order, Warehouse
from apps.commerce.services import isp_plans, orders
from apps.core.registry import registry
from apps.isp.models import Service
from apps.isp.services import subscriptions
from tests.commerce.test_isp_plans import buy, plan_product, shopper

pytestmark = pytest.mark.django_db


def _bought(tenant, username: str, sku: str) -> Order:
    client = shopper(tenant, username)
    with schema_context(tenant.schema_name):
        plan_product(sku)
    response = buy(client, sku, key=f"cancel-{sku}")
    assert response.status_code == 201, response.content
    with schema_context(tenant.schema_name):
        return Order.objects.get(pk=response.json()["data"]["id"])


def _notes(order) -> list[str]:
    return list(order.events.filter(kind="isp_service_cancel").values_list("message", flat=True))


def test_a_cancelled_order_ends_its_pending_service_once(tenant_a):
    order = _bought(tenant_a, "cancel-pending", "ISP-CANCEL")
    with schema_context(tenant_a.schema_name):
        line = order.lines.get()
        orders.order_cancel(order=order, reason="changed my mind")

        service = Service.objects.get(pk=int(line.isp_service))
        assert service.status == Service.Status.TERMINATED
        assert not service.customer.invoices.exists()  # never activated: nothing billed
        assert _notes(order) == [f"ISP service {service.pk} cancelled (it was never activated)"]
        # again: nothing more is done or noted
        assert isp_plans.services_cancel(order) == []
        assert len(_notes(order)) == 1
        cancel = registry.operation("isp.service_order_cancel")
        assert cancel(reference=f"commerce-line:{line.pk}") == {
            "service": service.pk, "status": "terminated", "cancelled": False}  # fmt: skip
        assert cancel(reference="commerce-line:0") is None


def test_an_active_service_is_left_to_the_staff_and_a_partial_refund_changes_nothing(tenant_a):
    order = _bought(tenant_a, "cancel-active", "ISP-ACTIVE")
    with schema_context(tenant_a.schema_name):
        service = Service.objects.get(pk=int(order.lines.get().isp_service))
        subscriptions.service_activate(service=service)
        left = orders._refundable(order)

        orders.order_refund(order=order, amount="1.00", reason="late")
        assert _notes(order) == []
        orders.order_refund(order=order, amount=left - 1, reason="the rest")

        service.refresh_from_db()
        assert service.status == Service.Status.ACTIVE
        assert _notes(order) == [
            f"ISP service {service.pk} is active: staff must end it in the ISP app"]  # fmt: skip


def test_a_return_refunding_everything_ends_the_pending_service(tenant_a):
    order = _bought(tenant_a, "cancel-return", "ISP-RETURN")
    with schema_context(tenant_a.schema_name):
        line = order.lines.get()
        orders.order_fulfil(order=order)
        warehouse = Warehouse.objects.order_by("pk").first().code  # restocked anywhere
        orders.order_return(order=order, lines=[{"line": line.pk, "quantity": 1}],
                            warehouse=warehouse, refund=orders._refundable(order))  # fmt: skip

        service = Service.objects.get(pk=int(line.isp_service))
        assert service.status == Service.Status.TERMINATED
        assert _notes(order) == [f"ISP service {service.pk} cancelled (it was never activated)"]
