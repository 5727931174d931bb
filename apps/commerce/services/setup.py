"""The shop's defaults every tenant starts with (a tenant initialiser): the `main` warehouse,
the `standard` shipping method and tax classes, all editable afterwards."""

from django.db import transaction

from apps.commerce.constants import MAIN_WAREHOUSE, STANDARD_SHIPPING
from apps.commerce.models import ShippingMethod, TaxClass, Warehouse

DEFAULT_TAX_CLASSES = (
    ("standard", "Standard rate", "20.00"),
    ("reduced", "Reduced rate", "5.00"),
    ("zero", "Zero rate", "0.00"),
)


@transaction.atomic
def commerce_defaults_ensure(**_) -> None:
    """Tenant initialiser: the defaults exist (created once; never overwrites a tenant's edits)."""
    Warehouse.objects.get_or_create(code=MAIN_WAREHOUSE, defaults={"name": "Main warehouse"})
    ShippingMethod.objects.get_or_create(
        code=STANDARD_SHIPPING, defaults={"name": "Standard delivery", "price": "4.90"}
    )
    for code, name, rate in DEFAULT_TAX_CLASSES:
        TaxClass.objects.get_or_create(code=code, defaults={"name": name, "rate": rate})


def default_tax_class() -> TaxClass:
    return TaxClass.objects.filter(code="standard").first() or TaxClass.objects.first()
