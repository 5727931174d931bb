"""The ISP API: the staff resources (kebab-case plural prefixes, /api/v1/isp/...) and the
portal's (/api/v1/isp/portal/...), each mounted at its area's API path (apps/isp/apps.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.isp.api import field, monitoring, portal, radius, radius_changes, support, views

staff = SimpleRouter()
staff.register("customers", views.CustomerViewSet, basename="isp-customer")
staff.register("customer-contacts", views.CustomerContactViewSet, basename="isp-customer-contact")
staff.register("tax-classes", views.TaxClassViewSet, basename="isp-tax-class")
staff.register("plans", views.ServicePlanViewSet, basename="isp-plan")
staff.register("services", views.ServiceViewSet, basename="isp-service")
staff.register("invoices", views.InvoiceViewSet, basename="isp-invoice")
staff.register("credit-notes", views.CreditNoteViewSet, basename="isp-credit-note")
staff.register("payments", views.PaymentViewSet, basename="isp-payment")
staff.register("billing-runs", views.BillingRunViewSet, basename="isp-billing-run")
staff.register("dunning-steps", views.DunningStepViewSet, basename="isp-dunning-step")
staff.register("vrfs", views.VrfViewSet, basename="isp-vrf")
staff.register("prefixes", views.PrefixViewSet, basename="isp-prefix")
staff.register("ip-addresses", views.IPAddressViewSet, basename="isp-ip-address")
staff.register("sites", views.SiteViewSet, basename="isp-site")
staff.register("devices", views.DeviceViewSet, basename="isp-device")
staff.register("circuits", views.CircuitViewSet, basename="isp-circuit")
staff.register("nas", radius.NasViewSet, basename="isp-nas")
staff.register("nas-attributes", radius.NasAttributeViewSet, basename="isp-nas-attribute")
staff.register("radius-logins", radius.RadiusLoginViewSet, basename="isp-radius-login")
staff.register("radius-sessions", radius.RadiusSessionViewSet, basename="isp-radius-session")
staff.register("radius-changes", radius_changes.RadiusChangeViewSet, basename="isp-radius-change")
staff.register("monitors", monitoring.MonitorViewSet, basename="isp-monitor")
staff.register("probe-results", monitoring.ProbeResultViewSet, basename="isp-probe-result")
staff.register("monitor-events", monitoring.MonitorEventViewSet, basename="isp-monitor-event")
staff.register("maintenance-windows", monitoring.MaintenanceWindowViewSet,
               basename="isp-maintenance-window")  # fmt: skip
staff.register("outages", monitoring.OutageViewSet, basename="isp-outage")
staff.register("tickets", support.TicketViewSet, basename="isp-ticket")
staff.register("ticket-views", support.SavedTicketViewViewSet, basename="isp-ticket-view")
staff.register("support-teams", support.SupportTeamViewSet, basename="isp-support-team")
staff.register("sla-policies", support.SlaPolicyViewSet, basename="isp-sla-policy")
staff.register("business-hours", support.BusinessHoursViewSet, basename="isp-business-hours")
staff.register("holidays", support.HolidayViewSet, basename="isp-holiday")
staff.register("work-orders", field.WorkOrderViewSet, basename="isp-work-order")

customer_portal = SimpleRouter()
customer_portal.register("services", portal.PortalServiceViewSet, basename="isp-portal-service")
customer_portal.register("invoices", portal.PortalInvoiceViewSet, basename="isp-portal-invoice")
customer_portal.register("payments", portal.PortalPaymentViewSet, basename="isp-portal-payment")
customer_portal.register("tickets", support.PortalTicketViewSet, basename="isp-portal-ticket")

technician = SimpleRouter()
technician.register("jobs", field.TechJobViewSet, basename="isp-tech-job")
me = portal.PortalMeViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"})

#: area → its API routes (apps.core.kit.urls mounts them at the area's API path).
by_area = {
    "isp": staff.urls,
    "isp.portal": [path("me/", me, name="isp-portal-me"), *customer_portal.urls],
    "isp.tech": technician.urls,
}
