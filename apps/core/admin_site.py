"""The admin site of every host. Each host's console shows only what has a meaning there: the
apps that live in its schema (a tenant's console lists no platform API keys; the platform console
no "Not available for global schema" sections), and of those only what the registry's filters
let through (licensing: the apps and plan features the tenant has)."""

from functools import cache, wraps

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.http import Http404

from apps.core.registry import registry
from apps.core.throttling import throttled_login_page


@cache
def _labels_of(entries: tuple[str, ...]) -> frozenset[str]:
    """App labels of INSTALLED_APPS-style entries (an app's module or its AppConfig's path)."""
    wanted = set(entries)
    return frozenset(
        config.label
        for config in apps.get_app_configs()
        if config.name in wanted or f"{type(config).__module__}.{type(config).__name__}" in wanted
    )


def lives_here(app_label: str) -> bool:
    """Whether the app's tables are in the current schema (django-tenants' SHARED/TENANT_APPS)."""
    if connection.schema_name == "public":
        return app_label in _labels_of(tuple(settings.SHARED_APPS))
    return app_label in _labels_of(tuple(settings.TENANT_APPS))


class DotMacAdminSite(admin.AdminSite):
    site_header = "DotMac administration"
    site_title = "DotMac"
    index_title = "Administration"

    def login(self, request, extra_context=None):
        """The console's sign-in shares the per-IP sign-in budget with /login/ and the API."""
        if request.method == "POST":
            refused = throttled_login_page(request)
            if refused is not None:
                return refused
        return super().login(request, extra_context)

    def _build_app_dict(self, request, label=None):
        """The menus (index, app index, sidebar) list an app only where it lives and while the
        registry's filters agree, and of its models only those the model filters let through."""
        app_dict = super()._build_app_dict(request, label)
        shown = {}
        for app_label, app in app_dict.items():
            if not lives_here(app_label):
                continue
            if not all(visible(request, app_label) for visible in registry.admin_app_filters):
                continue
            app["models"] = [
                model
                for model in app["models"]
                if all(
                    visible(request, model["model"]._meta.label_lower)
                    for visible in registry.admin_model_filters
                )
            ]
            if app["models"]:
                shown[app_label] = app
        return shown

    def admin_view(self, view, cacheable=False):
        """A model's pages answer 404 on a host whose schema does not hold the model (its rows
        would be read through the search path from another schema)."""
        wrapped = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        if not isinstance(model_admin, admin.ModelAdmin):
            return wrapped
        app_label = model_admin.model._meta.app_label

        @wraps(wrapped)
        def only_where_it_lives(request, *args, **kwargs):
            if not lives_here(app_label):
                raise Http404("No such page in this console.")
            return wrapped(request, *args, **kwargs)

        return only_where_it_lives
