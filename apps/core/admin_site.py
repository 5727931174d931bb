"""The admin site of every host. Apps a tenant does not subscribe to are left out of its
admin's menus (their URLs answer 403 through the licence middleware)."""

from django.contrib import admin

from apps.core.registry import registry


class DotMacAdminSite(admin.AdminSite):
    site_header = "DotMac administration"
    site_title = "DotMac"
    index_title = "Administration"

    def login(self, request, extra_context=None):
        """The console's sign-in shares the per-IP sign-in budget with /login/ and the API."""
        if request.method == "POST":
            from apps.core.throttling import throttled_login_page

            refused = throttled_login_page(request)
            if refused is not None:
                return refused
        return super().login(request, extra_context)

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        return [
            app
            for app in app_list
            if all(visible(request, app["app_label"]) for visible in registry.admin_app_filters)
        ]
