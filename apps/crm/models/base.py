"""What every CRM record shares: an owner, tags and timestamps; postal addresses; validated
email and phone."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from apps.core.encryption import BlindIndexField, EncryptedCharField
from apps.core.validators import phone_validator

__all__ = ["AddressFields", "OwnedRecord", "normalise_phone", "normalise_tags", "validate_phone"]

#: Phone numbers are checked as everywhere in DotMac (apps.core.validators).
validate_phone = phone_validator


def normalise_phone(value: str) -> str:
    """Spaces collapsed; the digits and their grouping are kept as entered."""
    return " ".join((value or "").split())


def normalise_tags(tags) -> list[str]:
    """Lower-case, trimmed, unique tags in the order given."""
    seen: list[str] = []
    for tag in tags or []:
        tag = str(tag).strip().lower()
        if tag and tag not in seen:
            seen.append(tag[:50])
    return seen


class OwnedRecord(models.Model):
    """A record that belongs to one user (its owner), who sees and edits it; others see it only
    when it is shared with them or when they manage the CRM (see apps.crm.selectors)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="owner",
        help_text="Who is responsible for it; reassigning transfers access.",
    )
    tags = ArrayField(
        models.CharField(max_length=50), default=list, blank=True, verbose_name="tags"
    )
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        self.tags = normalise_tags(self.tags)
        if hasattr(self, "phone"):
            self.phone = normalise_phone(self.phone)
        if getattr(self, "email", None):
            self.email = self.email.strip().lower()


class AddressFields(models.Model):
    """A postal address. Street, city and postal code are encrypted at rest
    (apps.core.encryption); the city is still found and filtered by exact value (case and
    spaces aside) through its blind index. Region and country stay plain: too coarse to
    identify anyone, and the lists filter and order by them."""

    street = EncryptedCharField("street", max_length=200, blank=True)
    city = EncryptedCharField("city", max_length=100, blank=True)
    city_hash = BlindIndexField(source="city", normaliser="text")
    postal_code = EncryptedCharField("postal code", max_length=20, blank=True)
    region = models.CharField("region", max_length=100, blank=True)
    country = models.CharField("country", max_length=100, blank=True)

    class Meta:
        abstract = True

    @property
    def address_lines(self) -> list[str]:
        line2 = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.street, line2, self.region, self.country) if line]
