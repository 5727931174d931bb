"""Two account rules apps.isp.services.customers does not hold yet, kept here for the API and
the admin alike until they move into that module (they belong there):

* `customer_erase`: an account opened by mistake may be deleted; any other is closed.
* `customer_set_status`: reopening a closed account counts against `isp.max_customers`
  (closed accounts are not counted, so reopening one adds one).
"""

from django.db import transaction

from apps.core.audit import audit_deleted, snapshot
from apps.core.exceptions import ConflictError
from apps.isp.models import Customer
from apps.isp.services import customers
from apps.platform.licensing.guards import within_limit


def customer_erasable(customer: Customer) -> bool:
    """A prospect that never had a service, an invoice, a credit note or a payment."""
    return customer.status == Customer.Status.PROSPECT and not (
        customer.services.exists()
        or customer.invoices.exists()
        or customer.credit_notes.exists()
        or customer.payments.exists()
    )


@transaction.atomic
def customer_erase(*, customer: Customer) -> None:
    """Delete an account opened by mistake: a prospect that never had a service, an invoice, a
    credit note or a payment. Any other account is closed instead (its history is kept)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer_erasable(customer):
        raise ConflictError(
            f"Account {customer.account_number} has history and cannot be deleted: close it "
            "instead (set its status to closed; the API: POST customers/{id}/status/)."
        )
    before, pk = snapshot(customer), customer.pk
    customer.delete()
    audit_deleted(customer, before, object_id=pk)


def customer_set_status(
    *, customer: Customer, status: str, reason: str = "", actor=None
) -> Customer:
    """customers.customer_set_status, with reopening a closed account within the limit."""
    if customer.status == Customer.Status.CLOSED and status != Customer.Status.CLOSED:
        with within_limit("isp.max_customers"):
            return customers.customer_set_status(
                customer=customer, status=status, reason=reason, actor=actor
            )
    return customers.customer_set_status(
        customer=customer, status=status, reason=reason, actor=actor
    )
