"""The marketplace's pages (plan feature `commerce.vendor_portal`): the vendor portal at
/vendor/ (a vendor's own overview, products, fulfilments and ledger; another vendor's rows are
404s) and the back office's vendors and payout batches at /commerce/vendors/."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect

from apps.commerce import selectors
from apps.commerce.constants import VENDOR_PORTAL, FulfilmentStatus
from apps.commerce.models import CommissionEntry, Fulfilment, OrderLine, PayoutBatch
from apps.commerce.services import fulfilments, vendors
from apps.core.exceptions import FeatureNotInPlanError
from apps.core.kit import organisation
from apps.core.kit.pages import ActionPage, ListPage, Page
from apps.platform.licensing.guards import ensure_feature


class MarketplacePage(Page):
    """The vendor portal is a plan feature: without it, a page saying which plans have it."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                ensure_feature(VENDOR_PORTAL)
            except FeatureNotInPlanError as refusal:
                return self.render("commerce/vendor_locked.html", status=403,
                                   offers=refusal.details)  # fmt: skip
        return super().dispatch(request, *args, **kwargs)


class VendorPage(MarketplacePage):
    """A page of the vendor portal: the signed-in user's vendor, their rows only."""

    def dispatch(self, request, *args, **kwargs):
        self.vendor = vendors.vendor_of(request.user)
        return super().dispatch(request, *args, **kwargs)

    def restrict(self, queryset, action: str):
        if self.vendor is None:
            raise PermissionDenied("You are not a vendor of this shop.")
        return queryset.filter(**{self.vendor_field: self.vendor})

    vendor_field = "vendor"

    def page_context(self) -> dict:
        return {"vendor": self.vendor}


class VendorOverview(VendorPage):
    template_name = "commerce/vendor/overview.html"
    section = "overview"

    def get(self, request):
        entries = self.restrict(CommissionEntry.objects.select_related("line__order"), "view")
        to_fulfil = self.restrict(Fulfilment.objects.select_related("order"), "view").filter(
            status__in=[FulfilmentStatus.PENDING, FulfilmentStatus.FULFILLED]
        )
        return self.render(balance=vendors.vendor_balance(self.vendor),
                           to_fulfil=list(to_fulfil.order_by("order__created_at")[:10]),
                           entries=list(entries[:10]))  # fmt: skip


class VendorProducts(VendorPage, ListPage):
    template_name = "commerce/vendor/products.html"
    section = "products"
    search_fields = ("name", "variants__sku")

    def rows(self):
        return selectors.products_with_variants().select_related("category").distinct()


class VendorFulfilments(VendorPage, ListPage):
    template_name = "commerce/vendor/fulfilments.html"
    section = "fulfilments"

    def rows(self):
        lines = Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
        return (
            Fulfilment.objects.select_related("order")
            .prefetch_related(lines)
            .order_by("-order__created_at", "-id")
        )


class VendorFulfilmentAction(VendorPage, ActionPage):
    """Fulfil or ship one of the vendor's fulfilments (another's is a 404)."""

    def act(self) -> str:
        fulfilment = self.get_row(Fulfilment.objects.all(), self.kwargs["pk"], "change")
        if self.kwargs["action"] == "fulfil":
            fulfilments.fulfilment_fulfil(fulfilment=fulfilment, actor=self.actor)
            return "Fulfilled: the units have left stock."
        if self.kwargs["action"] == "ship":
            tracking = self.request.POST.get("tracking", "")[:100]
            fulfilments.fulfilment_ship(fulfilment=fulfilment, tracking=tracking, actor=self.actor)
            return "Shipped."
        return ""

    def done(self):
        return redirect("vendor:fulfilments")


class VendorLedger(VendorPage, ListPage):
    template_name = "commerce/vendor/ledger.html"
    section = "ledger"

    def rows(self):
        return CommissionEntry.objects.select_related("line__order", "payout__batch")

    def list_context(self) -> dict:
        return {"balance": vendors.vendor_balance(self.vendor),
                "payouts": list(self.vendor.payouts.select_related("batch")[:20])}  # fmt: skip


# --- back office -----------------------------------------------------------------------------


class VendorList(MarketplacePage, ListPage):
    template_name = "commerce/vendors.html"
    section = "vendors"
    search_fields = ("name", "code", "user__username")

    def rows(self):
        return selectors.vendors_with_balance()

    def list_context(self) -> dict:
        return {"batches": list(PayoutBatch.objects.prefetch_related("payouts")[:20])}


class PayoutBatchCreate(MarketplacePage, ActionPage):
    def act(self) -> str:
        batch = vendors.payout_batch_create(actor=self.actor)
        return f"Payout batch {batch.reference}: {batch.total} to {batch.payouts.count()} vendors."

    def done(self):
        return redirect("commerce:vendors")


class PayoutBatchCsv(MarketplacePage):
    def get(self, request, pk):
        batch = self.get_row(PayoutBatch.objects.all(), pk)
        return HttpResponse(
            vendors.payout_batch_csv(batch, organisation.currency()),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{batch.reference}.csv"'},
        )
