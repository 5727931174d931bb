"""The shop's side of signing in (a decoupled side effect: identity knows nothing of the shop).
Django's `user_logged_in` fires once the session is the user's; a visitor's cart, whose token
the session kept through the login, is merged into the customer's own cart."""

import logging

from django.contrib.auth.signals import user_logged_in
from django.db import connection
from django.dispatch import receiver

from apps.commerce.constants import SESSION_CART_KEY
from apps.commerce.models import Cart
from apps.commerce.services import carts

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="commerce.cart_merge_at_sign_in")
def _merge_the_visitors_cart(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or connection.schema_name == "public":
        return
    token = session.pop(SESSION_CART_KEY, None)
    if not token:
        return
    visitor = Cart.objects.filter(token=token, customer__isnull=True,
                                  checked_out_at__isnull=True).first()  # fmt: skip
    if visitor is None:
        return
    carts.cart_merge(source=visitor, into=carts.cart_of_customer(user), actor=user)
