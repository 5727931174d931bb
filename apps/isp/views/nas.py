"""The RADIUS pages of /isp/network/: the NAS registry (list, and a NAS with its open
sessions), the accounting sessions (filtered like the API's list); and a service's page with
its connection: the login (as the router sends it), open sessions, usage by day and the month
against the data cap. `isp.radius` (Pro and Enterprise): on Basic they say so (403)."""

import datetime
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.safestring import SafeString

from apps.core.kit.pages import ActionPage, DetailPage, ListPage
from apps.isp.api.radius import RadiusSessionFilter
from apps.isp.constants import RADIUS
from apps.isp.forms import StaffTopUpForm, TopUpForm
from apps.isp.models import Nas, RadiusLogin, RadiusSession, Service
from apps.isp.selectors.radius import (
    DEFAULT_USAGE_DAYS,
    GB,
    month_usage,
    sessions_listed,
    usage_by_day,
    wire_username,
)
from apps.isp.services.coa import radius_licensed
from apps.isp.services.radius import data_top_up_add
from apps.isp.views.base import IspPage
from apps.isp.views.charts import Series, month_chart
from apps.isp.views.network import NetworkPage
from apps.platform.licensing.guards import ensure_feature

#: Open sessions a page lists.
SESSIONS_SHOWN = 100


class RadiusPage(NetworkPage):
    """A page of the RADIUS registry: on a plan without `isp.radius`, a page saying which
    plans include it (403)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not radius_licensed():
            return self.render("isp/network/radius_not_in_plan.html", status=403)
        return super().dispatch(request, *args, **kwargs)


class NasList(RadiusPage, ListPage):
    template_name = "isp/network/nas_list.html"
    search_fields = ("name", "description")
    page_size = 50

    def rows(self):
        return (
            Nas.objects.select_related("site")
            .annotate(open_sessions=Count("sessions", filter=Q(sessions__status="open")))
            .order_by("name")
        )


class NasDetail(RadiusPage, DetailPage):
    template_name = "isp/network/nas.html"

    def object(self):
        return self.get_row(Nas.objects.select_related("site"), self.kwargs["pk"])

    def detail_context(self, nas) -> dict:
        sessions = sessions_listed().filter(nas=nas, status=RadiusSession.Status.OPEN)
        return {
            "sessions": sessions.order_by("-started_at")[:SESSIONS_SHOWN],
            "open_count": sessions.count(),
        }


class SessionList(RadiusPage, ListPage):
    template_name = "isp/network/sessions.html"
    search_fields = ("username", "calling_station", "session_id")
    filterset_class = RadiusSessionFilter
    ignore_invalid_filters = True
    page_size = 50

    def rows(self):
        return sessions_listed().order_by("-started_at")

    def list_context(self) -> dict:
        return {
            "statuses": RadiusSession.Status.choices,
            "access_servers": Nas.objects.order_by("name"),
        }


def usage_chart(points) -> SafeString:
    return month_chart(
        points,
        bars=[Series("download", "Download (GB)", "c-blue"),
              Series("upload", "Upload (GB)", "c-green")],
        stacked=True,
        money=True,  # two decimals: gigabytes
        title=f"Data used by day, the last {len(points)} days",
        height=220,
    )  # fmt: skip


def connection_context(service: Service, slug: str) -> dict:
    """What a service's connection panel shows (staff and portal alike)."""
    today = timezone.localdate()
    points = usage_by_day(service, today - datetime.timedelta(days=DEFAULT_USAGE_DAYS - 1), today)
    login = RadiusLogin.objects.filter(service=service).first()
    return {
        "login": login,
        "wire_username": wire_username(login, slug),
        "usage_chart": usage_chart(points),
        "usage_total_gb": round(sum(p.total for p in points) / GB, 2),
        "month": month_usage(service, today),
        "top_up_form": TopUpForm(),
    }


class ServiceDetail(IspPage, DetailPage):
    """A service: plan, status, and its connection (with `isp.radius`)."""

    template_name = "isp/services/detail.html"
    section = "customers"

    def object(self):
        return self.get_row(Service.objects.select_related("customer", "plan"), self.kwargs["pk"])

    def detail_context(self, service) -> dict:
        if not radius_licensed():
            return {"radius": False}
        sessions = sessions_listed().filter(service=service, status=RadiusSession.Status.OPEN)
        return {
            "radius": True,
            "sessions": sessions.order_by("-started_at")[:SESSIONS_SHOWN],
            **connection_context(service, self.request.tenant.slug),
            "top_up_form": StaffTopUpForm(),
        }


def top_up(page, form_class, *, charge: bool | None = None) -> str:
    """A top-up form's POST on a service page (staff's or the portal's)."""
    ensure_feature(RADIUS)
    form = form_class(page.request.POST)
    if not form.is_valid():
        raise ValidationError(form.errors)
    data = form.cleaned_data
    charged = data.get("charge", True) if charge is None else charge
    done = data_top_up_add(service=page.service, gigabytes=data["gigabytes"], charge=charged,
                           actor=page.actor)  # fmt: skip
    return f"{done.gigabytes} GB added to {done.month:%B %Y}."


class ServiceTopUp(IspPage, ActionPage):
    """Staff add data to a service's month: invoiced at the plan's price, or granted."""

    @cached_property
    def service(self) -> Service:
        rows = Service.objects.select_related("plan__tax_class", "customer")
        return self.get_row(rows, self.kwargs["pk"], "change")

    def act(self) -> str:
        return top_up(self, StaffTopUpForm)

    def done(self):
        return redirect("isp:service-detail", self.service.pk)
