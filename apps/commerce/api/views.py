"""The E-commerce API (/api/v1/commerce/...): declarative resources whose writes go through the
services, and named actions calling one service each (the API kit: apps.core.api.viewsets).

Access: the back-office area `commerce` (the default permission); orders and checkout also
open to shoppers (area `commerce.shop`), who see only their own orders.
"""

from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.commerce import selectors
from apps.commerce.api import filters
from apps.commerce.api import serializers as s
from apps.commerce.api.permissions import ShopOrBackOffice
from apps.commerce.constants import DISCOUNTS
from apps.commerce.models import (
    Category,
    DiscountCode,
    OrderEvent,
    ShippingMethod,
    StockMovement,
    TaxClass,
    Warehouse,
)
from apps.commerce.services import carts, catalog, checkout, inventory, orders, shop
from apps.core.api.viewsets import (
    BaseViewSet,
    CreateReadViewSet,
    ModelViewSet,
    ReadOnlyModelViewSet,
)


class TaxClassViewSet(ModelViewSet):
    """The shop's tax rates. A class products use cannot be deleted (409)."""

    queryset = TaxClass.objects.all()
    serializer_class = s.ShopTaxClassSerializer
    search_fields = ["code", "name"]
    resource_type = "tax_class"


class CategoryViewSet(ModelViewSet):
    """The category tree (`path`: the slugs from the root). Moving a category moves its
    subtree; one with subcategories or products cannot be deleted (409)."""

    queryset = Category.objects.all()
    serializer_class = s.CategorySerializer
    filterset_class = filters.CategoryFilter
    search_fields = ["name", "path"]
    ordering_fields = ["path", "name"]
    create_service = staticmethod(catalog.category_create)
    update_service = staticmethod(catalog.category_update)
    destroy_service = staticmethod(catalog.category_delete)


class ProductViewSet(ModelViewSet):
    """Products with their variants. Created with a `sku` (its one default variant) or
    `variants`, within the plan's `commerce.max_products` (403 LIMIT_EXCEEDED past it)."""

    queryset = selectors.products_with_variants()
    serializer_class = s.ProductSerializer
    create_input = s.ProductCreateSerializer
    filterset_class = filters.ProductFilter
    search_fields = ["name", "slug", "variants__sku"]
    ordering_fields = ["name", "price", "created_at"]
    create_service = staticmethod(catalog.product_create)
    update_service = staticmethod(catalog.product_update)
    destroy_service = staticmethod(catalog.product_delete)

    @extend_schema(request=s.ProductCreateSerializer, responses={201: s.ProductSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class VariantViewSet(ModelViewSet):
    """The variants of products, by SKU (unique). One with stock or orders cannot be deleted."""

    queryset = selectors.variants_with_availability().select_related("product")
    serializer_class = s.VariantSerializer
    filterset_class = filters.VariantFilter
    search_fields = ["sku", "name", "barcode"]
    ordering_fields = ["sku"]
    resource_type = "variant"
    create_service = staticmethod(catalog.variant_create)
    update_service = staticmethod(catalog.variant_update)
    destroy_service = staticmethod(catalog.variant_delete)
    service_object = "variant"

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.VariantUpdateSerializer
        return super().get_serializer_class()


class WarehouseViewSet(ModelViewSet):
    """Where stock is kept. One with stock or movements cannot be deleted (409): deactivate it."""

    queryset = Warehouse.objects.all()
    serializer_class = s.WarehouseSerializer
    filterset_class = filters.WarehouseFilter
    search_fields = ["code", "name"]


class ShippingMethodViewSet(ModelViewSet):
    queryset = ShippingMethod.objects.all()
    serializer_class = s.ShippingMethodSerializer
    search_fields = ["code", "name"]
    resource_type = "shipping_method"


class StockViewSet(ReadOnlyModelViewSet):
    """Units per variant and warehouse: on hand, allocated, available, low. Changed only by
    `adjust` and `transfer` (and by orders), each a movement of the ledger."""

    queryset = selectors.stock_with_reserved().select_related("variant", "warehouse")
    serializer_class = s.StockSerializer
    filterset_class = filters.StockFilter
    ordering_fields = ["quantity", "allocated"]

    @extend_schema(request=s.StockAdjustInput, responses=s.StockSerializer)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def adjust(self, request):
        """Change a SKU's units in a warehouse by a signed `quantity`; below zero (or below
        what orders hold) is 409 CONFLICT and writes nothing."""
        stock = inventory.stock_adjust(**self.validated(s.StockAdjustInput), actor=self.actor)
        return self.respond(stock)

    @extend_schema(request=s.StockTransferInput, responses=s.StockSerializer(many=True))
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def transfer(self, request):
        """Move units of a SKU from one warehouse to another (both movements or neither)."""
        rows = inventory.stock_transfer(**self.validated(s.StockTransferInput), actor=self.actor)
        rows = [self.get_queryset().get(pk=row.pk) for row in rows]
        return Response(s.StockSerializer(rows, many=True).data)


class MovementViewSet(ReadOnlyModelViewSet):
    """The stock ledger, newest first: receipts, sales, adjustments, returns, transfers."""

    queryset = StockMovement.objects.select_related("variant", "warehouse")
    serializer_class = s.MovementSerializer
    filterset_class = filters.MovementFilter
    ordering_fields = ["created_at"]
    resource_type = "movement"


class OrderViewSet(ReadOnlyModelViewSet):
    """Orders with their lines and timeline. The back office sees and works every order
    (fulfil, ship, deliver, cancel); a shopper sees only their own. A move the order's status
    does not allow is 409 CONFLICT and writes nothing."""

    queryset = selectors.orders_with_details()
    serializer_class = s.OrderSerializer
    filterset_class = filters.OrderFilter
    search_fields = ["number", "email"]
    ordering_fields = ["created_at", "total"]
    permission_classes = [ShopOrBackOffice]
    object_actions = {"fulfil": "change", "ship": "change", "deliver": "change",
                      "cancel": "change", "refund": "change", "returns": "change"}  # fmt: skip

    def restrict(self, queryset, user, action: str):
        return selectors.orders_visible(queryset, user, action)

    @extend_schema(request=s.FulfilInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def fulfil(self, request, pk=None):
        """Fulfil the order's remaining units, or `lines` [{line, quantity}]: they leave stock."""
        order = self.get_object()
        lines = self.validated(s.FulfilInput).get("lines")
        return self.respond(orders.order_fulfil(order=order, lines=lines, actor=self.actor))

    @extend_schema(request=s.ShipInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def ship(self, request, pk=None):
        order = self.get_object()
        data = self.validated(s.ShipInput)
        return self.respond(orders.order_ship(order=order, actor=self.actor, **data))

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def deliver(self, request, pk=None):
        order = self.get_object()
        return self.respond(orders.order_deliver(order=order, actor=self.actor))

    @extend_schema(request=s.CancelInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """Cancel an order not yet fulfilled: stock released, payment refunded."""
        order = self.get_object()
        data = self.validated(s.CancelInput)
        return self.respond(orders.order_cancel(order=order, actor=self.actor, **data))

    @extend_schema(request=s.OrderRefundInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def refund(self, request, pk=None):
        """Refund part (or all) of what was paid, without a return, through the gateway."""
        order = self.get_object()
        data = self.validated(s.OrderRefundInput)
        return self.respond(orders.order_refund(order=order, actor=self.actor, **data))

    @extend_schema(request=s.OrderReturnInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="returns")
    def returns(self, request, pk=None):
        """Units sent back: restocked into `warehouse`, refunded (their price with tax, or
        `refund`) through the gateway; on the timeline and audited."""
        order = self.get_object()
        orders.order_return(order=order, actor=self.actor, **self.validated(s.OrderReturnInput))
        return self.respond(order)


class CheckoutViewSet(BaseViewSet):
    """Buy in one call: lines, a shipping method and a card → 201 with the paid order. Send an
    `Idempotency-Key` header: the same key again answers the same order (never a second order
    or charge). Too little stock is 409 CONFLICT naming each short SKU; nothing is written."""

    queryset = selectors.orders_with_details()
    serializer_class = s.OrderSerializer
    permission_classes = [ShopOrBackOffice]
    resource_type = "order"

    def restrict(self, queryset, user, action: str):
        return queryset.filter(customer=user)

    @extend_schema(
        request=s.CheckoutInput,
        responses={201: s.OrderSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     required=True)],
    )  # fmt: skip
    def create(self, request, *args, **kwargs):
        data = self.validated(s.CheckoutInput)
        order, created = checkout.checkout(
            customer=request.user, idempotency_key=request.headers.get("Idempotency-Key", ""),
            actor=self.actor, **data,
        )  # fmt: skip
        if not created:
            response = self.respond(order, status.HTTP_201_CREATED)
            response["Idempotent-Replayed"] = "true"
            return response
        # the new order as the checkout made it (its lines with it): only its timeline is read
        events = OrderEvent.objects.order_by("created_at", "id")
        prefetch_related_objects([order], Prefetch("events", queryset=events))
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)


class DiscountCodeViewSet(ModelViewSet):
    """Discount codes (plan feature `commerce.discounts`): a percentage or an amount off the
    lines, between two dates, at most `usage_limit` orders (counted at checkout)."""

    queryset = DiscountCode.objects.all()
    serializer_class = s.DiscountCodeSerializer
    search_fields = ["code"]
    required_feature = DISCOUNTS
    resource_type = "discount_code"
    create_service = staticmethod(shop.discount_create)
    update_service = staticmethod(shop.discount_update)
    destroy_service = staticmethod(shop.discount_delete)
    service_object = "discount"


class CartViewSet(CreateReadViewSet):
    """The signed-in shopper's cart: `POST` opens it (or answers the open one), `lines` sets a
    SKU's units (reserving the stock for the shop's reservation time; more than is free is 409
    CONFLICT naming the SKU), `discount` puts a code on it, `checkout` buys it under an
    `Idempotency-Key` (one order, one allocation, one charge however often it is sent)."""

    queryset = selectors.carts_with_lines()
    serializer_class = s.CartSerializer
    permission_classes = [ShopOrBackOffice]
    resource_type = "cart"

    def get_queryset(self):
        return self.restrict(selectors.carts_with_lines(), self.request.user, "view")

    def restrict(self, queryset, user, action: str):
        return selectors.carts_visible(queryset, user)

    @extend_schema(request=None, responses={201: s.CartSerializer})
    def create(self, request, *args, **kwargs):
        return self.respond(carts.cart_of_customer(request.user), status.HTTP_201_CREATED)

    @extend_schema(request=s.CartLineInput, responses=s.CartSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def lines(self, request, pk=None):
        cart = self.get_object()
        data = self.validated(s.CartLineInput)
        return self.respond(carts.cart_line_set(cart=cart, actor=self.actor, **data))

    @extend_schema(request=s.CartDiscountInput, responses=s.CartSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def discount(self, request, pk=None):
        cart = self.get_object()
        code = self.validated(s.CartDiscountInput)["code"]
        return self.respond(carts.cart_discount_set(cart=cart, code=code, actor=self.actor))

    @extend_schema(
        request=s.CartCheckoutInput,
        responses={201: s.OrderSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     required=True)],
    )  # fmt: skip
    @action(detail=True, methods=["post"], filter_backends=[])
    def checkout(self, request, pk=None):
        cart = self.get_object_or_checked_out()
        order, created = checkout.checkout(
            customer=request.user, cart=cart, actor=self.actor,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            **self.validated(s.CartCheckoutInput),
        )  # fmt: skip
        answer = Response(s.OrderSerializer(selectors.orders_with_details().get(pk=order.pk)).data,
                          status=status.HTTP_201_CREATED)  # fmt: skip
        if not created:
            answer["Idempotent-Replayed"] = "true"
        return answer

    def get_object_or_checked_out(self):
        """A retried checkout finds its cart closed by the first: the shopper's own cart,
        open or checked out (others' are a 404 like any)."""
        pk = str(self.kwargs["pk"])
        cart = (selectors.carts_with_lines().filter(pk=int(pk), customer=self.request.user)
                .first() if pk.isdigit() and len(pk) < 12 else None)  # fmt: skip
        if cart is None:
            raise Http404
        return cart
