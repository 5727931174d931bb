"""The CRM API, mounted at its area's API path (/api/v1/crm/, apps/crm/apps.py)."""

from rest_framework.routers import SimpleRouter

from apps.crm.api import views

router = SimpleRouter()
router.register("accounts", views.AccountViewSet, basename="crm-account")
router.register("contacts", views.ContactViewSet, basename="crm-contact")
router.register("leads", views.LeadViewSet, basename="crm-lead")
router.register("opportunities", views.OpportunityViewSet, basename="crm-opportunity")
router.register("activities", views.ActivityViewSet, basename="crm-activity")
router.register("stages", views.StageViewSet, basename="crm-stage")
router.register("reports", views.ReportViewSet, basename="crm-report")

#: area → its API routes (apps.core.kit.urls mounts them at the area's API path).
by_area = {"crm": router.urls}
