"""/portal/: a customer's self-service. Every page reads through `PortalPage.restrict`, the
signed-in user's own account only, so another account's invoice id (or another tenant's) is a
404 like an id that never existed; writes go through the ISP's services."""

from functools import cached_property

from django.contrib import messages
from django.shortcuts import redirect

from apps.core.kit.pages import ActionPage, DetailPage, FormPage, ListPage
from apps.isp import documents, selectors
from apps.isp.forms import CardForm, PortalContactForm, TopUpForm
from apps.isp.gateways import gateway
from apps.isp.models import Customer, Invoice, Payment, Service
from apps.isp.services import customers as customer_services
from apps.isp.services import payments
from apps.isp.services.coa import radius_licensed
from apps.isp.views.base import PortalPage
from apps.isp.views.nas import connection_context, top_up


class Overview(PortalPage):
    """The account at a glance: balance, what to pay, services, recent payments."""

    template_name = "portal/overview.html"
    section = "overview"

    def get(self, request):
        services = selectors.customer_services(self.customer)
        open_invoices = self.restrict(Invoice.objects.filter(status=Invoice.Status.OPEN), "view")
        return self.render(
            services=[service for service in services if service.status != "terminated"],
            open_invoices=list(open_invoices.order_by("due_date", "id")),
            recent_payments=list(selectors.customer_payments(self.customer, limit=5)),
            today=selectors.today(),
            statuses=Service.Status,
        )


class InvoiceList(PortalPage, ListPage):
    template_name = "portal/invoices.html"
    section = "invoices"

    def rows(self):
        return Invoice.objects.order_by("-issue_date", "-id")

    def list_context(self) -> dict:
        return {"today": selectors.today()}


class InvoicePage(PortalPage):
    section = "invoices"

    @cached_property
    def invoice(self) -> Invoice:
        return self.get_row(Invoice.objects.select_related("customer"), self.kwargs["pk"])


class InvoiceDetail(InvoicePage, DetailPage):
    template_name = "portal/invoice_detail.html"

    def object(self):
        return self.invoice

    def detail_context(self, invoice) -> dict:
        lines = selectors.document_lines(invoice.lines.all())
        return {
            "invoice": invoice,
            "lines": lines,
            "taxes": selectors.invoice_tax_summary(lines),
            "allocations": list(selectors.invoice_allocations(invoice)),
            "today": selectors.today(),
        }


class InvoicePdf(InvoicePage):
    def get(self, request, pk):
        return documents.pdf_response(self.invoice)


class InvoicePay(InvoicePage, FormPage):
    """Pay what is due on an invoice by card (the tenant's gateway). A declined card answers
    402 with the gateway's reason; an invoice with nothing left to pay goes back to itself."""

    template_name = "portal/pay.html"
    form_class = CardForm

    def instance(self):
        return self.invoice

    def make_form(self, data=None, instance=None):
        return CardForm(data)

    def get(self, request, *args, **kwargs):
        return self.nothing_to_pay() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.nothing_to_pay() or super().post(request, *args, **kwargs)

    def nothing_to_pay(self):
        invoice = self.invoice
        if invoice.status == Invoice.Status.OPEN and invoice.amount_due > 0:
            return None
        messages.info(self.request, f"Invoice {invoice.number} has nothing left to pay.")
        return redirect("portal:invoice-detail", invoice.pk)

    def update(self, invoice, data: dict):
        paid = f"{invoice.amount_due} {invoice.currency}"
        payment = payments.invoice_pay(invoice=invoice, card_number=data["card_number"],
                                       actor=self.actor)  # fmt: skip
        self.saved_message = f"Thank you: your payment of {paid} was received."
        return payment

    def refused_status(self, error: Exception) -> int:
        return 402  # declined (or, raced, nothing left to pay)

    def form_context(self, form, invoice) -> dict:
        return {"invoice": invoice, "sandbox": gateway().name == "sandbox"}

    def saved(self, payment):
        return redirect("portal:invoice-detail", self.kwargs["pk"])


class PaymentList(PortalPage, ListPage):
    template_name = "portal/payments.html"
    section = "payments"

    def rows(self):
        return Payment.objects.order_by("-received_on", "-id")


class ContactDetails(PortalPage, FormPage):
    """The customer's own contact details and billing address."""

    template_name = "portal/contact.html"
    section = "contact"
    form_class = PortalContactForm
    update_service = staticmethod(customer_services.customer_update_own)
    saved_message = "Your contact details were saved."

    def instance(self):
        return self.get_row(Customer.objects.all(), self.customer.pk, "change")

    def saved(self, customer):
        return redirect("portal:contact")


class ServiceDetail(PortalPage, DetailPage):
    """One of the customer's services: the plan, and (with RADIUS) the data used by day over
    the last 30 days and this month's total against the data cap, slowed down or not."""

    template_name = "portal/service.html"
    section = "overview"

    def object(self):
        return self.get_row(Service.objects.select_related("plan"), self.kwargs["pk"])

    def detail_context(self, service) -> dict:
        if not radius_licensed():
            return {"radius": False}
        return {"radius": True, **connection_context(service, self.request.tenant.slug)}


class ServiceTopUp(PortalPage, ActionPage):
    """The customer buys extra data for the month at the plan's top-up price (invoiced)."""

    @cached_property
    def service(self) -> Service:
        return self.get_row(Service.objects.select_related("plan__tax_class", "customer"),
                            self.kwargs["pk"])  # fmt: skip

    def act(self) -> str:
        return top_up(self, TopUpForm, charge=True) + " It is on your next invoice list."

    def done(self):
        return redirect("portal:service-detail", self.service.pk)
