"""/portal/: a customer's self-service. The area middleware has checked the role; every view
here works on the signed-in user's own customer account only, so another account's invoice
id (or another tenant's) is a 404 like an id that never existed."""

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from apps.core.exceptions import DomainError
from apps.core.kit.organisation import currency
from apps.core.kit.refusals import refusal_text
from apps.isp import documents, selectors
from apps.isp.forms import CardForm, PortalContactForm
from apps.isp.gateways import gateway
from apps.isp.models import Customer, Invoice, Service
from apps.isp.services import customers as customer_services
from apps.isp.services import payments
from apps.isp.views.common import attempt, paginate


def portal_customer(view):
    """Give the view the customer account linked to the user, or show a friendly page to a
    user with portal access but no account."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        customer = selectors.customer_of(request.user)
        if customer is None:
            return render(request, "portal/no_account.html", {"section": None}, status=403)
        return view(request, customer, *args, **kwargs)

    return wrapper


def _context(customer, section, **extra):
    return {"customer": customer, "section": section, "currency": currency(), **extra}


@portal_customer
def overview(request, customer):
    services = [s for s in selectors.customer_services(customer) if s.status != "terminated"]
    open_invoices = list(
        customer.invoices.filter(status=Invoice.Status.OPEN).order_by("due_date", "id")
    )
    return render(
        request,
        "portal/overview.html",
        _context(
            customer,
            "overview",
            services=services,
            open_invoices=open_invoices,
            recent_payments=list(selectors.customer_payments(customer, limit=5)),
            today=selectors.today(),
            statuses=Service.Status,
        ),
    )


@portal_customer
def invoice_list(request, customer):
    page = paginate(request, selectors.customer_invoices(customer))
    return render(
        request,
        "portal/invoices.html",
        _context(customer, "invoices", page=page, today=selectors.today()),
    )


def _own_invoice(customer, pk) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("customer"), pk=pk, customer=customer)


@portal_customer
def invoice_detail(request, customer, pk):
    invoice = _own_invoice(customer, pk)
    lines = selectors.document_lines(invoice.lines.all())
    return render(
        request,
        "portal/invoice_detail.html",
        _context(
            customer,
            "invoices",
            invoice=invoice,
            lines=lines,
            taxes=selectors.invoice_tax_summary(lines),
            allocations=list(selectors.invoice_allocations(invoice)),
            today=selectors.today(),
        ),
    )


@portal_customer
def invoice_pdf(request, customer, pk):
    return documents.pdf_response(_own_invoice(customer, pk))


@portal_customer
def invoice_pay(request, customer, pk):
    invoice = _own_invoice(customer, pk)
    if invoice.status != Invoice.Status.OPEN or invoice.amount_due <= 0:
        messages.info(request, f"Invoice {invoice.number} has nothing left to pay.")
        return redirect("portal:invoice-detail", invoice.pk)
    form = CardForm(request.POST or None)
    declined = None
    if request.method == "POST" and form.is_valid():
        amount = invoice.amount_due
        try:
            payments.invoice_pay(
                invoice=invoice, card_number=form.cleaned_data["card_number"], actor=request.user
            )
        except (DomainError, ValidationError) as error:  # declined card, nothing left to pay
            declined = refusal_text(error)
        else:
            messages.success(
                request, f"Thank you: your payment of {amount} {invoice.currency} was received."
            )
            return redirect("portal:invoice-detail", invoice.pk)
    status = 200 if request.method == "GET" else (402 if declined else 400)
    return render(
        request,
        "portal/pay.html",
        _context(
            customer,
            "invoices",
            invoice=invoice,
            form=form,
            declined=declined,
            sandbox=gateway().name == "sandbox",
        ),
        status=status,
    )


@portal_customer
def payment_list(request, customer):
    page = paginate(request, selectors.customer_payments(customer))
    return render(request, "portal/payments.html", _context(customer, "payments", page=page))


@portal_customer
def contact_edit(request, customer):
    form = PortalContactForm(request.POST or None, instance=Customer.objects.get(pk=customer.pk))
    if request.method == "POST" and form.is_valid():
        with attempt(request, success="Your contact details were saved.") as outcome:
            customer_services.customer_update_own(
                customer=customer, actor=request.user, **form.changed_values()
            )
        if outcome.ok:
            return redirect("portal:contact")
    return render(
        request,
        "portal/contact.html",
        _context(customer, "contact", form=form),
        status=400 if request.method == "POST" else 200,
    )
