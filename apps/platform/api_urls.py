"""The management API, /api/v1/platform/ on the public host only."""

from rest_framework.routers import SimpleRouter

from apps.platform.catalog.api.views import AppViewSet, PlanViewSet
from apps.platform.licensing.api.views import SubscriptionViewSet
from apps.platform.tenants.api.views import TenantViewSet

router = SimpleRouter()
router.register("tenants", TenantViewSet, basename="platform-tenant")
router.register("subscriptions", SubscriptionViewSet, basename="platform-subscription")
router.register("apps", AppViewSet, basename="platform-app")
router.register("plans", PlanViewSet, basename="platform-plan")

urlpatterns = router.urls
