"""Dunning: what happens to overdue invoices, step by step (the tenant's DunningSteps).

* `dunning_run(as_of)` takes, for every open invoice past its due date, each active step whose
  `days_overdue` has been reached and not yet taken for that invoice (a DunningNotice, unique
  per invoice and step, so a step is taken once whatever reruns or concurrent workers do).
* A reminder emails the customer (Django's email backend) with the step's subject and body,
  `{customer}`, `{invoice}`, `{amount}`, `{due_date}` filled in.
* A suspension suspends every active service of the customer (reason `dunning`) and the
  account: its `days_overdue` is the grace period.
* Restoration: as soon as no invoice that led to a suspension is still open — paid, or settled
  by a credit note — the services suspended by dunning (not those suspended by staff) are
  restored and the account is active again: `dunning_restore_if_settled` answers the billing
  services' `balance_fell` (payments, credit notes).
Each step is written on the customer's timeline and in the audit trail.
"""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from apps.core.audit import audit_created
from apps.isp.models import Customer, DunningNotice, DunningStep, Invoice, Service, TimelineEvent
from apps.isp.services.billing import balance_fell
from apps.isp.services.customers import customer_set_status
from apps.isp.services.subscriptions import service_restore, service_suspend
from apps.isp.services.timeline import timeline_record


def _fill(template: str, invoice: Invoice) -> str:
    values = {
        "customer": invoice.customer.name,
        "invoice": invoice.number,
        "amount": f"{invoice.amount_due} {invoice.currency}",
        "due_date": f"{invoice.due_date:%d %b %Y}",
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template  # a tenant's typo in a placeholder must not stop dunning


def _take_step(invoice: Invoice, step: DunningStep, actor=None) -> bool:
    """Take one step for one invoice, once (False if it had been taken already)."""
    try:
        with transaction.atomic():
            notice = DunningNotice.objects.create(
                customer=invoice.customer, invoice=invoice, step=step, action=step.action
            )
    except IntegrityError:
        return False
    audit_created(notice, actor=actor)
    customer = invoice.customer
    if step.action == DunningStep.Action.REMINDER:
        send_mail(
            _fill(step.email_subject, invoice) or f"Invoice {invoice.number} is overdue",
            _fill(step.email_body, invoice),
            settings.DEFAULT_FROM_EMAIL,
            [customer.email],
        )
        message = f"{step.name}: reminder for {invoice.number} sent to {customer.email}"
    else:
        services = customer.services.filter(status=Service.Status.ACTIVE).order_by("pk")
        for service in services:
            service_suspend(service=service, reason=Service.SuspensionReason.DUNNING, actor=actor)
        if customer.status == Customer.Status.ACTIVE:
            customer_set_status(
                customer=customer,
                status=Customer.Status.SUSPENDED,
                reason=f"invoice {invoice.number} unpaid",
                actor=actor,
            )
        message = f"{step.name}: services suspended, {invoice.number} unpaid"
    timeline_record(
        customer=customer,
        kind=TimelineEvent.Kind.DUNNING,
        message=message,
        data={"invoice": invoice.pk, "step": step.pk, "action": step.action},
        actor=actor,
    )
    return True


def dunning_run(*, as_of: datetime.date | None = None, actor=None) -> dict:
    """Take the dunning steps due on `as_of` (default today). Returns what was done."""
    as_of = as_of or timezone.localdate()
    steps = list(DunningStep.objects.filter(is_active=True).order_by("days_overdue"))
    done = {"invoices": 0, "reminders": 0, "suspensions": 0}
    if not steps:
        return done
    overdue = (
        Invoice.objects.filter(status=Invoice.Status.OPEN, due_date__lt=as_of)
        .select_related("customer")
        .order_by("due_date", "id")
    )
    for invoice in overdue.iterator(chunk_size=500):
        days = (as_of - invoice.due_date).days
        taken = set(invoice.dunning.values_list("step_id", flat=True))
        touched = False
        for step in steps:
            if step.days_overdue > days or step.pk in taken:
                continue
            with transaction.atomic():
                fresh = Invoice.objects.select_for_update().get(pk=invoice.pk)
                if fresh.status != Invoice.Status.OPEN:
                    break
                fresh.customer = invoice.customer
                if _take_step(fresh, step, actor=actor):
                    touched = True
                    key = (
                        "reminders" if step.action == DunningStep.Action.REMINDER else "suspensions"
                    )
                    done[key] += 1
        done["invoices"] += touched
    return done


@receiver(balance_fell)
def _restore_when_settled(sender, *, customer: Customer, actor=None, **kwargs) -> None:
    dunning_restore_if_settled(customer=customer, actor=actor)


def dunning_restore_if_settled(*, customer: Customer, actor=None) -> list[Service]:
    """Lift dunning suspensions once no invoice that caused one is still open (inside the
    caller's transaction)."""
    suspended = list(
        customer.services.filter(
            status=Service.Status.SUSPENDED, suspension_reason=Service.SuspensionReason.DUNNING
        ).order_by("pk")
    )
    if not suspended and customer.status != Customer.Status.SUSPENDED:
        return []
    still_open = Invoice.objects.filter(
        customer=customer, status=Invoice.Status.OPEN, dunning__action=DunningStep.Action.SUSPEND
    ).exists()
    if still_open:
        return []
    for service in suspended:
        service_restore(service=service, actor=actor)
    if customer.status == Customer.Status.SUSPENDED and (
        suspended or customer.dunning.filter(action=DunningStep.Action.SUSPEND).exists()
    ):
        customer_set_status(
            customer=customer, status=Customer.Status.ACTIVE, reason="balance paid", actor=actor
        )
    if suspended:
        timeline_record(
            customer=customer,
            kind=TimelineEvent.Kind.DUNNING,
            message=f"Balance paid: {len(suspended)} service(s) restored",
            data={"services": [service.pk for service in suspended]},
            actor=actor,
        )
    return suspended
