"""Switch unsubscribed apps off on tenant hosts, by the URL prefixes the apps declare
(DESIGN.md §3, §5; apps.core.kit.declaration).

API paths answer 403 APP_NOT_SUBSCRIBED; pages answer the "Upgrade to access" page (403) that
names the plans unlocking the app; the tenant admin's pages of the app answer 403.
"""

from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.db import connection
from django.shortcuts import render

from apps.core.errors import ErrorCode, error_response
from apps.core.exceptions import AppNotSubscribedError
from apps.core.kit.declaration import app_for_path, declared
from apps.platform.catalog.models import App
from apps.platform.licensing.entitlements import entitlements_for
from apps.platform.licensing.guards import ensure_app
from apps.platform.licensing.models import Subscription

#: A licence in these statuses is off because of an unpaid bill, not a missing subscription.
BILLING_ISSUE = (Subscription.Status.PAST_DUE, Subscription.Status.SUSPENDED)


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
        licence = entitlements_for(connection.schema_name).licence(app_key)
        if licence is not None and licence.status in BILLING_ISSUE:
            return LicenseMiddleware.billing_issue(request, licence, is_api)
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

    @staticmethod
    def billing_issue(request, licence, is_api: bool):
        """The app is off for an unpaid bill: the API says so; a page tells the tenant's users
        to see their administrator, and its super admin where to pay."""
        message = f"{licence.app_name} is suspended: your organisation's DotMac bill is unpaid."
        if is_api:
            return error_response(
                ErrorCode.APP_NOT_SUBSCRIBED, message, [{"field": "billing", "message": "unpaid"}]
            )
        return render(
            request,
            "licensing/billing_issue.html",
            {"licence": licence, "tenant": request.tenant,
             "super_admin": _signed_in_super_admin(request)},
            status=403,
        )  # fmt: skip


def _signed_in_super_admin(request) -> bool:
    """Whether the session's user is the tenant's super admin (this middleware runs before the
    session and authentication middlewares, which it answers in place of)."""
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    user = auth.get_user(request)
    return bool(user.is_authenticated and user.is_active and user.is_superuser)
