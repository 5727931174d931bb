"""The marketplace's API (plan feature `commerce.vendor_portal`).

Back office (area `commerce`): /api/v1/commerce/vendors/, commissions/ (every vendor's
ledger), payouts/ (batches: POST pays what is owed, `csv` exports one).

Vendor portal (area `commerce.vendor`, /api/v1/commerce/vendor/): a vendor's own products,
stock (with `adjust`), order lines, fulfilments (`fulfil`, `ship`), ledger and payouts. Every
queryset is the asking vendor's: anything else is a 404, like an id that never existed.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from apps.commerce import selectors
from apps.commerce.api import serializers as s
from apps.commerce.api import vendor_serializers as vs
from apps.commerce.constants import VENDOR_PORTAL
from apps.commerce.models import CommissionEntry, Fulfilment, Payout, PayoutBatch, Product
from apps.commerce.services import catalog, fulfilments, inventory, vendors
from apps.core.api.viewsets import (
    CreateReadViewSet,
    ModelViewSet,
    ReadOnlyModelViewSet,
)
from apps.core.kit import organisation

# --- back office -----------------------------------------------------------------------------


class VendorViewSet(ModelViewSet):
    """The shop's vendors: a tenant user each (given the Vendor role), with the commission
    percentage the shop keeps of their paid lines, and `balance`, what they are owed now."""

    queryset = selectors.vendors_with_balance()
    serializer_class = vs.VendorSerializer
    search_fields = ["code", "name", "user__username"]
    ordering_fields = ["name", "code", "created_at"]
    required_feature = VENDOR_PORTAL
    create_service = staticmethod(vendors.vendor_create)
    update_service = staticmethod(vendors.vendor_update)
    destroy_service = staticmethod(vendors.vendor_delete)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return vs.VendorUpdateSerializer
        return super().get_serializer_class()


class CommissionViewSet(ReadOnlyModelViewSet):
    """Every vendor's ledger: an accrual per paid line, a reversal per refund, newest first."""

    queryset = CommissionEntry.objects.select_related("vendor", "line__order")
    serializer_class = vs.CommissionEntrySerializer
    filterset_fields = ["vendor", "kind"]
    ordering_fields = ["created_at"]
    required_feature = VENDOR_PORTAL
    resource_type = "commission_entry"


class PayoutBatchViewSet(CreateReadViewSet):
    """Payout batches: `POST {"until"}` pays every vendor what their unpaid entries up to that
    day add up to (409 CONFLICT when nobody is owed anything); `csv` is a batch as CSV."""

    queryset = PayoutBatch.objects.prefetch_related("payouts__vendor", "payouts__batch")
    serializer_class = vs.PayoutBatchSerializer
    required_feature = VENDOR_PORTAL
    resource_type = "payout_batch"

    @extend_schema(request=vs.PayoutBatchInput, responses={201: vs.PayoutBatchSerializer})
    def create(self, request, *args, **kwargs):
        until = self.validated(vs.PayoutBatchInput)["until"]
        return self.respond(vendors.payout_batch_create(until=until, actor=self.actor), 201)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], filter_backends=[])
    def csv(self, request, pk=None):
        batch = self.get_object()
        return HttpResponse(
            vendors.payout_batch_csv(batch, organisation.currency()),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{batch.reference}.csv"'},
        )


# --- the vendor portal -----------------------------------------------------------------------


class VendorOwnMixin:
    """The asking vendor's rows only (`vendor_field`: the path from the row to its vendor)."""

    required_feature = VENDOR_PORTAL
    vendor_field = "vendor"

    def restrict(self, queryset, user, action: str):
        return queryset.filter(**{f"{self.vendor_field}__user": user,
                                  f"{self.vendor_field}__is_active": True})  # fmt: skip

    def vendor(self):
        vendor = vendors.vendor_of(self.request.user)
        if vendor is None:
            raise Http404
        return vendor


class VendorProductViewSet(VendorOwnMixin, ModelViewSet):
    """The vendor's own products (made with a `sku` or `variants`, like the back office's)."""

    queryset = selectors.products_with_variants()
    serializer_class = vs.VendorProductSerializer
    create_input = vs.VendorProductCreateSerializer
    search_fields = ["name", "slug", "variants__sku"]
    ordering_fields = ["name", "price", "created_at"]
    resource_type = "product"
    update_service = staticmethod(catalog.product_update)
    destroy_service = staticmethod(catalog.product_delete)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("vendor", None)
        return catalog.product_create(**data, vendor=self.vendor(), actor=self.actor)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("vendor", None)
        return catalog.product_update(product=serializer.instance, **data, actor=self.actor)

    @extend_schema(request=vs.VendorProductCreateSerializer,
                   responses={201: vs.VendorProductSerializer})  # fmt: skip
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class VendorStockViewSet(VendorOwnMixin, ReadOnlyModelViewSet):
    """Stock of the vendor's own SKUs; `adjust` changes one of them (another's SKU: 404)."""

    queryset = selectors.stock_with_reserved().select_related("variant", "warehouse")
    serializer_class = s.StockSerializer
    vendor_field = "variant__product__vendor"
    ordering_fields = ["quantity", "allocated"]
    resource_type = "stock"

    @extend_schema(request=s.StockAdjustInput, responses=s.StockSerializer)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def adjust(self, request):
        data = self.validated(s.StockAdjustInput)
        vendor = self.vendor()
        if not Product.objects.filter(vendor=vendor, variants__sku=data["sku"]).exists():
            raise Http404
        stock = inventory.stock_adjust(**data, actor=self.actor)
        return self.respond(stock)


class VendorOrderLineViewSet(VendorOwnMixin, ReadOnlyModelViewSet):
    """The order lines of the vendor's products: their own only (oscar #2240)."""

    queryset = selectors.vendor_lines_all()
    serializer_class = vs.VendorOrderLineSerializer
    vendor_field = "fulfilment__vendor"
    ordering_fields = ["id"]
    resource_type = "order_line"


class VendorFulfilmentViewSet(VendorOwnMixin, ReadOnlyModelViewSet):
    """The vendor's part of each order, with its own status: `fulfil` (its units leave stock)
    then `ship`; the order ships once every fulfilment of it has."""

    queryset = Fulfilment.objects.select_related("order", "vendor").prefetch_related("lines")
    serializer_class = vs.FulfilmentSerializer
    filterset_fields = ["status"]
    ordering_fields = ["updated_at"]
    object_actions = {"fulfil": "change", "ship": "change"}

    @extend_schema(request=None, responses=vs.FulfilmentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def fulfil(self, request, pk=None):
        fulfilment = self.get_object()
        return self.respond(fulfilments.fulfilment_fulfil(fulfilment=fulfilment, actor=self.actor))

    @extend_schema(request=vs.FulfilmentShipInput, responses=vs.FulfilmentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def ship(self, request, pk=None):
        fulfilment = self.get_object()
        tracking = self.validated(vs.FulfilmentShipInput).get("tracking", "")
        return self.respond(fulfilments.fulfilment_ship(fulfilment=fulfilment, tracking=tracking,
                                                    actor=self.actor))  # fmt: skip


class VendorLedgerViewSet(VendorOwnMixin, ReadOnlyModelViewSet):
    """The vendor's own ledger: accruals of paid lines, reversals of refunds, newest first."""

    queryset = CommissionEntry.objects.select_related("vendor", "line__order")
    serializer_class = vs.CommissionEntrySerializer
    filterset_fields = ["kind"]
    ordering_fields = ["created_at"]
    resource_type = "commission_entry"


class VendorPayoutViewSet(VendorOwnMixin, ReadOnlyModelViewSet):
    """What the vendor has been paid, batch by batch."""

    queryset = Payout.objects.select_related("vendor", "batch")
    serializer_class = vs.PayoutSerializer
    ordering_fields = ["created_at"]
