"""The /isp/ staff pages. The area middleware has already checked that the tenant has ISP and
that the user holds a role opening it; these views read through selectors, write through the
services, and turn the services' refusals into messages."""

from datetime import timedelta

from django.contrib import messages
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.exceptions import LimitExceededError
from apps.core.parties import party_directory
from apps.isp import documents, selectors
from apps.isp.forms import (
    ChangePlanForm,
    ContactForm,
    CustomerForm,
    DateForm,
    NoteForm,
    PaymentForm,
    PortalAccessForm,
    ServiceForm,
    StatementForm,
    StatusForm,
)
from apps.isp.models import Customer, CustomerContact, Invoice, Service
from apps.isp.services import customers as customer_services
from apps.isp.services import subscriptions
from apps.isp.services.billing import customer_statement as build_statement
from apps.isp.services.payments import payment_record as record
from apps.isp.views.charts import dashboard_charts
from apps.isp.views.common import (
    attempt,
    currency,
    log,
    paginate,
    querystring_without_page,
    timeline_audited,
)
from apps.platform.licensing.entitlements import entitlements_for


def _customer(pk) -> Customer:
    return get_object_or_404(Customer, pk=pk)


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


def _choice(request, name: str, choices) -> str:
    """A filter's value if it is one of `choices`, else no filter."""
    value = request.GET.get(name, "")
    return value if value in choices.values else ""


# --- Customers ---------------------------------------------------------------------------------


def customer_list(request):
    filters = {
        "query": request.GET.get("q", ""),
        "status": _choice(request, "status", Customer.Status),
        "kind": _choice(request, "kind", Customer.Kind),
        "overdue": request.GET.get("overdue") == "1",
    }
    page = paginate(request, selectors.customer_list(**filters))
    return render(
        request,
        "isp/customers/list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": Customer.Status.choices,
            "kinds": Customer.Kind.choices,
            "querystring": querystring_without_page(request),
            "currency": currency(),
            "section": "customers",
        },
    )


def customer_create(request):
    form = CustomerForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        with attempt(request) as outcome:
            customer = customer_services.customer_create(actor=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(
                request, f"Customer {customer.account_number} {customer.name} created."
            )
            return redirect("isp:customer-detail", customer.pk)
        status = 403 if isinstance(outcome.error, LimitExceededError) else 400
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "isp/customers/form.html",
        {"form": form, "creating": True, "section": "customers"},
        status=status,
    )


def customer_edit(request, pk):
    customer = _customer(pk)
    # The form works on a copy: the service compares the account before and after.
    form = CustomerForm(request.POST or None, instance=Customer.objects.get(pk=customer.pk))
    if request.method == "POST" and form.is_valid():
        with attempt(request, success="Customer details saved.") as outcome:
            customer_services.customer_update(
                customer=customer, actor=request.user, **form.changed_values()
            )
        if outcome.ok:
            return redirect("isp:customer-detail", customer.pk)
    return render(
        request,
        "isp/customers/form.html",
        {"form": form, "customer": customer, "creating": False, "section": "customers"},
        status=400 if request.method == "POST" else 200,
    )


def _crm_accounts(customer: Customer) -> list:
    """The CRM accounts linked to this customer, when the tenant has CRM and CRM has a
    directory; nothing otherwise (the page never fails because of the other app)."""
    directory = party_directory("crm")
    if directory is None or not entitlements_for(connection.schema_name).has_app("crm"):
        return []
    try:
        return list(directory.linked("isp", str(customer.pk)))
    except Exception:  # another app's failure must not take this page down
        log.exception("CRM party directory failed for ISP customer %s", customer.pk)
        return []


def customer_detail(request, pk):
    customer = get_object_or_404(selectors.customers_with_figures().select_related("user"), pk=pk)
    today = selectors.today()
    return render(
        request,
        "isp/customers/detail.html",
        {
            "customer": customer,
            "contacts": list(customer.contacts.all()),
            "services": list(selectors.customer_services(customer)),
            "invoices": list(selectors.customer_invoices(customer, limit=20)),
            "payments": list(selectors.customer_payments(customer, limit=20)),
            "credit_notes": list(selectors.customer_credit_notes(customer)[:20]),
            "timeline": list(selectors.customer_timeline(customer)),
            "crm_accounts": _crm_accounts(customer),
            "note_form": NoteForm(),
            "portal_form": None if customer.user_id else PortalAccessForm(),
            "contact_form": ContactForm(),
            "payment_form": PaymentForm(),
            "date_form": DateForm(),
            "statement_form": StatementForm(
                initial={"start": today - timedelta(days=90), "end": today}
            ),
            "today": today,
            "currency": currency(),
            "section": "customers",
        },
    )


@require_POST
def customer_note(request, pk):
    customer = _customer(pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        with attempt(request, success="Note added."):
            customer_services.customer_note_add(
                customer=customer, text=form.cleaned_data["text"], actor=request.user
            )
    else:
        messages.error(request, "A note needs some text (300 characters at most).")
    return redirect(reverse("isp:customer-detail", args=[customer.pk]) + "#timeline")


@require_POST
def customer_status(request, pk):
    customer = _customer(pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        status = form.cleaned_data["status"]
        with attempt(request, success=f"Account {Customer.Status(status).label.lower()}."):
            customer_services.customer_set_status(
                customer=customer,
                status=status,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
    else:
        messages.error(request, "Unknown status.")
    return redirect("isp:customer-detail", customer.pk)


@require_POST
def portal_access(request, pk):
    """Link a tenant user to this account for the portal, or (no user) remove the link."""
    customer = _customer(pk)
    if request.POST.get("remove"):
        with attempt(request, success="Portal access removed."):
            customer_services.customer_link_user(customer=customer, user=None, actor=request.user)
        return redirect(reverse("isp:customer-detail", args=[customer.pk]) + "#details")
    form = PortalAccessForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["user"]
        with attempt(request, success=f"{user.get_username()} can now use the portal."):
            customer_services.customer_link_user(customer=customer, user=user, actor=request.user)
    else:
        messages.error(request, "Choose a user who is not linked to another account.")
    return redirect(reverse("isp:customer-detail", args=[customer.pk]) + "#details")


@require_POST
def contact_add(request, pk):
    customer = _customer(pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        with attempt(request, success=f"Contact {form.cleaned_data['name']} added."):
            customer_services.contact_create(
                customer=customer, actor=request.user, **form.cleaned_data
            )
    else:
        messages.error(
            request,
            "Contact not added: " + " ".join(f"{f}: {' '.join(e)}" for f, e in form.errors.items()),
        )
    return redirect(reverse("isp:customer-detail", args=[customer.pk]) + "#contacts")


@require_POST
def contact_delete(request, pk, contact_pk):
    customer = _customer(pk)
    contact = get_object_or_404(CustomerContact, pk=contact_pk, customer=customer)
    with attempt(request, success=f"Contact {contact.name} removed."):
        customer_services.contact_delete(contact=contact, actor=request.user)
    return redirect(reverse("isp:customer-detail", args=[customer.pk]) + "#contacts")


@require_POST
def payment_record(request, pk):
    customer = _customer(pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with attempt(request) as outcome:
            payment = record(
                customer=customer,
                amount=data["amount"],
                method=data["method"],
                received_on=data["received_on"] or None,
                reference=data["reference"],
                actor=request.user,
            )
        if outcome.ok:
            messages.success(request, f"Payment of {payment.amount} {payment.currency} recorded.")
    else:
        messages.error(
            request,
            "Payment not recorded: "
            + " ".join(f"{f}: {' '.join(e)}" for f, e in form.errors.items()),
        )
    return redirect(reverse("isp:customer-detail", args=[customer.pk]) + "#payments")


def customer_statement(request, pk):
    customer = _customer(pk)
    today = selectors.today()
    form = StatementForm(
        request.GET or None, initial={"start": today - timedelta(days=90), "end": today}
    )
    if request.GET:
        if not form.is_valid():
            return render(
                request,
                "isp/customers/statement.html",
                {"customer": customer, "form": form, "section": "customers"},
                status=400,
            )
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start, end = today - timedelta(days=90), today
    statement = build_statement(customer=customer, start=start, end=end)
    return render(
        request,
        "isp/customers/statement.html",
        {
            "customer": customer,
            "form": form,
            "statement": statement,
            "start": start,
            "end": end,
            "currency": currency(),
            "section": "customers",
        },
    )


# --- Services ----------------------------------------------------------------------------------


def service_create(request, pk):
    customer = _customer(pk)
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
        with attempt(request) as outcome, timeline_audited(customer.pk, request.user):
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
    with attempt(request) as outcome, timeline_audited(service.customer_id, request.user):
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
        "status": _choice(request, "status", Invoice.Status),
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
    try:
        from apps.isp.services.runs import billing_run_request
    except ImportError:  # the billing-run service has not landed in this build
        messages.error(request, "Billing runs are not available yet.")
        return redirect("isp:billing-runs")
    with attempt(request) as outcome:
        run = billing_run_request(actor=request.user)
    if outcome.ok:
        messages.success(
            request,
            f"Billing run as of {run.as_of:%d %b %Y} queued: it invoices every service due and "
            "shows its figures here when done.",
        )
    return redirect("isp:billing-runs")
