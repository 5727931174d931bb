"""What the ISP offers other apps through the core registry (its declaration's `operations`,
called as `registry.operation("isp.<verb>")`, None where the tenant has no ISP licence). Each
function is self-contained: other apps know services and customers by reference only.

Lead-to-cash (Project Management): a project linked to a pending service order shows it
(`service_facts`, `services_pending`), activates it when its final milestone is reached
(`service_activate`: the first invoice, as the ISP's own activation) and puts its billable
time on the customer's next invoice (`charges_add`: pending charges a billing run invoices).
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from apps.core.audit import audit_created
from apps.core.money import money
from apps.core.parties import PartyFacts
from apps.isp.models import PendingCharge, Service
from apps.isp.services import subscriptions

#: Most charges one call adds (a project's billable time logs not yet invoiced).
MAX_CHARGES = 500


def _service(ref) -> Service | None:
    try:
        pk = int(str(ref))
    except (TypeError, ValueError):
        return None
    return Service.objects.select_related("customer", "plan").filter(pk=pk).first()


def _facts(service: Service) -> PartyFacts:
    customer = service.customer
    facts = [("Customer", f"{customer.name} ({customer.account_number})"),
             ("Status", service.get_status_display())]  # fmt: skip
    if service.activated_on:
        facts.append(("Active since", service.activated_on.isoformat()))
    return PartyFacts(app="isp", ref=str(service.pk),
                      name=f"{service.plan.name} for {customer.name}",
                      url=reverse("isp:service-detail", args=[service.pk]),
                      facts=tuple(facts))  # fmt: skip


def service_facts(*, ref) -> PartyFacts | None:
    """The service `ref` as another app's page shows it (None: there is none)."""
    service = _service(ref)
    return None if service is None else _facts(service)


def services_pending(*, query: str = "", limit: int = 20) -> list[PartyFacts]:
    """Pending service orders (to be installed), newest first, matching `query` (customer
    name or account number): the candidates a project may be linked to."""
    rows = Service.objects.select_related("customer", "plan").filter(status=Service.Status.PENDING)
    query = (query or "").strip()[:100]
    if query:
        rows = rows.filter(Q(customer__name__icontains=query)
                           | Q(customer__account_number__icontains=query))  # fmt: skip
    return [_facts(s) for s in rows.order_by("-pk")[: max(1, min(int(limit), 50))]]


def service_activate(*, ref, actor=None) -> dict | None:
    """Activate the pending service `ref` today (apps.isp.services.subscriptions: its first
    invoice, the customer active). Idempotent: a service no longer pending is left as it is
    (None). Answers {"service", "invoice", "number"}."""
    service = _service(ref)
    if service is None:
        raise ValidationError({"service": f"No ISP service {ref}."})
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        if locked.status != Service.Status.PENDING:
            return None
        invoice = subscriptions.service_activate(service=locked, actor=actor)
    return {"service": service.pk, "invoice": invoice.pk if invoice else None,
            "number": invoice.number if invoice else ""}  # fmt: skip


def _amount(value) -> Decimal:
    try:
        amount = money(Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValidationError({"amount": "Not an amount."}) from error
    if amount < 0:
        raise ValidationError({"amount": "A charge cannot be negative."})
    return amount


@transaction.atomic
def charges_add(*, service_ref, charges, actor=None) -> list[str]:
    """Put `charges` — [{"source", "description", "amount"}] — on the next invoice of the
    customer of service `service_ref` (pending charges: the next billing run that invoices
    the customer adds them as adjustment lines). A source already charged is skipped (never
    twice). Answers the sources added."""
    service = _service(service_ref)
    if service is None:
        raise ValidationError({"service": f"No ISP service {service_ref}."})
    charges = list(charges)
    if len(charges) > MAX_CHARGES:
        raise ValidationError({"charges": f"At most {MAX_CHARGES} charges at once."})
    sources = [str(c["source"])[:120] for c in charges]
    known = set(PendingCharge.objects.filter(source__in=sources).values_list("source", flat=True))
    added = []
    for charge, source in zip(charges, sources, strict=True):
        if source in known:
            continue
        row = PendingCharge(customer=service.customer, source=source,
                            description=str(charge["description"])[:300],
                            amount=_amount(charge["amount"]))  # fmt: skip
        row.full_clean(exclude=["customer", "invoice"], validate_unique=False)
        row.save()
        audit_created(row, actor=actor)
        known.add(source)
        added.append(source)
    return added


def charges_of(*, sources) -> dict[str, str]:
    """For each source charged: the number of the invoice it went on ("" while pending)."""
    rows = PendingCharge.objects.filter(source__in=list(sources)[:MAX_CHARGES]).select_related(
        "invoice"
    )
    return {row.source: row.invoice.number if row.invoice else "" for row in rows}


__all__ = ["charges_add", "charges_of", "service_activate", "service_facts", "services_pending"]
