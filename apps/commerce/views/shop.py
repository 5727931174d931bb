"""The storefront at /shop/: open to everyone on the tenant host. A visitor's cart lives in
their session (its token) and is merged into their own cart when they sign in (signals.py);
checkout is for signed-in shoppers, and for guests when the shop allows it."""

import uuid

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from apps.commerce import documents, selectors
from apps.commerce.constants import AREA, SESSION_CART_KEY, SHOP_AREA
from apps.commerce.models import Cart, ShippingMethod, ShopperAddress
from apps.commerce.services import carts, checkout, pricing
from apps.core.audit import audit_created
from apps.core.kit.pages import DetailPage, ListPage, Page
from apps.core.kit.refusals import REFUSALS
from apps.identity.access import can_open


def may_buy(user) -> bool:
    return can_open(user, SHOP_AREA) or can_open(user, AREA)


def session_cart(request, *, create: bool = False) -> Cart | None:
    """The visitor's cart: the signed-in shopper's own, else the one whose token the session
    holds (made, and its token put in the session, when `create`)."""
    if request.user.is_authenticated:
        return carts.cart_of_customer(request.user, create=create)
    token = request.session.get(SESSION_CART_KEY)
    cart = None
    if token:
        cart = Cart.objects.filter(token=token, customer__isnull=True,
                                   checked_out_at__isnull=True).first()  # fmt: skip
    if cart is None and create:
        cart = Cart.objects.create()
        audit_created(cart)
        request.session[SESSION_CART_KEY] = str(cart.token)
    return cart


class ShopPage(Page):
    """A storefront page: public (the kit's Page asks for a sign-in; the shop does not)."""

    def dispatch(self, request, *args, **kwargs):
        return View.dispatch(self, request, *args, **kwargs)

    def page_context(self) -> dict:
        cart = session_cart(self.request)
        units = sum(line.quantity for line in cart.lines.all()) if cart else 0
        return {"cart_units": units}


class Storefront(ShopPage, ListPage):
    """The shop's product list: published products with what is available of each now (what
    carts reserve is not)."""

    template_name = "shop/products.html"
    section = "products"
    search_fields = ("name", "variants__sku")
    page_size = 24

    def rows(self):
        return selectors.storefront_products().distinct()


class ProductPage(ShopPage, DetailPage):
    template_name = "shop/product.html"
    section = "products"

    def object(self):
        product = selectors.storefront_products().filter(slug=self.kwargs["slug"]).first()
        if product is None:
            raise Http404("No such product.")
        return product


class CartAdd(ShopPage):
    """The product page's Add to cart (POST sku, quantity): the units are reserved."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        sku = request.POST.get("sku", "")[:64]
        try:
            quantity = int(request.POST.get("quantity") or 1)
            cart = session_cart(request, create=True)
            carts.cart_line_set(cart=cart, sku=sku, quantity=quantity, add=True,
                                actor=request.user)  # fmt: skip
        except ValueError:
            messages.error(request, "Give a whole number of units.")
            return self.back(reverse("shop:products"))
        except REFUSALS as error:
            self.refuse(error)
            return self.back(reverse("shop:products"))
        messages.success(request, f"Added {quantity} × {sku} to your cart.")
        return redirect("shop:cart")


class CartPage(ShopPage):
    """The cart: its lines (each reserved until when), quantities to change, a discount code,
    the totals before shipping; then checkout. POST `sku` + `quantity` sets a line (0 removes
    it), POST `code` sets the discount."""

    template_name = "shop/cart.html"
    section = "cart"

    def cart(self):
        found = session_cart(self.request)
        if found is None:
            return None
        return selectors.carts_with_lines().get(pk=found.pk)

    def get(self, request, *args, **kwargs):
        cart = self.cart()
        lines = list(cart.lines.all()) if cart else []
        priced = pricing.price([(line.variant, line.quantity) for line in lines], method=None,
                               discount=cart.discount if cart else None)  # fmt: skip
        rows = list(zip(lines, priced.lines, strict=True))
        return self.render(cart=cart, lines=lines, rows=rows, priced=priced)

    def post(self, request, *args, **kwargs):
        cart = session_cart(request, create=True)
        try:
            if "code" in request.POST:
                carts.cart_discount_set(cart=cart, code=request.POST["code"][:40],
                                        actor=request.user)  # fmt: skip
                messages.success(request, "Discount code applied.")
            else:
                carts.cart_line_set(cart=cart, sku=request.POST.get("sku", "")[:64],
                                    quantity=int(request.POST.get("quantity") or 0),
                                    actor=request.user)  # fmt: skip
                messages.success(request, "Cart updated.")
        except ValueError:
            messages.error(request, "Give a whole number of units.")
        except REFUSALS as error:
            self.refuse(error)
        return redirect("shop:cart")


class CheckoutPage(ShopPage):
    """Shipping address (the customer's last by default), a shipping method with its rate,
    the card; one order however often the form is sent (its idempotency key is drawn when
    the page is)."""

    template_name = "shop/checkout.html"
    section = "cart"

    def allowed(self):
        user = self.request.user
        if user.is_authenticated:
            return may_buy(user)
        return carts.shop_settings().guest_checkout

    def show(self, cart, status=200, **values):
        cart = selectors.carts_with_lines().get(pk=cart.pk)
        lines = list(cart.lines.all())
        methods = list(ShippingMethod.objects.filter(is_active=True))
        chosen = next((m for m in methods if m.code == values.get("shipping_method")),
                      methods[0] if methods else None)  # fmt: skip
        priced = pricing.price([(line.variant, line.quantity) for line in lines],
                               method=chosen, discount=cart.discount)  # fmt: skip
        rates = [(m, pricing.price([(line.variant, line.quantity) for line in lines],
                                   method=m, discount=cart.discount).shipping_total)
                 for m in methods]  # fmt: skip
        if "shipping_address" not in values and self.request.user.is_authenticated:
            saved = ShopperAddress.objects.filter(customer=self.request.user).first()
            values["shipping_address"] = saved.address if saved else ""
        values.setdefault("key", uuid.uuid4().hex)
        return self.render(status=status, cart=cart, lines=lines, priced=priced, rates=rates,
                           chosen=chosen, values=values,
                           guest=not self.request.user.is_authenticated)  # fmt: skip

    def get(self, request, *args, **kwargs):
        if not self.allowed():
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "/login/")
            return self.render("shop/no_checkout.html", status=403)
        cart = session_cart(request)
        if cart is None or not cart.lines.exists():
            messages.info(request, "Your cart is empty.")
            return redirect("shop:cart")
        return self.show(cart)

    def post(self, request, *args, **kwargs):
        if not self.allowed():
            if not request.user.is_authenticated:
                return redirect_to_login(reverse("shop:checkout"), "/login/")
            return self.render("shop/no_checkout.html", status=403)
        values = {name: request.POST.get(name, "")[:500] for name in
                  ("shipping_method", "shipping_address", "email", "key")}  # fmt: skip
        card = request.POST.get("card_number", "")[:30]
        key = values["key"][:100]
        done = orders_of(request).filter(idempotency_key=key).first() if key else None
        if done is not None:  # the form sent again (a double click, a refresh): its order
            return redirect("shop:order", pk=done.pk)
        cart = session_cart(request)
        user = request.user if request.user.is_authenticated else None
        try:
            if cart is None:
                raise ValidationError({"cart": "Your cart is empty."})
            order, _ = checkout.checkout(
                customer=user, cart=cart, shipping_method=values["shipping_method"][:30],
                card_number=card, idempotency_key=values["key"][:100],
                shipping_address=values["shipping_address"], email=values["email"][:254],
                actor=user,
            )  # fmt: skip
        except REFUSALS as error:
            self.refuse(error)
            if cart is None:
                return redirect("shop:cart")
            return self.show(cart, status=400, **values)
        request.session["shop_orders"] = [*request.session.get("shop_orders", [])[-19:],
                                          order.pk]  # fmt: skip
        request.session.pop(SESSION_CART_KEY, None)
        messages.success(request, f"Thank you! Order {order.number} is paid.")
        return redirect("shop:order", pk=order.pk)


def orders_of(request):
    """The visitor's orders: a shopper's own; a guest's, those placed in this session."""
    rows = selectors.orders_with_details()
    if request.user.is_authenticated:
        return rows.filter(customer=request.user)
    return rows.filter(customer__isnull=True, pk__in=request.session.get("shop_orders", []))


class MyOrders(ShopPage, ListPage):
    template_name = "shop/orders.html"
    section = "orders"

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/login/")
        return super().get(request, *args, **kwargs)

    def rows(self):
        return orders_of(self.request)


class OrderPage(ShopPage, DetailPage):
    """One of the visitor's orders (another's is a 404, like one that never existed)."""

    template_name = "shop/order.html"
    section = "orders"

    def object(self):
        order = orders_of(self.request).filter(pk=self.kwargs["pk"]).first()
        if order is None:
            raise Http404("No such order.")
        return order


class OrderInvoice(OrderPage):
    def get(self, request, *args, **kwargs):
        return documents.pdf_response(self.object())
