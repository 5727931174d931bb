"""What the ISP offers other apps through the core registry (its declaration's `operations`,
called as `registry.operation("isp.<verb>")`, None where the tenant has no ISP licence). Each
function is self-contained and takes and answers plain values (ids, codes, dicts): other apps
know services and customers by reference only.

Lead-to-cash (Project Management): a project linked to a pending service order shows it
(`service_facts`, `services_pending`), activates it when its final milestone is reached
(`service_activate`: the first invoice, as the ISP's own activation) and puts its billable
time on the customer's next invoice (`charges_add`: pending charges a billing run invoices).

The shop (E-commerce): a product tied to a plan (`plans_on_sale`) orders a pending service for
the shopper once its order is paid (`service_order`).
"""

import hashlib
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse

from apps.core.audit import audit_created
from apps.core.money import money
from apps.core.parties import PartyFacts
from apps.isp.models import Customer, PendingCharge, Service, ServicePlan, TimelineEvent
from apps.isp.services import subscriptions
from apps.isp.services.customers import customer_create
from apps.isp.services.subscriptions import service_create
from apps.isp.services.timeline import timeline_record

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


# --- the shop: products tied to an ISP plan --------------------------------------------------

#: At most this many plans are offered for a shop product to be tied to.
SHOP_PLANS_MAX = 200


def plans_on_sale(*, limit: int = SHOP_PLANS_MAX) -> list[dict]:
    """The plans the ISP sells now (active), as {"code", "name", "price", "period"}: what a
    shop product may be tied to."""
    limit = max(1, min(int(limit), SHOP_PLANS_MAX))
    plans = ServicePlan.objects.filter(status=ServicePlan.Status.ACTIVE).order_by("name", "code")
    return [
        {"code": p.code, "name": p.name, "price": str(p.price), "period": p.billing_period}
        for p in plans[:limit]
    ]


def _shop_customer(*, customer_ref: str, user_id: int | None, email: str, name: str, actor):
    """The ISP customer of a shopper: the one the shop's party link names, else the one whose
    portal user the shopper is, else the only open account with their email (its portal access
    is not given away on an email alone), else a new prospect account with portal access for
    the shopper. Answers (customer, created)."""
    open_accounts = Customer.objects.exclude(status=Customer.Status.CLOSED)
    if str(customer_ref).isdigit():
        linked = open_accounts.filter(pk=int(customer_ref)).first()
        if linked is not None:
            return linked, False
    if user_id is not None:
        own = open_accounts.filter(user_id=user_id).first()
        if own is not None:
            return own, False
    if email:
        same_email = list(open_accounts.filter(email__iexact=email).order_by("pk")[:2])
        if len(same_email) == 1:
            return same_email[0], False
    if not email:
        raise ValidationError({"email": "An ISP account needs the shopper's email."})
    # the shopper's own new account (their portal shows it), unless they have one (closed)
    user = None
    if user_id is not None and not Customer.objects.filter(user_id=user_id).exists():
        user = get_user_model().objects.filter(pk=user_id).first()
    customer = customer_create(actor=actor, user=user, name=(name or email)[:200], email=email)
    return customer, True


def service_order(
    *, plan: str, reference: str, email: str, name: str = "", user_id: int | None = None,
    customer_ref: str = "", note: str = "", actor=None,
) -> dict:  # fmt: skip
    """Order a pending service of plan `plan` (its code) for a shopper, found or given an ISP
    account (`_shop_customer`): the ISP staff activate it. Exactly once per `reference` (the
    caller's, e.g. "commerce-line:42"): the same reference again answers the service ordered
    the first time. Answers {"service", "customer", "account_number", "plan",
    "customer_created", "created"}."""
    reference = str(reference or "").strip()
    if not reference or len(reference) > 100:
        raise ValidationError({"reference": "A reference of 1 to 100 characters is needed."})
    with transaction.atomic():
        # one order per reference at a time: a second caller waits here, then finds the first's
        key = int.from_bytes(hashlib.sha256(f"isp.service_order:{reference}".encode()).digest()[:8],
                             "big", signed=True)  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        earlier = (TimelineEvent.objects.filter(kind=TimelineEvent.Kind.SERVICE,
                                                data__ordered_by=reference)
                   .values_list("data__service", flat=True).first())  # fmt: skip
        service = Service.objects.select_related("customer", "plan").filter(pk=earlier).first()
        if service is not None:
            return _ordered(service, customer_created=False, created=False)
        chosen = ServicePlan.objects.filter(code=plan).first()
        if chosen is None:
            raise ValidationError({"plan": f"The ISP has no plan {plan!r}."})
        customer, customer_created = _shop_customer(
            customer_ref=customer_ref, user_id=user_id, email=email, name=name, actor=actor
        )
        service = service_create(customer=customer, plan=chosen, actor=actor)
        timeline_record(
            customer=customer, kind=TimelineEvent.Kind.SERVICE,
            message=(note or f"{chosen.name} ordered ({reference})")[:300],
            data={"service": service.pk, "ordered_by": reference}, actor=actor,
        )  # fmt: skip
        return _ordered(service, customer_created=customer_created, created=True)


def service_order_cancel(*, reference: str, actor=None) -> dict | None:
    """The order `reference` (as given to `service_order`) was cancelled or refunded: its
    service, if still pending (never activated), is terminated (nothing was billed: no invoice,
    no credit note). A service already active, suspended or ended is left as it is — the ISP
    staff decide. Idempotent. Answers {"service", "status", "cancelled"} (`cancelled`: ended by
    this call), None when the reference ordered no service."""
    reference = str(reference or "").strip()[:100]
    if not reference:
        return None
    earlier = (TimelineEvent.objects.filter(kind=TimelineEvent.Kind.SERVICE,
                                            data__ordered_by=reference)
               .values_list("data__service", flat=True).first())  # fmt: skip
    if earlier is None:
        return None
    with transaction.atomic():
        service = Service.objects.select_for_update().filter(pk=earlier).first()
        if service is None:
            return None
        cancelled = service.status == Service.Status.PENDING
        if cancelled:
            subscriptions.service_terminate(service=service, actor=actor)
            timeline_record(
                customer=service.customer, kind=TimelineEvent.Kind.SERVICE,
                message=f"Service {service.pk} cancelled before activation ({reference})",
                data={"service": service.pk, "cancelled_by": reference}, actor=actor,
            )  # fmt: skip
    return {"service": service.pk, "status": service.status, "cancelled": cancelled}


def _ordered(service: Service, *, customer_created: bool, created: bool) -> dict:
    return {
        "service": service.pk, "customer": service.customer_id,
        "account_number": service.customer.account_number, "plan": service.plan.code,
        "plan_name": service.plan.name, "status": service.status,
        "customer_created": customer_created, "created": created,
    }  # fmt: skip
