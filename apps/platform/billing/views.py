"""The tenant super admin's /billing/ pages on its host: plan, seats, usage, the upcoming
invoice, invoices and payments, and paying. Anyone else: a sign-in, or 403."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views import View

from apps.core.exceptions import DomainError
from apps.platform.billing import documents
from apps.platform.billing.models import Invoice, Payment
from apps.platform.billing.services import accounts, changes, collection, retention
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.selectors import usage_for_tenant
from apps.platform.metering import charts, quotas
from apps.platform.metering import selectors as metering


class BillingPage(View):
    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_superuser):
            raise PermissionDenied("Only the organisation's super admin sees its DotMac bill.")
        self.account = accounts.account_ensure(tenant=request.tenant)
        return super().dispatch(request, *args, **kwargs)

    def own_subscription(self, app_key: str) -> Subscription:
        subscription = (Subscription.objects.filter(tenant=self.request.tenant, app__key=app_key)
                        .select_related("app", "plan", "tenant").first())  # fmt: skip
        if subscription is None:
            raise Http404("No subscription to this app.")
        return subscription

    def own_invoice(self, pk) -> Invoice:
        invoice = Invoice.objects.filter(account=self.account, pk=pk).first()
        if invoice is None:
            raise Http404("No such invoice.")
        return invoice


class BillingHome(BillingPage):
    def get(self, request, error: str = "", status: int = 200):
        subscriptions = (
            Subscription.objects.filter(tenant=request.tenant)
            .select_related("app", "plan", "billing__price")
            .order_by("app__position")
        )
        subscriptions = list(subscriptions)
        for subscription in subscriptions:
            subscription.kept_until = retention.retention_until(subscription)
            subscription.data_kept = subscription.kept_until and retention.data_kept(subscription)
        return render(request, "billing/home.html", {
            "tenant": request.tenant, "account": self.account, "subscriptions": subscriptions,
            "usage": usage_for_tenant(request.tenant),
            "upcoming": changes.upcoming(account=self.account),
            "invoices": Invoice.objects.filter(account=self.account).order_by("-number")[:24],
            "payments": Payment.objects.filter(account=self.account).select_related("invoice")[:24],
            "open": Invoice.objects.filter(account=self.account, status="open").order_by("number"),
            "error": error, "retention_days": settings.BILLING_RETENTION_DAYS,
            "quota_notices": quotas.quota_notices(request.tenant.schema_name),
        }, status=status)  # fmt: skip

    def post(self, request):
        """Save a card (and pay the open invoices with it)."""
        actor = request.user.get_username()
        try:
            card = request.POST.get("card_number", "")
            accounts.payment_method_set(account=self.account, actor=actor, card_number=card)
            for invoice in Invoice.objects.filter(account=self.account, status="open"):
                payment = collection.invoice_pay_now(invoice=invoice, actor=actor)
                if payment.status == Payment.Status.FAILED:
                    self.account.refresh_from_db()
                    failure = f"{invoice.display_number}: {payment.failure_reason}"
                    return self.get(request, error=failure, status=400)
        except (ValidationError, DomainError) as refusal:
            self.account.refresh_from_db()
            message = "; ".join(getattr(refusal, "messages", None) or [str(refusal)])
            return self.get(request, error=message, status=400)
        return redirect("billing:home")


class InvoicePage(BillingPage):
    def get(self, request, pk: int):
        return render(request, "billing/invoice.html",
                      {"tenant": request.tenant, "invoice": self.own_invoice(pk)})  # fmt: skip


class InvoicePdf(BillingPage):
    def get(self, request, pk: int):
        return documents.pdf_response(self.own_invoice(pk))


class AppCancelPage(BillingHome):
    """Cancel an app (soft unsubscribe): its data is kept for the retention period. (A refusal
    is shown on the billing page.)"""

    http_method_names = ["post"]

    def post(self, request, app_key: str):
        subscription = self.own_subscription(app_key)
        if request.POST.get("confirm") != app_key:
            return super().get(request, error="Tick the box to confirm the cancellation.",
                               status=400)  # fmt: skip
        try:
            retention.app_unsubscribe(subscription=subscription,
                                      actor=request.user.get_username())  # fmt: skip
        except (ValidationError, DomainError) as refusal:
            return super().get(request, error=str(refusal), status=409)
        return redirect("billing:home")


class AppResubscribePage(BillingHome):
    """Take a cancelled app up again: its kept data opens again."""

    http_method_names = ["post"]

    def post(self, request, app_key: str):
        subscription = self.own_subscription(app_key)
        try:
            retention.app_resubscribe(subscription=subscription,
                                      actor=request.user.get_username())  # fmt: skip
        except (ValidationError, DomainError) as refusal:
            message = "; ".join(getattr(refusal, "messages", None) or [str(refusal)])
            return super().get(request, error=message, status=409)
        return redirect("billing:home")


class AppExportPage(BillingHome):
    """The data of a cancelled app (or a subscribed one), as a zip of JSON fixtures."""

    http_method_names = ["get"]

    def get(self, request, app_key: str):  # type: ignore[override]
        subscription = self.own_subscription(app_key)
        try:
            path = retention.app_export(subscription=subscription)
        except DomainError as refusal:
            return super().get(request, error=str(refusal), status=409)
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


class UsagePage(BillingPage):
    """The organisation's resource use: its quotas, the last 30 days as charts, and the latest
    day's requests and task time by app (its own series only)."""

    def get(self, request):
        tenant = request.tenant
        series = metering.tenant_series(tenant, days=30)
        latest = series[-1] if series else None
        by_app = []
        if latest is not None:
            apps = sorted(set(latest.api_requests) | set(latest.task_seconds))
            by_app = [(app, latest.api_requests.get(app, 0), latest.task_seconds.get(app, 0))
                      for app in apps]  # fmt: skip
        return render(request, "billing/usage.html", {
            "tenant": tenant, "latest": latest, "charts": charts.series_charts(series),
            "quotas": quotas.quotas_for(tenant.schema_name), "by_app": by_app,
            "quota_notices": quotas.quota_notices(tenant.schema_name),
            "warning_percent": settings.QUOTA_WARNING_PERCENT,
        })  # fmt: skip
