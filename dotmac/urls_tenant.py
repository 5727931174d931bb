"""A tenant's host: its apps (as they declare themselves: apps.core.kit), its admin console,
its API."""

from django.urls import include, path

from apps.core.kit.urls import catalog_urlpatterns
from apps.platform.licensing.api.tenant_views import LicenceView
from dotmac.urls_common import api_fallback, handler400, handler403, handler404, handler500  # noqa: F401
from dotmac.urls_common import urlpatterns as common_urlpatterns

urlpatterns = [
    path("", include("apps.identity.urls")),
    path("api/v1/licence/", LicenceView.as_view(), name="licence"),
    path("api/v1/billing/", include("apps.platform.billing.api.urls")),
    path("billing/", include("apps.platform.billing.urls")),
    *catalog_urlpatterns(),  # every catalog app's pages and API, from its declaration
    *common_urlpatterns,
    *api_fallback,
]
