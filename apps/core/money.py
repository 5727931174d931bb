"""Money: Decimal amounts in the tenant's currency, never float.

Amounts are stored with two decimal places and rounded half-up (the commercial rule) whenever a
computation (a tax, a prorated share) produces more.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.validators import MinValueValidator
from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    """`value` as an amount: a Decimal rounded half-up to the cent (str/int accepted, not float)."""
    if isinstance(value, float):
        raise TypeError("money amounts are Decimal, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class MoneyField(models.DecimalField):
    """An amount of money: 14 digits, 2 decimals, defaulting to zero."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("default", ZERO)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


non_negative = MinValueValidator(ZERO)
