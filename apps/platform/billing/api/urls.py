"""The tenant's API of its DotMac bill: /api/v1/billing/ on its host."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.platform.billing.api.views import (
    AccountView,
    TenantInvoiceViewSet,
    TenantPaymentViewSet,
    UpcomingView,
)
from apps.platform.metering.api.views import TenantUsageViewSet

router = SimpleRouter()
router.register("invoices", TenantInvoiceViewSet, basename="billing-invoice")
router.register("payments", TenantPaymentViewSet, basename="billing-payment")
router.register("usage", TenantUsageViewSet, basename="billing-usage")

urlpatterns = [
    path("account/", AccountView.as_view(), name="billing-account"),
    path("upcoming/", UpcomingView.as_view(), name="billing-upcoming"),
    *router.urls,
]
