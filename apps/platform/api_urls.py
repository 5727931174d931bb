"""The management API, /api/v1/platform/ on the public host only."""

from rest_framework.routers import SimpleRouter

from apps.platform.billing.api.views import (
    BillingAccountViewSet,
    PlatformInvoiceViewSet,
    PlatformPaymentViewSet,
)
from apps.platform.catalog.api.views import AppViewSet, PlanViewSet
from apps.platform.licensing.api.views import SubscriptionViewSet
from apps.platform.metering.api.views import PlatformUsageViewSet
from apps.platform.tenants.api.views import TenantViewSet

router = SimpleRouter()
router.register("tenants", TenantViewSet, basename="platform-tenant")
router.register("subscriptions", SubscriptionViewSet, basename="platform-subscription")
router.register("apps", AppViewSet, basename="platform-app")
router.register("plans", PlanViewSet, basename="platform-plan")
router.register("billing-accounts", BillingAccountViewSet, basename="platform-billing-account")
router.register("invoices", PlatformInvoiceViewSet, basename="platform-invoice")
router.register("payments", PlatformPaymentViewSet, basename="platform-payment")
router.register("usage", PlatformUsageViewSet, basename="platform-usage")

urlpatterns = router.urls
