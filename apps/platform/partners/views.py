"""The partner portal, /partners/ on the public host: the partner's tenants, MRR, ledger and
payouts (with each payout's CSV)."""

from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views import View

from apps.platform.partners.models import LedgerEntry, Payout
from apps.platform.partners.selectors import partner_balance, partner_tenants
from apps.platform.partners.services import partner_of, payout_csv


class PartnerPage(View):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/partners/login/")
        self.partner = partner_of(request.user)
        if self.partner is None:
            raise PermissionDenied("Only a partner's users see the partner portal.")
        return super().dispatch(request, *args, **kwargs)


class PortalHome(PartnerPage):
    def get(self, request):
        tenants = partner_tenants(self.partner)
        return render(request, "partners/home.html", {
            "partner": self.partner, "tenants": tenants,
            "mrr": sum((t["mrr"] for t in tenants), 0), "balance": partner_balance(self.partner),
            "ledger": LedgerEntry.objects.filter(partner=self.partner)
            .select_related("tenant", "invoice")[:100],
            "payouts": Payout.objects.filter(partner=self.partner)[:50],
        })  # fmt: skip


class PayoutCsv(PartnerPage):
    def get(self, request, pk: int):
        payout = Payout.objects.filter(partner=self.partner, pk=pk).first()
        if payout is None:
            raise Http404("No such payout.")
        response = HttpResponse(payout_csv(payout), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="payout-{payout.pk}.csv"'
        return response


class PartnerLogin(LoginView):
    template_name = "partners/login.html"
    next_page = "/partners/"
