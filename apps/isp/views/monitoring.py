"""The monitoring pages of /isp/network/: the network's status (devices up and down, open and
recent outages, maintenance), an outage with the services it hit and its timeline, and the
"Probe now" button of a device's page (whose monitoring panel and latency chart are drawn by
`device_monitoring`). `isp.monitoring` (Pro and Enterprise): on Basic they say so (403)."""

from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.core.kit.pages import ActionPage, DetailPage
from apps.isp.models import Device, Monitor, Outage
from apps.isp.selectors.monitoring import network_status
from apps.isp.services import monitoring
from apps.isp.views.device_monitoring import monitoring_licensed
from apps.isp.views.network import NetworkPage


class MonitoringPage(NetworkPage):
    """A monitoring page: on a plan without `isp.monitoring`, a page saying which plans
    include it (403)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not monitoring_licensed():
            return self.render("isp/network/monitoring_not_in_plan.html", status=403)
        return super().dispatch(request, *args, **kwargs)


class NetworkStatusPage(MonitoringPage):
    template_name = "isp/network/monitoring.html"

    def get(self, request):
        return self.render(network=network_status())


class OutageDetail(MonitoringPage, DetailPage):
    template_name = "isp/network/outage.html"

    def object(self):
        return self.get_row(Outage.objects.select_related("device"), self.kwargs["pk"])

    def detail_context(self, outage) -> dict:
        affected = outage.affected.select_related("service__customer", "service__plan").order_by(
            "service__customer__name", "service_id"
        )[:500]
        return {"affected": affected, "timeline": outage.timeline.all()[:200],
                "credits": outage.credits.select_related("credit_note")[:500]}  # fmt: skip


class ProbeNow(MonitoringPage, ActionPage):
    """Probe a device at once: it needs the change permission on the device."""

    def act(self) -> str:
        device = self.get_row(Device.objects.all(), self.kwargs["pk"], "change")
        monitor = Monitor.objects.filter(device=device).first()
        if monitor is None:
            raise ValidationError(f"{device.name} is not monitored.")
        monitor = monitoring.probe_now(monitor=monitor, actor=self.actor)
        latency = f", {monitor.last_latency_ms} ms" if monitor.last_latency_ms is not None else ""
        return f"{device.name}: {monitor.get_state_display().lower()}{latency}."

    def done(self):
        return self.back(reverse("isp:device-detail", args=[self.kwargs["pk"]]))
