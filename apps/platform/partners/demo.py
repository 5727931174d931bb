"""The demo's platform bill and partner (DESIGN.md §10): every demo tenant has a billing
account and a year of platform invoices (the last eleven months paid, this month's invoice
too, except XYZ Internet's, whose card was declined: it is past due), and the demo partner
`partner` brought XYZ Internet, with a ledger of commissions, a payout and entries held.

Written in bulk (a year of invoices in a few statements per tenant), idempotent: an account
that already has period invoices is left alone."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.core.demo import DEMO_TENANTS
from apps.core.exceptions import ConflictError
from apps.platform.billing.models import Invoice, InvoiceLine, Payment, SubscriptionBilling
from apps.platform.billing.services import accounts, invoicing
from apps.platform.billing.services.periods import period_of
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from apps.platform.partners import services
from apps.platform.partners.models import (
    Attribution,
    CommissionRule,
    LedgerEntry,
    Partner,
    PartnerUser,
)
from apps.platform.tenants.models import Tenant

PARTNER_USERNAME = "partner"
PARTNER_CODE = "northwind"
PARTNER_TENANT = "xyz-isp"
PAST_DUE_TENANT = "xyz-isp"
MONTHS = 12
GOOD_CARD, DECLINED_CARD = "4242424242424242", "4000000000000002"


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(1)))


def _months(today: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    first = today.replace(day=1)
    periods = []
    for _ in range(MONTHS):
        periods.append(period_of(first))
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return periods[::-1]


@transaction.atomic
def tenant_year_seed(tenant: Tenant, *, past_due: bool) -> list[Invoice]:
    """A year of period invoices of the tenant's subscriptions, at their current prices."""
    account = accounts.account_ensure(tenant=tenant, actor="demo")
    if Invoice.objects.filter(account=account, kind=Invoice.Kind.PERIOD).exists():
        return []
    accounts.payment_method_set(account=account, card_number=GOOD_CARD, actor="demo")
    subscriptions = list(Subscription.objects.filter(
        tenant=tenant, status__in=(Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)
    ).select_related("app", "plan").order_by("pk"))  # fmt: skip
    if not subscriptions:
        return []
    billings = [accounts.billing_of(subscription) for subscription in subscriptions]
    today = timezone.localdate()
    periods = _months(today)
    first = invoicing.sequence_take(len(periods))
    invoices, lines = [], []
    for number, (start, end) in enumerate(periods, first):
        amounts = [accounts.period_amount(billing) for billing in billings]
        t = invoicing.totals(amounts, credit_balance=Decimal("0"), tax_rate=account.tax_rate)
        fields = invoicing.invoice_fields(account, t, start)
        invoice = Invoice(number=number, kind=Invoice.Kind.PERIOD, period_start=start,
                          period_end=end, **fields)  # fmt: skip
        last = start == periods[-1][0]
        if not (past_due and last) and t.total > 0:
            invoice.status, invoice.amount_paid, invoice.next_retry_on = "paid", t.total, None
            invoice.paid_at = _at(start)
            invoice.attempts = 1
        elif t.total > 0:
            invoice.attempts = 1
            invoice.next_retry_on = today + datetime.timedelta(days=settings.BILLING_RETRY_DAYS[0])
        invoices.append(invoice)
        for subscription, amount in zip(subscriptions, amounts, strict=True):
            lines.append((invoice, invoicing.LineSpec(
                key=f"recurring:{subscription.pk}:{start:%Y-%m-%d}", kind="recurring",
                description=f"{subscription.app.name} {subscription.plan.name}",
                period_start=start, period_end=end, amount=amount,
                subscription_id=subscription.pk, app_key=subscription.app.key,
            )))  # fmt: skip
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create([invoicing.line_row(spec, account.pk, invoice)
                                     for invoice, spec in lines])  # fmt: skip
    Payment.objects.bulk_create([
        Payment(account=account, invoice=invoice, amount=invoice.total,
                status="succeeded" if invoice.status == "paid" else "failed",
                reference=f"demo-{invoice.number}" if invoice.status == "paid" else "",
                failure_reason="" if invoice.status == "paid" else "Card declined",
                attempted_at=_at(invoice.issued_on))
        for invoice in invoices if invoice.total > 0
    ])  # fmt: skip
    SubscriptionBilling.objects.filter(pk__in=[b.pk for b in billings]).update(
        billed_until=periods[-1][1]
    )
    if past_due:  # the card that failed is the one on file now
        accounts.payment_method_set(account=account, card_number=DECLINED_CARD, actor="demo")
        for subscription in subscriptions:
            if subscription.status == Subscription.Status.ACTIVE:
                licensing.subscription_mark_past_due(subscription=subscription, actor="demo")
    return invoices


@transaction.atomic
def partner_seed(*, password: str) -> Partner:
    """The demo partner, its user `partner`, its rule, XYZ Internet attributed a year ago, the
    commissions of XYZ's paid invoices, and a payout of what the hold has released."""
    partner = Partner.objects.filter(referral_code=PARTNER_CODE).first()
    if partner is None:
        partner = services.partner_create(
            name="Northwind Networks", referral_code=PARTNER_CODE, actor="demo",
            email="payouts@northwind.example.com",
        )  # fmt: skip
        CommissionRule.objects.create(partner=partner, app_key="", percent=Decimal("20"),
                                      duration_months=24,
                                      tiers=[{"tenants": 10, "percent": 25}])  # fmt: skip
    User = get_user_model()
    user = User.objects.filter(username=PARTNER_USERNAME).first()
    if user is None:
        user = User.objects.create_user(PARTNER_USERNAME, "partner@northwind.example.com",
                                        password, first_name="Nora", last_name="West")  # fmt: skip
    PartnerUser.objects.get_or_create(user=user, defaults={"partner": partner})
    tenant = Tenant.objects.filter(slug=PARTNER_TENANT).first()
    if tenant is None:
        return partner
    since = _months(timezone.localdate())[0][0]
    Attribution.objects.get_or_create(tenant=tenant, defaults={"partner": partner, "since": since})
    if LedgerEntry.objects.filter(partner=partner).exists():
        return partner
    paid = Invoice.objects.filter(account__tenant=tenant, status=Invoice.Status.PAID)
    for invoice in paid.order_by("number"):
        for entry in services.commission_accrue(invoice=invoice):
            # Held 30 days from the day it was paid (the demo's payments are in the past).
            LedgerEntry.objects.filter(pk=entry.pk).update(
                available_on=timezone.localtime(invoice.paid_at).date()
                + datetime.timedelta(days=services.HOLD_DAYS)
            )
    with contextlib.suppress(ConflictError):  # nothing released from the hold yet
        services.payout_create(partner=partner, actor="demo")
    return partner


def seed(*, password: str) -> dict:
    outcome = {"invoices": 0}
    for demo in DEMO_TENANTS:
        tenant = Tenant.objects.filter(slug=demo.slug).first()
        if tenant is not None:
            invoices = tenant_year_seed(tenant, past_due=demo.slug == PAST_DUE_TENANT)
            outcome["invoices"] += len(invoices)
    outcome["partner"] = partner_seed(password=password).name
    return outcome
