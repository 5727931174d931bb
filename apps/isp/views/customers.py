"""The /isp/ customer pages: the list, the account form, and the account page with what is
done from it (notes, contacts, status, portal access, payments, statement). The area middleware
has checked the tenant's licence and the user's role; these views read through selectors, write
through the services, and turn the services' refusals into messages."""

from datetime import timedelta

from django.contrib import messages
from django.db import connection
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.exceptions import LimitExceededError
from apps.core.kit.declaration import declared
from apps.core.kit.organisation import currency
from apps.core.parties import linked_parties
from apps.isp import selectors
from apps.isp.constants import APP_KEY
from apps.isp.forms import (
    ContactForm,
    CustomerForm,
    DateForm,
    NoteForm,
    PaymentForm,
    PortalAccessForm,
    StatementForm,
    StatusForm,
)
from apps.isp.models import Customer, CustomerContact
from apps.isp.services import customers as customer_services
from apps.isp.services.payments import payment_record as record
from apps.isp.services.statements import customer_statement as build_statement
from apps.isp.views.common import (
    attempt,
    choice_filter,
    customer_or_404,
    log,
    paginate,
    querystring_without_page,
)
from apps.platform.licensing.entitlements import entitlements_for

# --- Customers ---------------------------------------------------------------------------------


def customer_list(request):
    filters = {
        "query": request.GET.get("q", ""),
        "status": choice_filter(request, "status", Customer.Status),
        "kind": choice_filter(request, "kind", Customer.Kind),
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
    customer = customer_or_404(pk)
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


def _linked_parties(customer: Customer) -> list:
    """The records of other apps (a CRM account) that are this customer, of the apps the
    tenant has; nothing when another app fails (the page never fails because of it)."""
    entitlements = entitlements_for(connection.schema_name)
    try:
        parties = linked_parties(APP_KEY, customer.pk, among=entitlements.has_app)
    except Exception:  # another app's failure must not take this page down
        log.exception("a party directory failed for ISP customer %s", customer.pk)
        return []
    return [{"app_name": declared(party.app).name, "party": party} for party in parties]


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
            "invoices": list(selectors.customer_invoices(customer, limit=12)),
            "payments": list(selectors.customer_payments(customer, limit=12)),
            "credit_notes": list(selectors.customer_credit_notes(customer)[:12]),
            "timeline": list(selectors.customer_timeline(customer, limit=30)),
            "linked_parties": _linked_parties(customer),
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
    customer = customer_or_404(pk)
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
    customer = customer_or_404(pk)
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
    customer = customer_or_404(pk)
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
    customer = customer_or_404(pk)
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
    customer = customer_or_404(pk)
    contact = get_object_or_404(CustomerContact, pk=contact_pk, customer=customer)
    with attempt(request, success=f"Contact {contact.name} removed."):
        customer_services.contact_delete(contact=contact, actor=request.user)
    return redirect(reverse("isp:customer-detail", args=[customer.pk]) + "#contacts")


@require_POST
def payment_record(request, pk):
    customer = customer_or_404(pk)
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
    customer = customer_or_404(pk)
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
