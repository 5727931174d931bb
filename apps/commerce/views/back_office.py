"""The back office at /commerce/: the dashboard (sales by day, orders to fulfil, low stock),
products, orders with their actions (fulfil, ship, deliver, cancel, refund, return), stock
and the movements ledger, discount codes."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from apps.commerce import selectors
from apps.commerce.api import filters
from apps.commerce.constants import DISCOUNTS, OrderStatus
from apps.commerce.models import DiscountCode, Order, StockMovement, Warehouse
from apps.commerce.services import orders, shop
from apps.core.exceptions import FeatureNotInPlanError
from apps.core.kit.pages import ActionPage, DetailPage, FormPage, ListPage, Page
from apps.platform.licensing.guards import ensure_feature

SALES_DAYS = 30
PAID = [OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED]


class CommercePage(Page):
    """Base of the back office's pages: staff see the whole shop (the API restricts nothing
    for them either)."""


def sales_by_day(days: int = SALES_DAYS) -> list[dict]:
    """Paid sales per day over the last `days` days (days without sales at zero), each with
    its bar's height in percent of the best day."""
    since = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        Order.objects.exclude(status__in=PAID)
        .filter(created_at__date__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(total=Sum("total"), orders=Count("id"))
        .order_by()
    )
    by_day = {row["day"]: row for row in rows}
    series = []
    for n in range(days):
        day = since + timedelta(days=n)
        row = by_day.get(day, {})
        series.append({"day": day, "total": row.get("total") or 0, "orders": row.get("orders", 0)})
    best = max((point["total"] for point in series), default=0) or 1
    for n, point in enumerate(series):
        point["height"] = round(float(point["total"] / best) * 100, 1)
        point["x"], point["y"] = n * 10, round(100 - point["height"], 1)
    return series


class Dashboard(CommercePage):
    template_name = "commerce/dashboard.html"
    section = "dashboard"

    def get(self, request):
        totals = Order.objects.exclude(status__in=PAID).aggregate(
            orders=Count("id"), revenue=Sum("total")
        )
        waiting = Order.objects.filter(
            status__in=[OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED]
        )
        to_fulfil = waiting.select_related("customer").order_by("created_at")[:10]
        return self.render(
            totals=totals, to_fulfil=list(to_fulfil), waiting=waiting.count(),
            low_stock=list(selectors.low_stock()[:10]), sales=sales_by_day(),
            chart_width=SALES_DAYS * 10,
        )  # fmt: skip


class ProductList(CommercePage, ListPage):
    template_name = "commerce/products.html"
    section = "products"
    search_fields = ("name", "variants__sku")

    def rows(self):
        return selectors.products_with_variants().select_related("category").distinct()


class OrderList(CommercePage, ListPage):
    template_name = "commerce/orders.html"
    section = "orders"
    search_fields = ("number", "email")
    filterset_class = filters.OrderFilter
    ignore_invalid_filters = True

    def rows(self):
        return Order.objects.select_related("customer")


class OrderDetail(CommercePage, DetailPage):
    template_name = "commerce/order.html"
    section = "orders"

    def object(self):
        return self.get_row(selectors.orders_with_details(), self.kwargs["pk"])

    def detail_context(self, order) -> dict:
        allowed = orders.TRANSITIONS[order.status]
        return {
            "can": {"fulfil": bool(allowed & {OrderStatus.FULFILLED}),
                    "ship": OrderStatus.SHIPPED in allowed,
                    "deliver": OrderStatus.DELIVERED in allowed,
                    "cancel": OrderStatus.CANCELLED in allowed,
                    "return": order.status in (OrderStatus.PARTIALLY_FULFILLED,
                                               OrderStatus.FULFILLED, OrderStatus.SHIPPED,
                                               OrderStatus.DELIVERED)},
            "warehouses": Warehouse.objects.filter(is_active=True),
            "payments": list(order.payments.all()),
        }  # fmt: skip


class OrderAction(CommercePage, ActionPage):
    """A button of the order's page: one order service, back to the order."""

    def act(self) -> str:
        order = self.get_row(Order.objects.all(), self.kwargs["pk"], "change")
        post, action = self.request.POST, self.kwargs["action"]
        if action == "fulfil":
            orders.order_fulfil(order=order, actor=self.actor)
            return "Fulfilled."
        if action == "ship":
            orders.order_ship(order=order, tracking=post.get("tracking", "")[:100],
                              actor=self.actor)  # fmt: skip
            return "Shipped; the customer has been told."
        if action == "deliver":
            orders.order_deliver(order=order, actor=self.actor)
            return "Delivered."
        if action == "cancel":
            orders.order_cancel(order=order, reason=post.get("reason", "")[:200],
                                actor=self.actor)  # fmt: skip
            return "Cancelled; stock released and payment refunded."
        if action == "refund":
            orders.order_refund(order=order, amount=_amount(post.get("amount")),
                                reason=post.get("reason", "")[:200], actor=self.actor)  # fmt: skip
            return "Refunded."
        if action == "return":
            lines = [{"line": int(key[5:]), "quantity": int(value)}
                     for key, value in post.items()
                     if key.startswith("line-") and key[5:].isdigit() and value.isdigit()
                     and int(value) > 0][:50]  # fmt: skip
            refund = post.get("refund", "").strip()
            orders.order_return(order=order, lines=lines, warehouse=post.get("warehouse", ""),
                                refund=_amount(refund) if refund else None,
                                reason=post.get("reason", "")[:200], actor=self.actor)  # fmt: skip
            return "Return recorded: stock back and refund sent."
        return ""

    def done(self):
        return redirect("commerce:order", pk=self.kwargs["pk"])


def _amount(text):
    try:
        return Decimal(str(text or "").strip()[:20])
    except InvalidOperation:
        raise ValidationError({"amount": "An amount such as 12.50."}) from None


class StockList(CommercePage, ListPage):
    template_name = "commerce/stock.html"
    section = "stock"
    search_fields = ("variant__sku", "variant__product__name")
    filterset_class = filters.StockFilter
    ignore_invalid_filters = True

    def rows(self):
        return selectors.stock_with_reserved().select_related("variant", "warehouse")


class MovementList(CommercePage, ListPage):
    template_name = "commerce/movements.html"
    section = "stock"
    search_fields = ("variant__sku", "note")
    filterset_class = filters.MovementFilter
    ignore_invalid_filters = True

    def rows(self):
        return StockMovement.objects.select_related("variant", "warehouse", "order")


class DiscountPage(CommercePage):
    """Discount codes are a plan feature: without it, a page saying which plans have it."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                ensure_feature(DISCOUNTS)
            except FeatureNotInPlanError as refusal:
                return self.render("commerce/discounts_locked.html", status=403,
                                   offers=refusal.details)  # fmt: skip
        return super().dispatch(request, *args, **kwargs)


class DiscountList(DiscountPage, ListPage):
    template_name = "commerce/discounts.html"
    section = "discounts"
    search_fields = ("code",)

    def rows(self):
        return DiscountCode.objects.all()


class DiscountForm(forms.ModelForm):
    class Meta:
        model = DiscountCode
        fields = ["code", "kind", "value", "valid_from", "valid_until", "usage_limit",
                  "is_active"]  # fmt: skip
        when = forms.DateTimeInput(attrs={"type": "datetime-local"})
        widgets = {"valid_from": when, "valid_until": when}


class DiscountFormPage(DiscountPage, FormPage):
    template_name = "commerce/discount_form.html"
    section = "discounts"
    form_class = DiscountForm
    create_service = staticmethod(shop.discount_create)
    update_service = staticmethod(shop.discount_update)
    service_object = "discount"

    def instance(self):
        pk = self.kwargs.get("pk")
        return self.get_row(DiscountCode.objects.all(), pk, "change") if pk else None

    def cleaned_for_create(self, form) -> dict:
        return {k: v for k, v in form.cleaned_data.items() if v is not None and v != ""}

    def saved(self, obj):
        return redirect(reverse("commerce:discounts"))
