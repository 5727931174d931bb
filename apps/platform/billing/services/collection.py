"""Collecting invoices and dunning (Stripe's retries, Kill Bill's overdue states).

* An open invoice is charged to the card on file on its issue day. A soft decline ("card
  declined") is tried again BILLING_RETRY_DAYS later (3, 5, 7 days by default: day 3, 8, 15);
  a hard decline (an unknown card, no card on file) is not retried until the card changes.
* The first failure marks the account's active subscriptions `past_due`: they stay usable for
  LICENSE_GRACE_DAYS, then `dunning_advance` suspends them (the apps switch off through
  licensing, in every worker at once), and BILLING_CANCEL_AFTER_DAYS after falling past due they
  are cancelled and the unpaid invoices written off as uncollectible.
* A payment (a retry, or the tenant paying from /billing/) reactivates the past-due and
  suspended subscriptions at once; a subscription suspended across a period start is billed
  from the reactivation day to the end of that period.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.exceptions import ConflictError
from apps.core.money import money
from apps.core.payments import gateway
from apps.platform.billing import signals
from apps.platform.billing.models import BillingAccount, Invoice, InvoiceLine, Payment
from apps.platform.billing.services.accounts import billing_of, payment_method_set, period_amount
from apps.platform.billing.services.invoicing import LineSpec, issue_immediate
from apps.platform.billing.services.periods import period_of, prorate
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription

Status = Subscription.Status
HARD_DECLINES = ("Unknown card", "No payment method")


def _is_hard(reason: str) -> bool:
    return reason.startswith(HARD_DECLINES)


@transaction.atomic
def invoice_collect(*, invoice: Invoice, actor: str = "billing") -> Payment | None:
    """Charge the invoice's balance to the account's card; record the attempt either way."""
    account = BillingAccount.objects.select_for_update().get(pk=invoice.account_id)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.OPEN or invoice.balance <= 0:
        return None
    today = timezone.localdate()
    if account.payment_token:
        result = gateway("PLATFORM_PAYMENT_GATEWAY").charge(
            card_number=account.payment_token, amount=invoice.balance,
            currency=invoice.currency, description=f"DotMac {invoice.display_number}",
        )  # fmt: skip
        succeeded, reference, reason = result.succeeded, result.reference, result.failure_reason
    else:
        succeeded, reference, reason = False, "", "No payment method on file"
    payment = Payment.objects.create(
        account=account, invoice=invoice, amount=invoice.balance,
        status=Payment.Status.SUCCEEDED if succeeded else Payment.Status.FAILED,
        hard_decline=not succeeded and _is_hard(reason), reference=reference,
        failure_reason=reason, attempted_at=timezone.now(),
    )  # fmt: skip
    invoice.attempts += 1
    if succeeded:
        invoice.amount_paid += payment.amount
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = timezone.now()
        invoice.next_retry_on = None
        invoice.save()
        audit_record(action="pay", instance=invoice,
                     changes={"status": ["open", "paid"]}, actor=actor)  # fmt: skip
        transaction.on_commit(lambda: signals.invoice_paid.send(Invoice, invoice=invoice))
        _reactivate(account, today)
        return payment
    retries = settings.BILLING_RETRY_DAYS
    if payment.hard_decline or invoice.attempts > len(retries):
        invoice.next_retry_on = None
    else:
        invoice.next_retry_on = today + datetime.timedelta(days=retries[invoice.attempts - 1])
    invoice.save()
    for subscription in Subscription.objects.filter(tenant_id=account.tenant_id,
                                                    status=Status.ACTIVE):  # fmt: skip
        licensing.subscription_mark_past_due(subscription=subscription, actor=actor)
    return payment


def _reactivate(account: BillingAccount, today: datetime.date) -> None:
    """Paid up: past-due and suspended subscriptions are active again (if nothing else is
    still owed)."""
    if Invoice.objects.filter(account=account, status=Invoice.Status.OPEN).exists():
        return
    end = period_of(today)[1]
    specs = []
    for subscription in Subscription.objects.filter(
        tenant_id=account.tenant_id, status__in=(Status.PAST_DUE, Status.SUSPENDED)
    ).select_related("app", "plan"):
        licensing.subscription_activate(subscription=subscription, actor="billing",
                                        note="Paid: active again")  # fmt: skip
        billing = billing_of(subscription)
        if billing.billed_until is not None and billing.billed_until < today:
            specs.append(LineSpec(
                key=f"recurring:{subscription.pk}:{today:%Y-%m-%d}",
                kind=InvoiceLine.Kind.RECURRING,
                description=f"{subscription.app.name} {subscription.plan.name} (reactivated)",
                period_start=today, period_end=end,
                amount=prorate(period_amount(billing), today, end),
                subscription_id=subscription.pk, app_key=subscription.app.key,
            ))  # fmt: skip
            billing.billed_until = end
            billing.save(update_fields=["billed_until", "updated_at"])
    invoice = issue_immediate(account=account, specs=specs, today=today)
    if invoice is not None and invoice.status == Invoice.Status.OPEN:
        transaction.on_commit(lambda: invoice_collect(invoice=invoice))


def invoice_pay_now(*, invoice: Invoice, actor: str, card_number: str | None = None) -> Payment:
    """The tenant pays an open invoice from its billing page (optionally with a new card)."""
    if invoice.status != Invoice.Status.OPEN:
        raise ConflictError(f"{invoice.display_number} is {invoice.get_status_display().lower()}.")
    if card_number:
        payment_method_set(account=invoice.account, card_number=card_number, actor=actor)
    payment = invoice_collect(invoice=invoice, actor=actor)
    if payment is None:
        raise ConflictError(f"{invoice.display_number} has nothing left to pay.")
    return payment


@transaction.atomic
def payment_refund(*, payment: Payment, amount: Decimal | None = None, actor: str) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status not in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
        raise ConflictError("Only a successful payment can be refunded.")
    amount = money(amount if amount is not None else payment.amount - payment.refunded)
    if amount <= 0 or payment.refunded + amount > payment.amount:
        raise ValidationError(
            {"amount": f"Refund between 0.01 and {payment.amount - payment.refunded}."}
        )
    result = gateway("PLATFORM_PAYMENT_GATEWAY").refund(
        reference=payment.reference, amount=amount, currency=payment.invoice.currency
    )
    if not result.succeeded:
        raise ConflictError(f"The gateway refused the refund: {result.failure_reason}")
    payment.refunded += amount
    payment.status = Payment.Status.REFUNDED
    payment.save(update_fields=["refunded", "status"])
    invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
    invoice.amount_refunded += amount
    invoice.save(update_fields=["amount_refunded"])
    audit_record(action="refund", instance=payment, changes={"refunded": [None, str(amount)]},
                 actor=actor)  # fmt: skip
    transaction.on_commit(
        lambda: signals.invoice_refunded.send(Invoice, invoice=invoice, amount=amount)
    )
    return payment


def collect_due(*, today: datetime.date | None = None) -> int:
    """Charge every open invoice whose (re)try day has come."""
    today = today or timezone.localdate()
    due = Invoice.objects.filter(status=Invoice.Status.OPEN, next_retry_on__lte=today)
    count = 0
    for invoice in due.order_by("pk").iterator():
        invoice_collect(invoice=invoice)
        count += 1
    return count


def dunning_advance(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Past due beyond the grace period → suspended; beyond BILLING_CANCEL_AFTER_DAYS →
    cancelled, and the account's open invoices uncollectible."""
    now = now or timezone.now()
    grace = datetime.timedelta(days=settings.LICENSE_GRACE_DAYS)
    cancel_after = datetime.timedelta(days=settings.BILLING_CANCEL_AFTER_DAYS)
    outcome = {"suspended": 0, "cancelled": 0}
    for subscription in Subscription.objects.filter(
        status__in=(Status.PAST_DUE, Status.SUSPENDED), past_due_since__isnull=False,
        past_due_since__lte=now - cancel_after,
    ):  # fmt: skip
        with transaction.atomic():
            licensing.subscription_cancel(subscription=subscription, actor="billing",
                                          note="Unpaid: cancelled after dunning")  # fmt: skip
            Invoice.objects.filter(account__tenant_id=subscription.tenant_id,
                                   status=Invoice.Status.OPEN).update(
                status=Invoice.Status.UNCOLLECTIBLE, next_retry_on=None)  # fmt: skip
        outcome["cancelled"] += 1
    for subscription in Subscription.objects.filter(
        status=Status.PAST_DUE, past_due_since__lte=now - grace
    ):
        licensing.subscription_suspend(subscription=subscription, actor="billing",
                                       note="Unpaid after the grace period")  # fmt: skip
        outcome["suspended"] += 1
    return outcome
