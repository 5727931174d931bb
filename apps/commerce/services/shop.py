"""The shop's own settings and discount codes (the plan feature `commerce.discounts`)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.commerce.constants import DISCOUNTS
from apps.commerce.models import DiscountCode, ShopSettings
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.platform.licensing.guards import ensure_feature

__all__ = ["discount_create", "discount_delete", "discount_update", "shop_settings_update"]

DISCOUNT_FIELDS = ("code", "kind", "value", "valid_from", "valid_until", "usage_limit",
                   "is_active")  # fmt: skip


def _checked(fields: dict) -> dict:
    unknown = set(fields) - set(DISCOUNT_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})
    if "code" in fields:
        fields["code"] = (fields["code"] or "").strip().upper()
        if not fields["code"] or not fields["code"].replace("-", "").isalnum():
            raise ValidationError({"code": "Letters, digits and dashes."})
    return fields


@transaction.atomic
def discount_create(*, actor=None, **fields) -> DiscountCode:
    ensure_feature(DISCOUNTS)
    return record_create(DiscountCode(**_checked(fields)), actor=actor)


@transaction.atomic
def discount_update(*, discount: DiscountCode, actor=None, **fields) -> DiscountCode:
    ensure_feature(DISCOUNTS)
    if (
        "usage_limit" in fields
        and fields["usage_limit"] is not None
        and (fields["usage_limit"] < discount.times_used)
    ):
        raise ValidationError({"usage_limit": f"Already used {discount.times_used} times."})
    record_update(discount, _checked(fields), actor=actor)
    return discount


@transaction.atomic
def discount_delete(*, discount: DiscountCode, actor=None) -> None:
    ensure_feature(DISCOUNTS)
    record_delete(discount, actor=actor)


@transaction.atomic
def shop_settings_update(*, actor=None, **fields) -> ShopSettings:
    row, _ = ShopSettings.objects.select_for_update().get_or_create(pk=1)
    record_update(row, fields, actor=actor)
    return row
