"""The /isp/ customer pages: the list, the account form, and the account page with what is
done from it (notes, contacts, status, portal access, payments, statement). They read through
the page kit (get_row, the API's filters), write through the ISP's services and show the
services' refusals the kit's way."""

import logging
from datetime import timedelta

from django.db import connection

from apps.core.exceptions import LimitExceededError
from apps.core.kit.declaration import declared
from apps.core.kit.pages import ActionPage, DetailPage, FormPage, ListPage
from apps.core.parties import linked_parties
from apps.isp import selectors
from apps.isp.api.filters import CustomerFilter
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
from apps.isp.models import Customer
from apps.isp.services import customers as customer_services
from apps.isp.services.payments import payment_record
from apps.isp.services.statements import customer_statement
from apps.isp.views.base import CustomerPage, IspPage
from apps.platform.licensing.entitlements import entitlements_for

log = logging.getLogger(__name__)

#: What a statement covers when no dates are asked for.
STATEMENT_DAYS = 90


class CustomerList(IspPage, ListPage):
    template_name = "isp/customers/list.html"
    section = "customers"
    # phone is encrypted at rest: found by the whole number (its blind index), not a part
    search_fields = ("name", "email", "account_number", "phone")
    filterset_class = CustomerFilter
    ignore_invalid_filters = True  # ?status=bogus: every status, as before the API's filters

    def rows(self):
        return selectors.customer_list()

    def list_context(self) -> dict:
        return {"statuses": Customer.Status.choices, "kinds": Customer.Kind.choices}


class CustomerFormPage(IspPage, FormPage):
    """A new account (no pk) or an account's details (customers/<pk>/edit/)."""

    template_name = "isp/customers/form.html"
    section = "customers"
    form_class = CustomerForm
    create_service = staticmethod(customer_services.customer_create)
    update_service = staticmethod(customer_services.customer_update)
    saved_message = "Customer details saved."

    def instance(self):
        pk = self.kwargs.get("pk")
        return self.get_row(Customer.objects.all(), pk, "change") if pk else None

    def create(self, data: dict):
        customer = super().create(data)
        self.created_message = f"Customer {customer.account_number} {customer.name} created."
        return customer

    def refused_status(self, error: Exception) -> int:
        return 403 if isinstance(error, LimitExceededError) else 400

    def saved(self, obj):
        return self.to_customer(obj.pk)


class CustomerDetail(IspPage, DetailPage):
    """An account with its figures, contacts, services, documents, payments and timeline, and
    the forms of what is done from it."""

    template_name = "isp/customers/detail.html"
    section = "customers"

    def object(self):
        rows = selectors.customers_with_figures().select_related("user")
        return self.get_row(rows, self.kwargs["pk"])

    def detail_context(self, customer) -> dict:
        today = selectors.today()
        return {
            "customer": customer,
            "contacts": list(customer.contacts.all()),
            "services": list(selectors.customer_services(customer)),
            "invoices": list(selectors.customer_invoices(customer, limit=12)),
            "payments": list(selectors.customer_payments(customer, limit=12)),
            "credit_notes": list(selectors.customer_credit_notes(customer)[:12]),
            "timeline": list(selectors.customer_timeline(customer, limit=30)),
            "linked_parties": linked_elsewhere(customer),
            "note_form": NoteForm(),
            "portal_form": None if customer.user_id else PortalAccessForm(),
            "contact_form": ContactForm(),
            "payment_form": PaymentForm(),
            "date_form": DateForm(),
            "statement_form": StatementForm(
                initial={"start": today - timedelta(days=STATEMENT_DAYS), "end": today}
            ),
            "today": today,
        }


def linked_elsewhere(customer: Customer) -> list:
    """The records of other apps (a CRM account) that are this customer, of the apps the
    tenant has; nothing when another app fails (the page never fails because of it)."""
    entitlements = entitlements_for(connection.schema_name)
    try:
        parties = linked_parties(APP_KEY, customer.pk, among=entitlements.has_app)
    except Exception:  # another app's failure must not take this page down
        log.exception("a party directory failed for ISP customer %s", customer.pk)
        return []
    return [{"app_name": declared(party.app).name, "party": party} for party in parties]


# --- What is done from the account's page ------------------------------------------------------


class CustomerAction(CustomerPage, ActionPage):
    """A form of the account's page (POST), back to the account at `part`."""

    part = ""

    def done(self):
        return self.to_customer(self.customer.pk, self.part)


class CustomerNote(CustomerAction):
    part = "timeline"

    def act(self) -> str:
        customer = self.customer
        data = self.valid(NoteForm(self.request.POST),
                          "A note needs some text (300 characters at most).")  # fmt: skip
        customer_services.customer_note_add(customer=customer, text=data["text"],
                                            actor=self.actor)  # fmt: skip
        return "Note added."


class CustomerStatus(CustomerAction):
    """Close an account, or reopen it."""

    def act(self) -> str:
        customer = self.customer
        data = self.valid(StatusForm(self.request.POST), "Unknown status.")
        customer_services.customer_set_status(customer=customer, status=data["status"],
                                              reason=data["reason"], actor=self.actor)  # fmt: skip
        return f"Account {Customer.Status(data['status']).label.lower()}."


class PortalAccess(CustomerAction):
    """Link a tenant user to this account for the portal, or (remove) the link."""

    part = "details"

    def act(self) -> str:
        customer = self.customer
        if self.request.POST.get("remove"):
            customer_services.customer_link_user(customer=customer, user=None, actor=self.actor)
            return "Portal access removed."
        data = self.valid(PortalAccessForm(self.request.POST),
                          "Choose a user who is not linked to another account.")  # fmt: skip
        user = data["user"]
        customer_services.customer_link_user(customer=customer, user=user, actor=self.actor)
        return f"{user.get_username()} can now use the portal."


class ContactAdd(CustomerAction):
    part = "contacts"

    def act(self) -> str:
        customer = self.customer
        data = self.valid(ContactForm(self.request.POST), "Contact not added", why=True)
        customer_services.contact_create(customer=customer, actor=self.actor, **data)
        return f"Contact {data['name']} added."


class ContactDelete(CustomerAction):
    """The contact's Remove button: a plain POST (a contact holds no history to confirm)."""

    part = "contacts"

    def act(self) -> str:
        contacts = self.customer.contacts.all()
        contact = self.get_row(contacts, self.kwargs["contact_pk"], "delete")
        customer_services.contact_delete(contact=contact, actor=self.actor)
        return f"Contact {contact.name} removed."


class PaymentRecord(CustomerAction):
    """Money received by bank transfer or in cash."""

    part = "payments"

    def act(self) -> str:
        customer = self.customer
        data = self.valid(PaymentForm(self.request.POST), "Payment not recorded", why=True)
        payment = payment_record(
            customer=customer, amount=data["amount"], method=data["method"],
            received_on=data["received_on"] or None, reference=data["reference"],
            actor=self.actor,
        )  # fmt: skip
        return f"Payment of {payment.amount} {payment.currency} recorded."


class CustomerStatement(IspPage):
    """The account's statement between two dates (the last 90 days unless asked)."""

    template_name = "isp/customers/statement.html"
    section = "customers"

    def get(self, request, pk):
        customer = self.get_row(Customer.objects.all(), pk)
        today = selectors.today()
        start, end = today - timedelta(days=STATEMENT_DAYS), today
        form = StatementForm(request.GET or None, initial={"start": start, "end": end})
        if request.GET:
            if not form.is_valid():
                return self.render(status=400, customer=customer, form=form)
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        statement = customer_statement(customer=customer, start=start, end=end)
        return self.render(customer=customer, form=form, statement=statement, start=start,
                           end=end)  # fmt: skip
