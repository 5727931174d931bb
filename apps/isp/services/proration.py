"""Billing periods and proration: the rules every charge and credit of a service follows.

Periods
    A service is billed in advance, period by period. Periods are anchored on the customer's
    `billing_day` (1-28, so the day exists in every month): a period of a plan billed every
    `m` months (monthly 1, quarterly 3, yearly 12) starts on an *anchor* — a date whose day is
    the billing day — and ends the day before the date `m` months later. Example, billing day
    5, monthly: 5 Mar – 4 Apr; quarterly: 5 Mar – 4 Jun.

    The first stretch of a service (activation on the 20th) runs to the day before the next
    anchor — the rest of the current period — and is prorated over the `m`-month period that
    ends there (billing day 5, quarterly, activated 20 Mar: 20 Mar – 4 Apr of the period
    5 Jan – 4 Apr). From then on, periods are whole: 5 Apr – 4 Jul, ... The same holds for the
    next stretch after a billing day was changed.

    Days already billed (credited on a plan change or a termination, or charged again at the
    new plan's price) belong to the periods that end on `billed_until`: the chain of dates
    `billed_until + 1 − k·m months`. So a quarterly period billed 1 Jan – 31 Mar and terminated
    on 20 Jan is credited 21 Jan – 31 Mar as 70/90 of its price.

Prices
    The effective price of a service for one period is the service's `price_override`, or else
    its plan's price, less `discount_percent`, rounded half-up to the cent:
    `money(base × (100 − discount) / 100)`.

Proration (daily, over the actual days of the period)
    The amount for days `start..end` (inclusive) of a period is
    `money(effective price × days / days in the period)`, half-up to the cent; a whole period
    is its effective price exactly. A stretch that spans several periods is split at the
    anchors and each piece is prorated over its own period (then the pieces are added). So
    February's days are worth more than March's on a monthly plan (price / 28 vs price / 31).

Events (all dates inclusive; D is the day the event takes effect)
    * Activation on D: the setup fee (once per service, held by a database constraint) and
      D .. the day before the next anchor (a whole period when D is an anchor), on one invoice.
    * Plan change on D (upgrade or downgrade alike): a credit note credits the old plan for
      D .. billed_until, an invoice charges the new plan for the same days; both amounts are
      kept on the ServicePlanChange. Nothing is prorated when nothing is billed past D.
    * Termination on D (D is the last day of service): a credit note credits D+1 ..
      billed_until at the current plan's effective price; days up to D not billed yet are
      invoiced (the stretches cut at D).
    * Billing runs invoice each stretch that starts on or before the run's date, in advance;
      a service behind by several periods gets them all, one line each.
    A plan change's charge and credit are prorated in the periods that end on billed_until,
    each plan with its own period length (a monthly → yearly change charges the yearly price
    × days / days in the year that ends on billed_until).
    Credits use the service's price as it is on the day of the event (a plan price change
    applies from each service's next period, so this is the price that was charged unless the
    override or discount was edited mid-period).
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from apps.core.money import ZERO, money

ONE_DAY = datetime.timedelta(days=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months` months (day of month kept, clipped to the month's length)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def next_anchor(day: datetime.date, billing_day: int) -> datetime.date:
    """The first anchor (a date whose day is `billing_day`) strictly after `day`."""
    candidate = day.replace(day=billing_day)
    return candidate if candidate > day else add_months(candidate, 1)


def period_containing(
    day: datetime.date, *, anchor: datetime.date, months: int
) -> tuple[datetime.date, datetime.date]:
    """The period (start, end inclusive) of the chain `anchor ± k·months` that holds `day`."""
    start = anchor
    while start > day:
        start = add_months(start, -months)
    while add_months(start, months) <= day:
        start = add_months(start, months)
    return start, add_months(start, months) - ONE_DAY


def next_stretch(
    start: datetime.date, *, billing_day: int, months: int
) -> tuple[datetime.date, datetime.date]:
    """What is billed next from `start`: a whole period when `start` is an anchor, else
    `start` .. the day before the next anchor. Returns the period (start, end) it lies in;
    the stretch ends with it."""
    if start.day == billing_day:
        return start, add_months(start, months) - ONE_DAY
    anchor = next_anchor(start, billing_day)
    return add_months(anchor, -months), anchor - ONE_DAY


def effective_price(*, base: Decimal, discount_percent: Decimal) -> Decimal:
    return money(Decimal(base) * (Decimal(100) - Decimal(discount_percent)) / Decimal(100))


def service_price(service) -> Decimal:
    """A service's effective price per period of its plan."""
    base = service.plan.price if service.price_override is None else service.price_override
    return effective_price(base=base, discount_percent=service.discount_percent)


@dataclass(frozen=True)
class Piece:
    """Days `start..end` of the period `period_start..period_end`, and what they cost."""

    start: datetime.date
    end: datetime.date
    period_start: datetime.date
    period_end: datetime.date
    amount: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole(self) -> bool:
        return self.start == self.period_start and self.end == self.period_end


def prorate(
    *, price: Decimal, start: datetime.date, end: datetime.date, anchor: datetime.date, months: int
) -> list[Piece]:
    """`start..end` split into the periods of the chain `anchor ± k·months`, each piece
    prorated over its own period."""
    pieces = []
    day = start
    while day <= end:
        period_start, period_end = period_containing(day, anchor=anchor, months=months)
        piece_end = min(end, period_end)
        amount = stretch_amount(price, day, piece_end, (period_start, period_end))
        pieces.append(Piece(day, piece_end, period_start, period_end, amount))
        day = piece_end + ONE_DAY
    return pieces


def stretch_amount(
    price: Decimal, start: datetime.date, end: datetime.date, period: tuple
) -> Decimal:
    """What `start..end`, inside `period` (start, end), costs at `price` per period."""
    days, period_days = (end - start).days + 1, (period[1] - period[0]).days + 1
    return price if days == period_days else money(price * days / period_days)


def prorated_amount(**kwargs) -> Decimal:
    return sum((piece.amount for piece in prorate(**kwargs)), ZERO)
