"""Pages of an app area: sign in first, then the area must be granted (API: see permissions).
A public area's pages (the storefront) are open to everyone; licensing still applies."""

from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.shortcuts import render

from apps.core.kit.declaration import area_for_path
from apps.identity.access import can_open
from apps.identity.selectors import super_admins


class AppAreaAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if connection.schema_name == "public" or request.path_info.startswith("/api/"):
            return self.get_response(request)
        area = area_for_path(request.path_info)
        if area is None or area.public:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/login/")
        if not can_open(request.user, area.key):
            return render(
                request,
                "identity/no_access.html",
                {"area": area, "admins": super_admins(), "tenant": request.tenant},
                status=403,
            )
        return self.get_response(request)
