"""Billing accounts and the billing side of subscriptions: the price version each one pays."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.audit import audit_created, audit_record, diff, snapshot
from apps.core.money import money
from apps.platform.billing.models import BillingAccount, PlanPrice, SubscriptionBilling
from apps.platform.catalog.models import Plan
from apps.platform.licensing.models import Subscription

if TYPE_CHECKING:  # the tenant model is the tenants package's
    from apps.platform.tenants.models import Tenant

ACCOUNT_FIELDS = ("email", "address", "tax_id", "currency", "tax_rate")


def account_ensure(*, tenant: Tenant, actor: str = "system") -> BillingAccount:
    account = BillingAccount.objects.filter(tenant=tenant).first()
    if account is not None:
        return account
    account, created = BillingAccount.objects.get_or_create(
        tenant=tenant, defaults={"email": getattr(tenant, "admin_email", "") or ""}
    )
    if created:
        audit_created(account, actor=actor)
    return account


@transaction.atomic
def account_update(*, account: BillingAccount, actor: str, **changes) -> BillingAccount:
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise ValidationError({field: "This field cannot be changed." for field in unknown})
    account = BillingAccount.objects.select_for_update().get(pk=account.pk)
    before = snapshot(account)
    for field, value in changes.items():
        setattr(account, field, value)
    account.full_clean(exclude=["tenant"])
    account.save()
    audit_record(action="update", instance=account, changes=diff(before, snapshot(account)),
                 actor=actor)  # fmt: skip
    return account


def _digits(card_number: str) -> str:
    return "".join(ch for ch in str(card_number) if ch.isdigit())


@transaction.atomic
def payment_method_set(*, account: BillingAccount, card_number: str, actor: str) -> BillingAccount:
    """Keep a card as the account's payment method (the sandbox's token is the number)."""
    digits = _digits(card_number)
    if not 12 <= len(digits) <= 19:
        raise ValidationError({"card_number": "Enter a card number of 12 to 19 digits."})
    account = BillingAccount.objects.select_for_update().get(pk=account.pk)
    account.payment_token = digits
    account.card_last4 = digits[-4:]
    account.save(update_fields=["payment_token", "card_last4"])
    audit_record(action="set_payment_method", instance=account,
                 changes={"card_last4": [None, account.card_last4]}, actor=actor)  # fmt: skip
    return account


def price_current(plan: Plan) -> PlanPrice:
    """The plan's latest price version, the one new subscriptions take (version 1 is the
    catalog price, created on first use)."""
    price = price_peek(plan)
    if price.pk is None:
        price, created = PlanPrice.objects.get_or_create(
            plan=plan, version=1, defaults={"amount": plan.price}
        )
        if created:
            audit_created(price, actor="billing")
    return price


def price_peek(plan: Plan) -> PlanPrice:
    """The plan's latest price version without writing (version 1 unsaved when none yet)."""
    price = PlanPrice.objects.filter(plan=plan).order_by("-version").first()
    return price or PlanPrice(plan=plan, version=1, amount=plan.price)


def billing_peek(subscription: Subscription) -> SubscriptionBilling:
    """The subscription's billing side without writing (unsaved at the current price)."""
    billing = SubscriptionBilling.objects.filter(subscription=subscription).first()
    return billing or SubscriptionBilling(subscription=subscription,
                                          price=price_peek(subscription.plan))  # fmt: skip


@transaction.atomic
def price_publish(
    *,
    plan: Plan,
    amount: Decimal,
    actor: str,
    per_seat: bool = False,
    seat_meter: str = "",
    included_seats: int = 0,
) -> PlanPrice:
    """A new price version of `plan`: new subscriptions pay it, existing ones keep theirs."""
    if amount is None or Decimal(amount) < 0:
        raise ValidationError({"amount": "A price is zero or more."})
    if per_seat and not seat_meter:
        raise ValidationError({"seat_meter": "A per-seat price names its seat meter."})
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    latest = price_current(plan)
    price = PlanPrice(
        plan=plan, version=latest.version + 1, amount=money(amount), per_seat=per_seat,
        seat_meter=seat_meter, included_seats=included_seats,
    )  # fmt: skip
    price.full_clean()
    price.save()
    plan.price = price.amount  # the catalog shows what a new subscriber pays
    plan.save(update_fields=["price"])
    audit_created(price, actor=actor)
    return price


def billing_of(subscription: Subscription) -> SubscriptionBilling:
    """The subscription's billing side, created with the plan's current price on first use."""
    billing = SubscriptionBilling.objects.filter(subscription=subscription).first()
    if billing is None:
        billing, created = SubscriptionBilling.objects.get_or_create(
            subscription=subscription, defaults={"price": price_current(subscription.plan)}
        )
        if created:
            audit_created(billing, actor="billing")
    return billing


@transaction.atomic
def price_move(*, subscriptions, price: PlanPrice, actor: str) -> int:
    """Move subscriptions of the price's plan to `price` (one, or many at once) from their next
    period on. Returns how many moved."""
    moved = 0
    for subscription in subscriptions:
        if subscription.plan_id != price.plan_id:
            raise ValidationError({"price": f"{price} is not a price of {subscription}'s plan."})
        billing = billing_of(subscription)
        if billing.price_id != price.pk:
            before = billing.price_id
            billing.price = price
            billing.save(update_fields=["price", "updated_at"])
            audit_record(action="move_price", instance=billing,
                         changes={"price": [before, price.pk]}, actor=actor)  # fmt: skip
            moved += 1
    return moved


def billable_seats(billing: SubscriptionBilling, seats: int | None = None) -> int:
    seats = billing.seats if seats is None else seats
    return max(0, seats - billing.price.included_seats)


def period_amount(billing: SubscriptionBilling, price: PlanPrice | None = None) -> Decimal:
    """What one whole period of the subscription costs at `price` (default its own)."""
    price = price or billing.price
    if price.per_seat:
        return money(price.amount * max(0, billing.seats - price.included_seats))
    return price.amount
