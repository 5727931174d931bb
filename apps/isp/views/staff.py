"""The /isp/ staff pages other than the customer's: dashboard, services, invoices, plans and
billing runs. The area middleware has checked the tenant's licence and the user's role; these
views read through selectors, write through the services, and turn the services' refusals into
messages."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.kit.organisation import currency
from apps.isp import documents, selectors
from apps.isp.forms import (
    ChangePlanForm,
    DateForm,
    ServiceForm,
)
from apps.isp.models import Invoice, Service
from apps.isp.services import runs, subscriptions
from apps.isp.views.charts import dashboard_charts
from apps.isp.views.common import (
    attempt,
    choice_filter,
    customer_or_404,
    paginate,
    querystring_without_page,
)

# --- Dashboard ---------------------------------------------------------------------------------


def dashboard(request):
    board = selectors.dashboard()
    return render(
        request,
        "isp/dashboard.html",
        {
            "board": board,
            "charts": dashboard_charts(board),
            "currency": currency(),
            "section": "dashboard",
        },
    )


# --- Services ----------------------------------------------------------------------------------


def service_create(request, pk):
    customer = customer_or_404(pk)
    form = ServiceForm(
        request.POST or None,
        initial={
            "install_street": customer.service_street,
            "install_city": customer.service_city,
            "install_postcode": customer.service_postcode,
            "install_country": customer.service_country,
        },
    )
    if request.method == "POST" and form.is_valid():
        with attempt(request) as outcome:
            service = subscriptions.service_create(
                customer=customer,
                plan=form.cleaned_data["plan"],
                actor=request.user,
                **form.service_fields(),
            )
        if outcome.ok:
            messages.success(
                request, f"{service.plan.name} ordered (pending): activate it once installed."
            )
            return redirect(reverse("isp:customer-detail", args=[customer.pk]) + "#services")
    return render(
        request,
        "isp/services/form.html",
        {"form": form, "customer": customer, "section": "customers"},
        status=400 if request.method == "POST" else 200,
    )


SERVICE_ACTIONS = ("activate", "suspend", "restore", "terminate")


@require_POST
def service_action(request, pk, action):
    if action not in SERVICE_ACTIONS:
        raise Http404
    service = get_object_or_404(Service.objects.select_related("plan", "customer"), pk=pk)
    form = DateForm(request.POST)
    on = form.cleaned_data.get("on") if form.is_valid() else None
    name = service.plan.name
    with attempt(request) as outcome:
        if action == "activate":
            invoice = subscriptions.service_activate(service=service, on=on, actor=request.user)
            text = f"{name} activated." + (f" Invoice {invoice.number} issued." if invoice else "")
        elif action == "suspend":
            subscriptions.service_suspend(service=service, actor=request.user, reason="manual")
            text = f"{name} suspended."
        elif action == "restore":
            subscriptions.service_restore(service=service, actor=request.user)
            text = f"{name} restored."
        else:
            note = subscriptions.service_terminate(service=service, on=on, actor=request.user)
            text = f"{name} terminated." + (f" Credit note {note.number} issued." if note else "")
    if outcome.ok:
        messages.success(request, text)
    return redirect(reverse("isp:customer-detail", args=[service.customer_id]) + "#services")


def service_change_plan(request, pk):
    service = get_object_or_404(Service.objects.select_related("plan", "customer"), pk=pk)
    form = ChangePlanForm(request.POST or None, service=service)
    if request.method == "POST" and form.is_valid():
        old = service.plan.name
        with attempt(request) as outcome:
            subscriptions.service_change_plan(
                service=service,
                plan=form.cleaned_data["plan"],
                on=form.cleaned_data["on"],
                actor=request.user,
            )
        if outcome.ok:
            messages.success(request, f"Plan changed from {old} to {form.cleaned_data['plan']}.")
            return redirect(
                reverse("isp:customer-detail", args=[service.customer_id]) + "#services"
            )
    return render(
        request,
        "isp/services/change_plan.html",
        {"form": form, "service": service, "customer": service.customer, "section": "customers"},
        status=400 if request.method == "POST" else 200,
    )


# --- Invoices ----------------------------------------------------------------------------------


def invoice_list(request):
    filters = {
        "query": request.GET.get("q", ""),
        "status": choice_filter(request, "status", Invoice.Status),
        "overdue": request.GET.get("overdue") == "1",
    }
    page = paginate(request, selectors.invoice_list(**filters))
    return render(
        request,
        "isp/invoices/list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": Invoice.Status.choices,
            "querystring": querystring_without_page(request),
            "today": selectors.today(),
            "section": "invoices",
        },
    )


def _invoice(pk) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)


def invoice_detail(request, pk):
    invoice = _invoice(pk)
    lines = selectors.document_lines(invoice.lines.all())
    return render(
        request,
        "isp/invoices/detail.html",
        {
            "invoice": invoice,
            "lines": lines,
            "taxes": selectors.invoice_tax_summary(lines),
            "allocations": list(selectors.invoice_allocations(invoice)),
            "credit_notes": list(invoice.credit_notes.all()),
            "today": selectors.today(),
            "section": "invoices",
        },
    )


def invoice_print(request, pk):
    return HttpResponse(documents.invoice_html(_invoice(pk)))


def invoice_pdf(request, pk):
    return documents.pdf_response(_invoice(pk), inline=request.GET.get("inline") == "1")


# --- Plans and billing runs --------------------------------------------------------------------


def plan_list(request):
    return render(
        request,
        "isp/plans.html",
        {"plans": list(selectors.plan_list()), "currency": currency(), "section": "plans"},
    )


def billing_run_list(request):
    page = paginate(request, selectors.billing_run_list())
    return render(
        request,
        "isp/billing_runs.html",
        {"page": page, "currency": currency(), "today": selectors.today(), "section": "runs"},
    )


@require_POST
def billing_run_now(request):
    with attempt(request) as outcome:
        run = runs.billing_run_request(actor=request.user)
    if outcome.ok:
        messages.success(
            request,
            f"Billing run as of {run.as_of:%d %b %Y} queued: it invoices every service due and "
            "shows its figures here when done.",
        )
    return redirect("isp:billing-runs")
