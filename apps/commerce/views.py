"""Pages of the E-commerce app (the page kit: apps.core.kit.pages): the back office at
/commerce/ (area `commerce`) and the storefront at /shop/ (area `commerce.shop`, public: the
area middleware lets anonymous visitors in; licensing still applies)."""

from django.db.models import Count, Sum
from django.views import View

from apps.commerce import selectors
from apps.commerce.constants import OrderStatus
from apps.commerce.models import Order
from apps.core.kit.pages import ListPage, Page


class CommercePage(Page):
    """Base of the back office's pages: staff see the whole shop (the API restricts nothing
    for them either)."""


class Dashboard(CommercePage):
    template_name = "commerce/dashboard.html"
    section = "dashboard"

    def get(self, request):
        paid = Order.objects.exclude(
            status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED]
        )
        totals = paid.aggregate(orders=Count("id"), revenue=Sum("total"))
        to_fulfil = (
            Order.objects.filter(status__in=[OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED])
            .select_related("customer")
            .order_by("created_at")[:10]
        )
        return self.render(
            totals=totals, to_fulfil=list(to_fulfil), low_stock=list(selectors.low_stock()[:10])
        )


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

    def rows(self):
        return Order.objects.select_related("customer")


class Storefront(ListPage):
    """The shop's product list, open to everyone: published products with what is available
    of each now."""

    template_name = "shop/products.html"
    section = "products"
    search_fields = ("name", "variants__sku")
    page_size = 24

    def dispatch(self, request, *args, **kwargs):
        # A public page: no sign-in (the kit's Page asks for one; the storefront does not).
        return View.dispatch(self, request, *args, **kwargs)

    def rows(self):
        return selectors.storefront_products().distinct()
