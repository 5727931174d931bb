"""The /isp/network/ pages: the prefix tree with utilisation bars, a prefix with its addresses
and first free ones (and an allocation button), and the addresses list. They read through the
IPAM selectors and filters (the API's) and allocate through the IPAM service."""

from django.shortcuts import redirect

from apps.core.kit.pages import ActionPage, DetailPage, ListPage
from apps.isp.api.filters import IPAddressFilter, PrefixFilter
from apps.isp.models import IPAddress, Prefix, Vrf
from apps.isp.selectors.network import prefix_utilisation, prefixes_with_usage
from apps.isp.services import ipam
from apps.isp.views.base import IspPage

#: Free addresses a prefix's page lists.
FREE_SHOWN = 16


class NetworkPage(IspPage):
    section = "network"


class PrefixList(NetworkPage, ListPage):
    """Every prefix in tree order (VRF, then address: a network before what it contains),
    indented by depth, with what it holds."""

    template_name = "isp/network/prefixes.html"
    search_fields = ("description", "vrf__name")
    filterset_class = PrefixFilter
    page_size = 50

    def rows(self):
        return prefixes_with_usage().order_by("vrf__name", "prefix")

    def list_context(self) -> dict:
        return {
            "vrfs": Vrf.objects.order_by("name"),
            "statuses": Prefix.Status.choices,
            "purposes": Prefix.Purpose.choices,
            "filter_errors": self.filterset.errors if self.filterset is not None else {},
        }


class PrefixDetail(NetworkPage, DetailPage):
    template_name = "isp/network/prefix.html"

    def object(self):
        return self.get_row(prefixes_with_usage(), self.kwargs["pk"])

    def detail_context(self, prefix) -> dict:
        addresses = (
            IPAddress.objects.filter(
                vrf_id=prefix.vrf_id, address__net_contained_or_equal=str(prefix.prefix)
            )
            .select_related("service__customer", "service__plan")
            .order_by("address")
        )
        children = (
            prefixes_with_usage()
            .filter(vrf_id=prefix.vrf_id, prefix__net_contained=str(prefix.prefix))
            .order_by("prefix")
        )
        return {
            "utilisation": prefix_utilisation(prefix),
            "addresses": addresses[:200],
            "address_total": addresses.count(),
            "children": children[:100],
            "free": ipam.available_addresses(prefix, FREE_SHOWN),
            "can_allocate": prefix.status == Prefix.Status.ACTIVE,
            "max_allocation": ipam.MAX_ALLOCATION,
        }


class PrefixAllocate(NetworkPage, ActionPage):
    """Allocate the next free addresses of a prefix (count from the form, 1 by default)."""

    def act(self) -> str:
        prefix = self.get_row(Prefix.objects.all(), self.kwargs["pk"])
        raw = self.request.POST.get("count", "1").strip() or "1"
        count = int(raw) if raw.isdigit() and len(raw) < 6 else 0
        made = ipam.prefix_allocate(
            prefix=prefix, count=count, actor=self.actor,
            description=self.request.POST.get("description", "")[:200],
        )  # fmt: skip
        listed = ", ".join(str(row.address) for row in made[:5])
        more = f" and {len(made) - 5} more" if len(made) > 5 else ""
        return f"Allocated {listed}{more}."

    def done(self):
        return redirect("isp:prefix-detail", self.kwargs["pk"])


class AddressList(NetworkPage, ListPage):
    template_name = "isp/network/addresses.html"
    search_fields = ("description", "service__customer__name")
    filterset_class = IPAddressFilter
    page_size = 50

    def rows(self):
        return IPAddress.objects.select_related("vrf", "service__customer", "service__plan")

    def list_context(self) -> dict:
        return {"vrfs": Vrf.objects.order_by("name"), "statuses": IPAddress.Status.choices}
