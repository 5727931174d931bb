"""The bounds on every date and time the product accepts from outside (API input, filters,
forms): far enough to hold any real history or plan, near enough that no value overflows
Python's or PostgreSQL's arithmetic (a year 9999 issue date overflowed `date + due days`; a
filter's `+22:34` offset was refused by PostgreSQL with a 500)."""

import datetime

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

__all__ = ["EARLIEST", "LATEST", "MAX_UTC_OFFSET", "check_date", "check_window", "out_of_bounds"]

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2999, 12, 31)
#: Real time zones are within ±14 hours of UTC.
MAX_UTC_OFFSET = datetime.timedelta(hours=14)


def out_of_bounds(value) -> str | None:
    """Why a date or datetime is refused, or None when it is within the bounds."""
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            return "The time zone offset must be within ±14:00."
        value = value.date()
    if isinstance(value, datetime.date) and not EARLIEST <= value <= LATEST:
        return f"Give a date between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}."
    return None


def check_date(value, field: str) -> None:
    """Refuse `value` (naming `field`) when it is out of bounds; None passes."""
    if value is None:
        return
    problem = out_of_bounds(value)
    if problem:
        raise ValidationError({field: problem})


def check_window(
    value: datetime.date | None,
    field: str,
    *,
    before: relativedelta,
    after: relativedelta,
    what: str = "The date",
) -> None:
    """Refuse a business date more than `before` before today or `after` after it (a document's
    issue date, a payment's, a run's): the window work is done in."""
    if value is None:
        return
    today = timezone.localdate()
    earliest, latest = today - before, today + after
    if not earliest <= value <= latest:
        raise ValidationError(
            {field: f"{what} must be between {earliest:%Y-%m-%d} and {latest:%Y-%m-%d}."}
        )
