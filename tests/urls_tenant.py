from django.urls import include, path
from rest_framework.routers import SimpleRouter

from dotmac.urls_tenant import urlpatterns as tenant_urlpatterns
from tests import views

router = SimpleRouter()
router.register("test/heartbeats", views.HeartbeatViewSet)

urlpatterns = [
    path("api/v1/test/raise/<str:kind>/", views.Raise.as_view()),
    path("api/v1/test/throttled/", views.Throttled.as_view()),
    path("api/v1/test/plain-crash/", views.plain_crash),
    path("test/page-crash/", views.plain_crash),
    path("api/v1/", include(router.urls)),
    *tenant_urlpatterns,
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
