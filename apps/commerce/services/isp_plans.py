"""Products tied to an ISP plan (issue 13 item 7): buying one orders that service for the buyer's
ISP account, a pending service that the ISP staff activate.

- The ISP app is reached only through the core registry (`isp.plans_on_sale`,
  `isp.service_order`): where the tenant has no ISP licence they are None, and the shop hides
  such products from the storefront, refuses them in carts and at checkout, and refuses to tie
  a product to a plan. Nothing else changes.
- The service is ordered when the order becomes paid (`order_transition`, the one place), for
  each line with a plan: one service per line (such a line is of one unit), exactly once —
  the line's `isp_service` is set under the line's row lock, and the ISP's operation answers
  the first service again for the same reference, so a retried payment or webhook never
  orders two.
- The shopper and the ISP customer are one party: the account is the one the shopper's party
  link names, else the ISP's match (their portal user, their email), else a new account; the
  link is made (apps.core.parties) when there was none.
- The order cancelled or wholly refunded (`services_cancel`): each service it ordered that is
  still pending is ended through `isp.service_order_cancel`; one already active is left to the
  ISP staff, with a note on the order's timeline saying so.
"""

from django.core.exceptions import ValidationError
from django.db.models import Q

from apps.commerce.models import OrderEvent, OrderLine
from apps.core.audit import audit_record, resolve_actor
from apps.core.exceptions import ConflictError
from apps.core.models import PartyLink
from apps.core.parties import party_link
from apps.core.registry import registry

PLANS = "isp.plans_on_sale"
ORDER = "isp.service_order"
CANCEL = "isp.service_order_cancel"
APP, OTHER = "commerce", "isp"


def isp_offered() -> bool:
    """Whether this tenant's shop may sell ISP plans now (the tenant has the ISP app)."""
    return registry.operation(ORDER) is not None


def plans_on_sale() -> list[dict]:
    """The ISP plans a product may be tied to ({"code", "name", ...}); [] without the ISP."""
    plans = registry.operation(PLANS)
    return plans() if plans is not None else []


def plan_check(code: str) -> str:
    """A product's `isp_plan`: empty, or the code of a plan the ISP sells now."""
    code = (code or "").strip()
    if not code:
        return ""
    plans = registry.operation(PLANS)
    if plans is None:
        raise ValidationError({"isp_plan": "This tenant has no ISP app: a product cannot be "
                               "tied to an ISP plan."})  # fmt: skip
    if code not in {plan["code"] for plan in plans()}:
        raise ValidationError({"isp_plan": f"The ISP sells no plan {code!r}."})
    return code


def variant_check(variant, quantity: int, *, customer=None, checkout: bool = False) -> None:
    """A product tied to an ISP plan goes in a cart or an order only where the ISP app is,
    one unit a line, and is checked out by a signed-in shopper only (the account is theirs)."""
    if not variant.product.isp_plan:
        return
    if not isp_offered():
        raise ValidationError({"lines": f"{variant.sku} orders an ISP service, which this shop "
                               "does not offer."})  # fmt: skip
    if quantity != 1:
        raise ValidationError({"lines": f"{variant.sku} orders an ISP service: one unit a "
                               "line."})  # fmt: skip
    if checkout and customer is None:
        raise ValidationError({"lines": f"{variant.sku} orders an ISP service for your "
                               "account: sign in to check out."})  # fmt: skip


def linked_customer(user_id: int) -> str:
    """The ISP customer the shopper is linked to (a link made from either side), or ""."""
    link = PartyLink.objects.filter(
        Q(app=APP, ref=str(user_id), other_app=OTHER)
        | Q(app=OTHER, other_app=APP, other_ref=str(user_id))
    ).order_by("pk").first()  # fmt: skip
    if link is None:
        return ""
    return link.other_ref if link.app == APP else link.ref


def services_order(order, *, lines=None, actor=None) -> list[dict]:
    """The order became paid: order the ISP service of each of its lines tied to a plan that
    has none yet (inside the caller's transaction; a refusal of the ISP refuses the payment).
    `lines`: the order's lines when the caller has them (checkout: just made), else read."""
    given = {}
    if lines is not None:
        given = {line.pk: line for line in lines if line.isp_plan and not line.isp_service}
        if not given:
            return []
    lines = list(OrderLine.objects.select_for_update().filter(order=order, isp_service="")
                 .exclude(isp_plan="").order_by("pk"))  # fmt: skip
    if not lines:
        return []
    run = registry.operation(ORDER)
    if run is None:
        raise ConflictError("This order has ISP services, and this tenant has no ISP app now.")
    shopper = order.customer
    if shopper is None:
        raise ConflictError("An ISP service is ordered for a signed-in shopper only.")
    linked = linked_customer(shopper.pk)
    made = []
    for line in lines:
        result = run(
            plan=line.isp_plan, reference=f"commerce-line:{line.pk}", user_id=shopper.pk,
            email=shopper.email or order.email, name=shopper.get_full_name() or shopper.username,
            customer_ref=linked, note=f"{line.name} bought in the shop, order {order.number}",
            actor=actor,
        )  # fmt: skip
        OrderLine.objects.filter(pk=line.pk).update(isp_service=str(result["service"]))
        if line.pk in given:  # the caller's copy too (checkout answers it)
            given[line.pk].isp_service = str(result["service"])
        if not linked:
            linked = party_link(app=APP, ref=shopper.pk, other_app=OTHER,
                                other_ref=result["customer"], actor=actor)  # fmt: skip
        message = (f"ISP service {result['service']} ({result['plan_name']}) ordered for "
                   f"account {result['account_number']}, pending activation")  # fmt: skip
        OrderEvent.objects.create(order=order, kind="isp_service", message=message[:300],
                                  actor=resolve_actor(actor).name[:150])  # fmt: skip
        audit_record(action="isp_service_order", instance=line, object_repr=str(line),
                     changes={"isp_service": ["", str(result["service"])]},
                     actor=actor)  # fmt: skip
        made.append(result)
    return made


def services_cancel(order, *, actor=None) -> list[dict]:
    """The order was cancelled or wholly refunded: end the ISP services its lines ordered that
    are still pending (inside the caller's transaction); each outcome goes on the order's
    timeline once (a line already reported is skipped)."""
    lines = list(OrderLine.objects.filter(order=order).exclude(isp_service="").order_by("pk"))
    reported = set(OrderEvent.objects.filter(order=order, kind="isp_service_cancel")
                   .values_list("message", flat=True))  # fmt: skip
    cancel = registry.operation(CANCEL)
    who = resolve_actor(actor).name[:150]
    done = []
    for line in lines:
        if any(message.startswith(f"ISP service {line.isp_service} ") for message in reported):
            continue
        result = cancel(reference=f"commerce-line:{line.pk}", actor=actor) if cancel else None
        if result is not None and result["cancelled"]:
            message = f"ISP service {line.isp_service} cancelled (it was never activated)"
        elif result is not None and result["status"] == "terminated":
            message = f"ISP service {line.isp_service} had already ended"
        else:
            state = result["status"] if result is not None else "not reachable (no ISP app)"
            message = (f"ISP service {line.isp_service} is {state}: staff must end it in the "
                       "ISP app")  # fmt: skip
        OrderEvent.objects.create(order=order, kind="isp_service_cancel", message=message[:300],
                                  actor=who)  # fmt: skip
        done.append({"line": line.pk, "service": line.isp_service, "message": message})
    return done
