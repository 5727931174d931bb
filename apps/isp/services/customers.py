"""Customer accounts: creation within the plan's limit, edits, contacts, notes, portal users."""

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.audit import audit_created
from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.isp.models import Customer, CustomerContact, Service, TimelineEvent
from apps.isp.services.numbering import sequence_take
from apps.isp.services.timeline import timeline_record
from apps.platform.licensing.guards import within_limit

#: What staff may edit on an account (balance, number and status have their own rules).
EDITABLE_FIELDS = (
    "kind",
    "name",
    "company_registration",
    "email",
    "phone",
    "billing_day",
    "service_street",
    "service_city",
    "service_postcode",
    "service_country",
    "billing_street",
    "billing_city",
    "billing_postcode",
    "billing_country",
    "notes",
)
#: What a customer may change about themselves (the portal).
PORTAL_EDITABLE = (
    "email",
    "phone",
    "billing_street",
    "billing_city",
    "billing_postcode",
    "billing_country",
)


def customers_counted() -> int:
    """Usage of `isp.max_customers`: every account not closed."""
    return Customer.objects.exclude(status=Customer.Status.CLOSED).count()


def _check_fields(fields: dict, allowed=EDITABLE_FIELDS) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})


def customer_create(*, actor=None, user=None, **fields) -> Customer:
    """Open a customer account (status prospect until a service is activated), numbered from
    the tenant's sequence, refused with LIMIT_EXCEEDED past the plan's `isp.max_customers`."""
    _check_fields(fields)
    with within_limit("isp.max_customers"), transaction.atomic():
        customer = Customer(user=user, **fields)
        customer.account_number = "pending"  # validated below, then numbered
        customer.full_clean()
        customer.account_number = f"C{sequence_take('customer'):06d}"
        customer.save()
        audit_created(customer, actor=actor)
        timeline_record(
            customer=customer,
            kind=TimelineEvent.Kind.CREATED,
            message=f"Account {customer.account_number} opened",
            actor=actor,
        )
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor=None, **fields) -> Customer:
    """Staff edit an account's details (EDITABLE_FIELDS); each change is on its timeline."""
    _check_fields(fields)
    changed = record_update(customer, fields, actor=actor)
    if not changed:
        return customer
    labels = ", ".join(str(Customer._meta.get_field(name).verbose_name) for name in changed)
    timeline_record(
        customer=customer,
        kind=TimelineEvent.Kind.UPDATED,
        message=f"Details changed: {labels}",
        data={"fields": changed},
        actor=actor,
    )
    return customer


def customer_update_own(*, customer: Customer, actor=None, **fields) -> Customer:
    """A customer edits their own contact details and billing address in the portal
    (PORTAL_EDITABLE only)."""
    _check_fields(fields, PORTAL_EDITABLE)
    return customer_update(customer=customer, actor=actor, **fields)


def customer_set_status(
    *, customer: Customer, status: str, actor=None, reason: str = ""
) -> Customer:
    """Change an account's status. Closing needs every service terminated; reopening a closed
    account counts against `isp.max_customers` again (closed accounts are not counted)."""
    if customer.status == Customer.Status.CLOSED and status != Customer.Status.CLOSED:
        with within_limit("isp.max_customers"):
            return _set_status(customer=customer, status=status, actor=actor, reason=reason)
    return _set_status(customer=customer, status=status, actor=actor, reason=reason)


@transaction.atomic
def _set_status(*, customer: Customer, status: str, actor, reason: str) -> Customer:
    if status not in Customer.Status.values:
        raise ValidationError({"status": f"Unknown status '{status}'."})
    if status == customer.status:
        return customer
    if (
        status == Customer.Status.CLOSED
        and customer.services.exclude(status=Service.Status.TERMINATED).exists()
    ):
        raise ValidationError({"status": "Terminate the account's services before closing it."})
    old, old_label = customer.status, customer.get_status_display()
    record_update(customer, {"status": status}, actor=actor)
    timeline_record(
        customer=customer,
        kind=TimelineEvent.Kind.STATUS,
        message=f"Status {old_label} → {customer.get_status_display()}"
        + (f": {reason}" if reason else ""),
        data={"from": old, "to": status},
        actor=actor,
    )
    return customer


def customer_erasable(customer: Customer) -> bool:
    """An account opened by mistake: a prospect that never had a service, an invoice, a credit
    note or a payment."""
    return customer.status == Customer.Status.PROSPECT and not (
        customer.services.exists()
        or customer.invoices.exists()
        or customer.credit_notes.exists()
        or customer.payments.exists()
    )


@transaction.atomic
def customer_erase(*, customer: Customer, actor=None) -> None:
    """Delete an account opened by mistake; any other account is closed instead, so that its
    history is kept."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer_erasable(customer):
        raise ConflictError(
            f"Account {customer.account_number} has history and cannot be deleted: close it "
            "instead (set its status to closed)."
        )
    record_delete(customer, actor=actor)


@transaction.atomic
def customer_note_add(*, customer: Customer, text: str, actor=None) -> TimelineEvent:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "A note cannot be empty."})
    event = timeline_record(
        customer=customer, kind=TimelineEvent.Kind.NOTE, message=text[:300], actor=actor
    )
    audit_created(event, actor=actor)
    return event


@transaction.atomic
def customer_link_user(*, customer: Customer, user, actor=None) -> Customer:
    """Let a tenant user sign in to the portal as this customer (None unlinks)."""
    if not record_update(customer, {"user": user}, actor=actor):
        return customer
    timeline_record(
        customer=customer,
        kind=TimelineEvent.Kind.UPDATED,
        message=f"Portal access given to {user.get_username()}"
        if user
        else "Portal access removed",
        actor=actor,
    )
    return customer


@transaction.atomic
def contact_create(*, customer: Customer, actor=None, **fields) -> CustomerContact:
    return record_create(CustomerContact(customer=customer, **fields), actor=actor)


@transaction.atomic
def contact_update(*, contact: CustomerContact, actor=None, **fields) -> CustomerContact:
    """Edit a contact; it stays with its customer."""
    customer = fields.pop("customer", contact.customer)
    if customer.pk != contact.customer_id:
        raise ValidationError({"customer": "A contact cannot move to another customer."})
    record_update(contact, fields, actor=actor)
    return contact


@transaction.atomic
def contact_delete(*, contact: CustomerContact, actor=None) -> None:
    record_delete(contact, actor=actor)
