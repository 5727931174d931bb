"""URLs that both the public host and every tenant host serve."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core.views import page_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("apps.identity.api.urls")),
    path("api/v1/", include("apps.core.api.audit")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split: the page and its start-up script are two responses, so that no script is inline.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="core/swagger_ui.html"
        ),
        name="swagger-ui",
    ),
]

# Appended after each host's own API routes: an unknown API path is a NOT_FOUND envelope, even
# with DEBUG on (where Django would otherwise answer with its HTML technical page).
api_fallback = [re_path(r"^api/", page_not_found)]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
