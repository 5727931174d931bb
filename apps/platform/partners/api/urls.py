from rest_framework.routers import SimpleRouter

from apps.platform.partners.api.views import LedgerViewSet, PartnerTenantViewSet, PayoutViewSet

router = SimpleRouter()
router.register("tenants", PartnerTenantViewSet, basename="partner-tenant")
router.register("ledger", LedgerViewSet, basename="partner-ledger")
router.register("payouts", PayoutViewSet, basename="partner-payout")
urlpatterns = router.urls
