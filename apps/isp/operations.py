"""What the ISP app offers the other apps (its declaration's `operations`, reached through
`apps.core.registry.registry.operation("isp.<verb>")`, None where the tenant has no ISP licence).
Each operation takes and answers plain values (ids, codes, dicts), never this app's models."""

import hashlib

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.isp.models import Customer, Service, ServicePlan, TimelineEvent
from apps.isp.services.customers import customer_create
from apps.isp.services.subscriptions import service_create
from apps.isp.services.timeline import timeline_record

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


def _ordered(service: Service, *, customer_created: bool, created: bool) -> dict:
    return {
        "service": service.pk, "customer": service.customer_id,
        "account_number": service.customer.account_number, "plan": service.plan.code,
        "plan_name": service.plan.name, "status": service.status,
        "customer_created": customer_created, "created": created,
    }  # fmt: skip
