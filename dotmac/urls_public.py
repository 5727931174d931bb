"""The public (platform) host: console, management API, signup."""

from django.urls import include, path

from apps.core.pages import PlatformHomeView
from dotmac.urls_common import api_fallback, handler400, handler403, handler404, handler500  # noqa: F401
from dotmac.urls_common import urlpatterns as common_urlpatterns

urlpatterns = [
    path("", PlatformHomeView.as_view(), name="home"),
    path("signup/", include("apps.platform.tenants.urls")),
    path("api/v1/platform/", include("apps.platform.api_urls")),
    path("api/v1/partners/", include("apps.platform.partners.api.urls")),
    path("partners/", include("apps.platform.partners.urls")),
    *common_urlpatterns,
    *api_fallback,
]
