"""The /isp/ staff pages other than the customer's: dashboard, services, invoices, plans and
billing runs. They read through the page kit, write through the ISP's services and show the
services' refusals the kit's way."""

from functools import cached_property

from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from apps.core.kit.pages import ActionPage, DetailPage, FormPage, ListPage
from apps.isp import documents, selectors
from apps.isp.api.filters import InvoiceFilter
from apps.isp.forms import ChangePlanForm, DateForm, ServiceForm
from apps.isp.models import Invoice, Service
from apps.isp.selectors.monitoring import network_status
from apps.isp.services import runs, subscriptions
from apps.isp.views.base import CustomerPage, IspPage
from apps.isp.views.charts import dashboard_charts
from apps.isp.views.device_monitoring import monitoring_licensed


class Dashboard(IspPage):
    template_name = "isp/dashboard.html"
    section = "dashboard"

    def get(self, request):
        board = selectors.dashboard()
        network = network_status() if monitoring_licensed() else None
        return self.render(board=board, charts=dashboard_charts(board), network=network)


# --- Services ----------------------------------------------------------------------------------


class ServiceCreate(CustomerPage, FormPage):
    """Order a service for the account (pending until activated)."""

    template_name = "isp/services/form.html"
    form_class = ServiceForm

    def form_kwargs(self) -> dict:
        customer = self.customer
        return {"initial": {
            "install_street": customer.service_street, "install_city": customer.service_city,
            "install_postcode": customer.service_postcode,
            "install_country": customer.service_country,
        }}  # fmt: skip

    def cleaned_for_create(self, form) -> dict:
        return {"plan": form.cleaned_data["plan"], **form.service_fields()}

    def create(self, data: dict):
        service = subscriptions.service_create(customer=self.customer, **data, actor=self.actor)
        self.created_message = f"{service.plan.name} ordered (pending): activate it once installed."
        return service

    def form_context(self, form, instance) -> dict:
        return {"customer": self.customer}

    def saved(self, obj):
        return self.to_customer(self.customer.pk, "services")


class ServiceAction(IspPage, ActionPage):
    """A service's button on its account's page: activate, suspend, restore, terminate."""

    ACTIONS = ("activate", "suspend", "restore", "terminate")

    @cached_property
    def service(self) -> Service:
        rows = Service.objects.select_related("plan", "customer")
        return self.get_row(rows, self.kwargs["pk"], "change")

    def act(self) -> str:
        action = self.kwargs["action"]
        if action not in self.ACTIONS:
            raise Http404(f"No service action {action!r}.")
        service, actor = self.service, self.actor
        form = DateForm(self.request.POST)
        on = form.cleaned_data.get("on") if form.is_valid() else None
        name = service.plan.name
        if action == "activate":
            invoice = subscriptions.service_activate(service=service, on=on, actor=actor)
            return f"{name} activated." + (f" Invoice {invoice.number} issued." if invoice else "")
        if action == "suspend":
            subscriptions.service_suspend(service=service, actor=actor, reason="manual")
            return f"{name} suspended."
        if action == "restore":
            subscriptions.service_restore(service=service, actor=actor)
            return f"{name} restored."
        note = subscriptions.service_terminate(service=service, on=on, actor=actor)
        return f"{name} terminated." + (f" Credit note {note.number} issued." if note else "")

    def done(self):
        return self.to_customer(self.service.customer_id, "services")


class ServiceChangePlan(IspPage, FormPage):
    """Move a live service to another plan (the rest of the period credited and recharged)."""

    template_name = "isp/services/change_plan.html"
    section = "customers"
    form_class = ChangePlanForm

    def instance(self):
        rows = Service.objects.select_related("plan", "customer")
        return self.get_row(rows, self.kwargs["pk"], "change")

    def make_form(self, data=None, instance=None):
        return ChangePlanForm(data, service=instance)

    def cleaned_for_update(self, form) -> dict:
        return form.cleaned_data

    def update(self, service, data: dict):
        old = service.plan.name
        change = subscriptions.service_change_plan(service=service, plan=data["plan"],
                                                   on=data["on"], actor=self.actor)  # fmt: skip
        self.saved_message = f"Plan changed from {old} to {data['plan']}."
        return change

    def form_context(self, form, service) -> dict:
        return {"service": service, "customer": service.customer}

    def saved(self, change):
        return self.to_customer(change.service.customer_id, "services")


# --- Invoices ----------------------------------------------------------------------------------


class InvoiceList(IspPage, ListPage):
    template_name = "isp/invoices/list.html"
    section = "invoices"
    search_fields = ("number", "customer__name", "customer__account_number")
    filterset_class = InvoiceFilter
    ignore_invalid_filters = True  # ?status=bogus: every status

    def rows(self):
        return selectors.invoice_list()

    def list_context(self) -> dict:
        return {"statuses": Invoice.Status.choices, "today": selectors.today()}


class InvoicePage(IspPage):
    section = "invoices"

    def invoice(self) -> Invoice:
        return self.get_row(Invoice.objects.select_related("customer"), self.kwargs["pk"])


class InvoiceDetail(InvoicePage, DetailPage):
    template_name = "isp/invoices/detail.html"

    def object(self):
        return self.invoice()

    def detail_context(self, invoice) -> dict:
        lines = selectors.document_lines(invoice.lines.all())
        return {
            "invoice": invoice,
            "lines": lines,
            "taxes": selectors.invoice_tax_summary(lines),
            "allocations": list(selectors.invoice_allocations(invoice)),
            "credit_notes": list(invoice.credit_notes.all()),
            "today": selectors.today(),
        }


class InvoicePrint(InvoicePage):
    """The invoice as a standalone printable document."""

    def get(self, request, pk):
        return HttpResponse(documents.invoice_html(self.invoice()))


class InvoicePdf(InvoicePage):
    def get(self, request, pk):
        inline = request.GET.get("inline") == "1"
        return documents.pdf_response(self.invoice(), inline=inline)


# --- Plans and billing runs --------------------------------------------------------------------


class PlanList(IspPage):
    """Every plan with its live services and MRR (plans are few: no search, no pages)."""

    template_name = "isp/plans.html"
    section = "plans"

    def get(self, request):
        return self.render(plans=list(selectors.plan_list()))


class BillingRunList(IspPage, ListPage):
    template_name = "isp/billing_runs.html"
    section = "runs"

    def rows(self):
        return selectors.billing_run_list()

    def list_context(self) -> dict:
        return {"today": selectors.today()}


class BillingRunNow(IspPage, ActionPage):
    """Queue a billing run as of today."""

    def act(self) -> str:
        run = runs.billing_run_request(actor=self.actor)
        return (f"Billing run as of {run.as_of:%d %b %Y} queued: it invoices every service due "
                "and shows its figures here when done.")  # fmt: skip

    def done(self):
        return redirect("isp:billing-runs")
