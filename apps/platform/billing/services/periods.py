"""Periods, day counts and rounding: the rules every platform charge and credit follows.

Periods
    A tenant is invoiced per calendar month: the period of a day is the month that holds it,
    first to last day, both inclusive. Subscriptions are billed in advance: the run of a period
    (on its first day) charges each billable subscription for the whole month.

Day count (actual days)
    A stretch of days `a..b` (inclusive) of a period is worth `days(a..b) / days(period)` of the
    period's amount: January's days are worth price/31, February's price/28 (or 29). A stretch
    that is the whole period is the amount exactly.

Rounding
    Each line is rounded on its own, half-up to the cent (`apps.core.money.money`), then lines
    are added; tax is the rounded `subtotal × rate / 100` of the invoice's subtotal after credit.

Events (D is the day the event takes effect, in the platform's time zone)
    * Trial converts on D (its end date, a card on file): an immediate invoice charges D..end of
      D's month; the next period's run bills whole months from then on.
    * Upgrade on D (the new plan's monthly amount is higher): at once, an immediate invoice with
      a credit for the old amount over D..billed_until and a charge for the new over the same
      days, each prorated over its period; the plan changes at once.
    * Downgrade on D (lower amount): nothing is prorated; the plan changes at the start of the
      next period, whose run bills the new price (Lago #170). Until then the tenant keeps what
      it paid for.
    * Seat change on D (per-seat price): (new − old billable seats) × seat price over
      D..billed_until, prorated by day, as a pending line (a charge, or a credit for fewer seats)
      on the next invoice; the upcoming-invoice preview shows it.
"""

import calendar
import datetime
from decimal import Decimal

from apps.core.money import money

ONE_DAY = datetime.timedelta(days=1)


def period_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar month holding `day`: (first day, last day)."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def next_period_start(day: datetime.date) -> datetime.date:
    return period_of(day)[1] + ONE_DAY


def days(start: datetime.date, end: datetime.date) -> int:
    """Days from `start` to `end`, both inclusive (0 when end is before start)."""
    return max(0, (end - start).days + 1)


def prorate(amount: Decimal, start: datetime.date, end: datetime.date) -> Decimal:
    """`amount` (a whole period's) for the days start..end of the period holding `start`."""
    first, last = period_of(start)
    end = min(end, last)
    if start == first and end == last:
        return money(amount)
    return money(Decimal(amount) * days(start, end) / days(first, last))
