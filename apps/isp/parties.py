"""The ISP's party directory (apps/core/parties.py): ISP customers as parties that another app
(the CRM) may search, link to and show the key facts of."""

from django.db.models import Q
from django.urls import reverse

from apps.core.kit import organisation
from apps.core.money import money
from apps.core.parties import PartyFacts
from apps.isp import selectors
from apps.isp.models import Customer


def _facts_of(customer: Customer, currency: str) -> PartyFacts:
    return PartyFacts(
        app="isp",
        ref=str(customer.pk),
        name=customer.name,
        url=reverse("isp:customer-detail", args=[customer.pk]),
        facts=(
            ("Account", customer.account_number),
            ("Status", customer.get_status_display()),
            ("Balance", f"{customer.balance} {currency}"),
            ("Active services", str(customer.live_services)),
            ("MRR", f"{money(customer.mrr)} {currency}"),
        ),
    )


class IspCustomers:
    """PartyDirectory of ISP customers (registered as `registry.party_directories["isp"]`)."""

    app = "isp"

    def facts(self, ref: str) -> PartyFacts | None:
        try:
            pk = int(ref)
        except (TypeError, ValueError):
            return None
        customer = selectors.customer_figures(pk)
        return None if customer is None else _facts_of(customer, organisation.currency())

    def search(self, query: str, limit: int = 10) -> list[PartyFacts]:
        query = (query or "").strip()
        if not query:
            return []
        customers = selectors.customers_with_figures().filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(account_number__icontains=query)
            | Q(phone=query)  # encrypted: the whole number, through its blind index
        )
        shown_in = organisation.currency()
        return [_facts_of(c, shown_in) for c in customers.order_by("name", "pk")[:limit]]
