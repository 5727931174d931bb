"""The shop's party directory (apps.core.parties): its shoppers (tenant users who placed
orders), with what they bought, for another app's page to show without importing this one."""

from django.db.models import Count, Q, Sum
from django.urls import reverse

from apps.commerce.constants import OrderStatus
from apps.core.kit import organisation
from apps.core.parties import PartyFacts
from apps.identity.models import User

_PAID = ~Q(shop_orders__status__in=[OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED])


def _rows():
    return (
        User.objects.filter(shop_orders__isnull=False)
        .distinct()
        .annotate(
            n_orders=Count("shop_orders", filter=_PAID, distinct=True),
            spent=Sum("shop_orders__total", filter=_PAID),
        )
    )


def _facts(user) -> PartyFacts:
    spent = f"{user.spent or 0:,.2f} {organisation.currency()}"
    return PartyFacts(
        app="commerce", ref=str(user.pk), name=user.get_full_name() or user.get_username(),
        url=f"{reverse('commerce:orders')}?q={user.email}" if user.email
        else reverse("commerce:orders"),
        facts=(("Orders", str(user.n_orders)), ("Spent", spent)),
    )  # fmt: skip


class CommerceShoppers:
    """PartyDirectory of the shop's customers."""

    def facts(self, ref: str) -> PartyFacts | None:
        if not str(ref).isdigit():
            return None
        user = _rows().filter(pk=int(ref)).first()
        return _facts(user) if user else None

    def search(self, query: str, limit: int = 10) -> list[PartyFacts]:
        query = (query or "").strip()
        if not query:
            return []
        match = Q(username__icontains=query) | Q(email__iexact=query)
        match |= Q(first_name__icontains=query) | Q(last_name__icontains=query)
        return [_facts(u) for u in _rows().filter(match).order_by("username")[:limit]]
