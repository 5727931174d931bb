"""Data for the page tests: accounts and plans through the services; invoices, payments and
live services written directly (the figures the pages show, independent of the billing
engine's own rules, which tests/isp/test_billing*.py prove)."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from apps.core.money import money
from apps.identity.models import Role
from apps.identity.services import role_grant, user_create
from apps.isp.models import (
    Allocation,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Service,
    ServicePlan,
    TaxClass,
)
from apps.isp.services.customers import customer_create, customer_link_user
from apps.isp.services.numbering import sequence_take
from apps.isp.services.plans import plan_create
from tests.conftest import PASSWORD

_plans = iter(range(1, 10_000))


def make_plan(name: str = "Fibre 100", price: str = "30.00", **fields) -> ServicePlan:
    n = next(_plans)
    return plan_create(
        code=fields.pop("code", f"plan-{n}"),
        name=name,
        download_mbps=fields.pop("download_mbps", 100),
        upload_mbps=fields.pop("upload_mbps", 20),
        price=Decimal(price),
        setup_fee=Decimal(fields.pop("setup_fee", "50.00")),
        tax_class=fields.pop("tax_class", None) or TaxClass.objects.get(code="standard"),
        **fields,
    )


def make_customer(name: str = "Ann Lee", **fields) -> Customer:
    fields.setdefault("email", f"{name.split()[0].lower()}@example.com")
    return customer_create(name=name, **fields)


def make_service(
    customer: Customer,
    plan: ServicePlan,
    *,
    status: str = Service.Status.ACTIVE,
    activated_on: date | None = None,
    terminated_on: date | None = None,
) -> Service:
    if status != Service.Status.PENDING:
        activated_on = activated_on or timezone.localdate() - timedelta(days=40)
    service = Service.objects.create(
        customer=customer,
        plan=plan,
        status=status,
        activated_on=activated_on,
        terminated_on=terminated_on,
        install_street="1 Main Street",
        install_city="Springfield",
    )
    if status in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        Customer.objects.filter(pk=customer.pk).update(status=Customer.Status.ACTIVE)
        customer.refresh_from_db()
    return service


def make_invoice(
    customer: Customer,
    *,
    lines=(("Fibre 100, monthly", "30.00", "20.00"),),
    issue_date: date | None = None,
    due_days: int = 14,
    paid: bool = False,
) -> Invoice:
    """An open (or paid) invoice with `lines` of (description, net, tax rate)."""
    issue_date = issue_date or timezone.localdate()
    drafts = []
    for description, net, rate in lines:
        net, rate = money(net), Decimal(rate)
        drafts.append((description, net, rate, money(net * rate / 100)))
    subtotal = sum((d[1] for d in drafts), Decimal("0.00"))
    tax = sum((d[3] for d in drafts), Decimal("0.00"))
    invoice = Invoice.objects.create(
        number=f"INV-{sequence_take('invoice'):06d}",
        customer=customer,
        currency="USD",
        subtotal=subtotal,
        tax_total=tax,
        total=subtotal + tax,
        amount_due=Decimal("0.00") if paid else subtotal + tax,
        status=Invoice.Status.PAID if paid else Invoice.Status.OPEN,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=due_days),
        paid_at=timezone.now() if paid else None,
    )
    for description, net, rate, tax_amount in drafts:
        InvoiceLine.objects.create(
            invoice=invoice,
            kind="adjustment",
            description=description,
            amount=net,
            tax_rate=rate,
            tax_amount=tax_amount,
        )
    if paid:
        payment = make_payment(customer, invoice.total, received_on=issue_date)
        Allocation.objects.create(invoice=invoice, payment=payment, amount=invoice.total)
        Payment.objects.filter(pk=payment.pk).update(amount_unallocated=0)
    else:
        Customer.objects.filter(pk=customer.pk).update(balance=customer.balance + invoice.total)
        customer.refresh_from_db()
    return invoice


def make_payment(customer: Customer, amount, *, received_on: date | None = None, **fields):
    return Payment.objects.create(
        customer=customer,
        amount=money(amount),
        currency="USD",
        method=fields.pop("method", Payment.Method.BANK_TRANSFER),
        received_on=received_on or timezone.localdate(),
        amount_unallocated=money(amount),
        **fields,
    )


def make_user(username: str, role: str | None = None, **fields):
    user = user_create(
        username=username, email=f"{username}@example.com", password=PASSWORD, **fields
    )
    if role:
        role_grant(user=user, role=Role.objects.get(name=role))
    return user


def make_portal_customer(username: str = "jane", name: str = "Jane Doe") -> Customer:
    """A customer account with a user holding the Customer role, linked to it."""
    user = make_user(username, "Customer", first_name=name.split()[0])
    customer = make_customer(name, email=f"{username}@example.com")
    return customer_link_user(customer=customer, user=user)


def sign_in(client, username: str):
    """Sign a non-staff user in through the tenant's own sign-in page (the admin's refuses
    users who are not staff)."""
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"sign-in of {username} failed"
    return client


def queries_of(client, path: str) -> int:
    """SQL statements a page costs, once the per-process caches (session, entitlements, roles,
    settings) are warm: what a list's length may not change."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)
