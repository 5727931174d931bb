"""Switch unsubscribed apps off on tenant hosts, by the URL prefixes the apps declare
(DESIGN.md §3, §5; apps.core.kit.declaration).

API paths answer 403 APP_NOT_SUBSCRIBED; pages answer the "Upgrade to access" page (403) that
names the plans unlocking the app; the tenant admin's pages of the app answer 403.
"""

from django.shortcuts import render

from apps.core.errors import ErrorCode, error_response
from apps.core.exceptions import AppNotSubscribedError
from apps.core.kit.declaration import app_for_path, declared
from apps.platform.catalog.models import App
from apps.platform.licensing.guards import ensure_app


class LicenseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return self.get_response(request)
        app_key, is_api = self.app_of(request.path_info)
        if app_key is not None:
            try:
                ensure_app(app_key)
            except AppNotSubscribedError as refusal:
                return self.refuse(request, app_key, is_api, refusal)
        return self.get_response(request)

    @staticmethod
    def app_of(path: str) -> tuple[str | None, bool]:
        parts = path.lstrip("/").split("/", 2)
        if parts[0] == "admin" and len(parts) > 1 and declared(parts[1]) is not None:
            return parts[1], False
        return app_for_path(path)

    @staticmethod
    def refuse(request, app_key: str, is_api: bool, refusal: AppNotSubscribedError):
        if is_api:
            return error_response(ErrorCode.APP_NOT_SUBSCRIBED, refusal.message, refusal.details)
        app = App.objects.filter(key=app_key).first()
        plans = app.plans.filter(is_active=True).order_by("price") if app else []
        return render(
            request,
            "licensing/upgrade.html",
            {
                "app": app,
                "app_key": app_key,
                "plans": plans,
                "tenant": request.tenant,
                "icon": declared(app_key).launcher[0].icon,
            },
            status=403,
        )
