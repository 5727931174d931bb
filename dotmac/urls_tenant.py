"""A tenant's host: its apps, its admin console, its API."""

from django.urls import include, path

from apps.platform.licensing.api.tenant_views import LicenceView
from dotmac.urls_common import api_fallback, handler400, handler403, handler404, handler500  # noqa: F401
from dotmac.urls_common import urlpatterns as common_urlpatterns

urlpatterns = [
    path("", include("apps.identity.urls")),
    path("api/v1/licence/", LicenceView.as_view(), name="licence"),
    path("api/v1/isp/", include("apps.isp.api.urls")),
    path("api/v1/crm/", include("apps.crm.api.urls")),
    path("", include("apps.isp.urls")),
    path("", include("apps.crm.urls")),
    *common_urlpatterns,
    *api_fallback,
]
