"""The /isp/network/ pages: the prefix tree with utilisation bars, a prefix with its addresses
and first free ones (and an allocation button), the addresses list, devices (list, detail and
CSV import) and sites with their map. They read through the IPAM selectors and the API's
filters, allocate through the IPAM service and import through the device import service."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.core.kit.csvimport import CsvImportPage
from apps.core.kit.pages import ActionPage, DetailPage, ListPage
from apps.isp.api.filters import DeviceFilter, IPAddressFilter, PrefixFilter, SiteFilter
from apps.isp.constants import DEVICE_IMPORT_MAX_BYTES, DEVICE_IMPORT_MAX_ROWS
from apps.isp.models import Device, IPAddress, Prefix, Site, Vrf
from apps.isp.selectors.network import (
    prefix_addresses,
    prefix_utilisation,
    prefixes_with_usage,
)
from apps.isp.services import device_import, ipam
from apps.isp.views.base import IspPage
from apps.isp.views.device_monitoring import device_monitoring

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
            prefix_addresses(prefix)
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


class DeviceList(NetworkPage, ListPage):
    template_name = "isp/network/devices.html"
    search_fields = ("name", "vendor", "model", "serial", "description")
    filterset_class = DeviceFilter
    ignore_invalid_filters = True

    def rows(self):
        return Device.objects.select_related(
            "site", "parent", "management_ip", "service__customer"
        ).order_by("name")

    def list_context(self) -> dict:
        return {"roles": Device.Role.choices, "statuses": Device.Status.choices,
                "sites": Site.objects.order_by("name")}  # fmt: skip


class DeviceDetail(NetworkPage, DetailPage):
    template_name = "isp/network/device.html"

    def object(self):
        devices = Device.objects.select_related(
            "site", "parent", "management_ip", "service__customer", "service__plan"
        )
        return self.get_row(devices, self.kwargs["pk"])

    def detail_context(self, device) -> dict:
        return {
            "children": device.children.select_related("site").order_by("name")[:200],
            **device_monitoring(device),
        }


class DeviceImport(NetworkPage, CsvImportPage):
    """Devices from a CSV file: upload → preview with each row's errors → confirm, all rows or
    none (apps.isp.services.device_import)."""

    upload_template = "isp/network/device_import.html"
    preview_template = "isp/network/device_import_preview.html"
    session_key = "isp_device_import"
    upload_url = "isp:device-import"
    max_bytes = DEVICE_IMPORT_MAX_BYTES

    def check(self, pending: dict):
        return device_import.device_import(text=pending["text"], actor=self.actor, dry_run=True)

    def run(self, pending: dict):
        return device_import.device_import(text=pending["text"], actor=self.actor)

    def done(self, pending: dict, result):
        messages.success(self.request, f"Imported {result.created} devices.")
        return redirect("isp:devices")

    def upload_context(self) -> dict:
        return {"columns": device_import.COLUMNS, "max_rows": DEVICE_IMPORT_MAX_ROWS,
                "max_mb": DEVICE_IMPORT_MAX_BYTES // 1024 // 1024}  # fmt: skip

    def preview_context(self, pending: dict) -> dict:
        return {"columns": device_import.COLUMNS}


class DeviceImportTemplate(NetworkPage):
    """The import's header row (and one example row) as a CSV file to fill in."""

    def get(self, request):
        example = ["edge-1", "router", "MikroTik", "CCR2004", "HX1234", "00:1a:2b:3c:4d:5e",
                   "London POP", "core-1", "active", "10.0.0.2", "Cabinet 3"]  # fmt: skip
        body = ",".join(device_import.COLUMNS) + "\r\n" + ",".join(example) + "\r\n"
        return HttpResponse(
            body, content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="devices.csv"'},
        )  # fmt: skip


class SiteList(NetworkPage, ListPage):
    """Sites with their devices and circuits, and a map of those with coordinates."""

    template_name = "isp/network/sites.html"
    search_fields = ("name", "street", "city", "postcode")
    filterset_class = SiteFilter
    ignore_invalid_filters = True
    page_size = 100

    def rows(self):
        return Site.objects.annotate(device_count=Count("devices", distinct=True)).order_by("name")

    def list_context(self) -> dict:
        placed = self.listed().exclude(latitude=None)[:500]
        return {"site_map": site_map(placed)}


def site_map(sites) -> SafeString:
    """The sites with coordinates on an SVG plane (longitude across, latitude up, fitted to
    them with a margin): a dot and a name each, the exact place in its title. No tiles: the
    pages load nothing from elsewhere."""
    sites = list(sites)
    if not sites:
        return mark_safe("")
    width, height, pad = 640, 320, 40
    lats = [float(site.latitude) for site in sites]
    lons = [float(site.longitude) for site in sites]
    span_lat = max(max(lats) - min(lats), 0.01)
    span_lon = max(max(lons) - min(lons), 0.01)
    marks = []
    for site, lat, lon in zip(sites, lats, lons, strict=True):
        x = pad + (lon - min(lons)) / span_lon * (width - 2 * pad)
        y = height - pad - (lat - min(lats)) / span_lat * (height - 2 * pad)
        name = escape(site.name)
        marks.append(
            f'<g class="site site-{escape(site.status)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="6">'
            f"<title>{name}: {site.latitude}, {site.longitude}</title></circle>"
            f'<text x="{x + 9:.1f}" y="{y + 4:.1f}">{name}</text></g>'
        )
    return mark_safe(
        f'<svg class="site-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Map of {len(sites)} sites">'
        f'<rect class="map-ground" width="{width}" height="{height}" rx="10"/>'
        f"{''.join(marks)}</svg>"
    )
