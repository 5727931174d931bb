"""Who may use the order and checkout resources: the back office (area `commerce`) works every
order; a shopper (area `commerce.shop`) buys and sees their own (apps.commerce.selectors)."""

from rest_framework.permissions import IsAuthenticated

from apps.commerce.constants import AREA, SHOP_AREA
from apps.core.kit.declaration import area
from apps.identity.access import can_open


class ShopOrBackOffice(IsAuthenticated):
    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if can_open(request.user, AREA) or can_open(request.user, SHOP_AREA):
            return True
        self.message = (
            f"None of your roles opens {area(AREA).name} or the {area(SHOP_AREA).name}. "
            "Ask your organisation's administrator."
        )
        return False
