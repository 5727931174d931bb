"""The ISP API: the staff resources (kebab-case plural prefixes, /api/v1/isp/...) and the
portal's (/api/v1/isp/portal/...), each mounted at its area's API path (apps/isp/apps.py)."""

from rest_framework.routers import SimpleRouter

from apps.isp.api import portal, views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="isp-customer")
router.register("customer-contacts", views.CustomerContactViewSet, basename="isp-customer-contact")
router.register("tax-classes", views.TaxClassViewSet, basename="isp-tax-class")
router.register("plans", views.ServicePlanViewSet, basename="isp-plan")
router.register("services", views.ServiceViewSet, basename="isp-service")
router.register("invoices", views.InvoiceViewSet, basename="isp-invoice")
router.register("credit-notes", views.CreditNoteViewSet, basename="isp-credit-note")
router.register("payments", views.PaymentViewSet, basename="isp-payment")
router.register("billing-runs", views.BillingRunViewSet, basename="isp-billing-run")
router.register("dunning-steps", views.DunningStepViewSet, basename="isp-dunning-step")

#: area → its API routes (apps.core.kit.urls mounts them at the area's API path).
by_area = {"isp": router.urls, "isp.portal": portal.urlpatterns}
