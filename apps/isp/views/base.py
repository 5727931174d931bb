"""Bases of the ISP's pages (the page kit: apps.core.kit.pages): `IspPage` for the staff area
(/isp/) and `PortalPage` for the customer portal (/portal/). The area middleware has checked
the tenant's licence and the user's roles before either runs."""

from functools import cached_property

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse

from apps.core.kit.pages import Page
from apps.core.kit.refusals import refusal_text
from apps.isp import selectors
from apps.isp.models import Customer


class IspPage(Page):
    """Base of every staff page: the staff see the whole of the tenant's ISP (the API's
    viewsets restrict nothing either), so `restrict` is the kit's."""

    def to_customer(self, customer_id: int, part: str = ""):
        """Back to an account's page, at one of its parts (#services, #payments...)."""
        url = reverse("isp:customer-detail", args=[customer_id])
        return redirect(f"{url}#{part}" if part else url)

    @staticmethod
    def valid(form, refusal: str, *, why: bool = False) -> dict:
        """The form's data; else `refusal` (and, `why`, what was wrong) as the refusal the
        page shows."""
        if form.is_valid():
            return form.cleaned_data
        if why:
            refusal = f"{refusal}: {refusal_text(ValidationError(form.errors))}"
        raise ValidationError(refusal)


class CustomerPage(IspPage):
    """A page of one account (/isp/customers/<pk>/...) that changes it."""

    section = "customers"

    @cached_property
    def customer(self) -> Customer:
        return self.get_row(Customer.objects.all(), self.kwargs["pk"], "change")


class PortalPage(Page):
    """Base of every portal page: the signed-in user's own customer account, and only its rows
    (the portal API's restriction: another account's invoice is a 404, like one that never
    existed). A user with portal access but no linked account gets a page that says so."""

    def dispatch(self, request, *args, **kwargs):
        self.customer = None
        if request.user.is_authenticated:
            self.customer = selectors.customer_of(request.user)
            if self.customer is None:
                return self.render("portal/no_account.html", status=403)
        return super().dispatch(request, *args, **kwargs)

    def restrict(self, queryset, action: str):
        return selectors.of_customer(queryset, self.customer)

    def page_context(self) -> dict:
        return {"customer": self.customer}
