"""Companies (accounts) and the people at them (contacts)."""

from django.db import models
from django.db.models.functions import Lower

from apps.core.encryption import BlindIndexField, EncryptedCharField
from apps.crm.models.base import AddressFields, OwnedRecord, validate_phone

__all__ = ["Account", "Contact"]


def domain_of(value: str) -> str:
    """ "https://www.Example.com/x" → "example.com"; an email's domain likewise."""
    value = (value or "").strip().lower()
    if "@" in value:
        value = value.rsplit("@", 1)[1]
    value = value.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return value.removeprefix("www.")


class Account(OwnedRecord, AddressFields):
    """A company the sales team works with: prospect or customer. It may be linked to the
    records of other apps that are the same party, such as an ISP customer (by reference, in
    apps.core's party links: the other app may be off)."""

    name = models.CharField("name", max_length=200)
    domain = models.CharField(
        "web domain", max_length=200, blank=True,
        help_text="e.g. example.com; leads and contacts with this email domain match it.",
    )  # fmt: skip
    website = models.URLField("website", blank=True)
    industry = models.CharField("industry", max_length=100, blank=True)
    email = models.EmailField("email", blank=True)
    phone = EncryptedCharField("phone", max_length=40, blank=True, validators=[validate_phone])
    phone_hash = BlindIndexField(source="phone", normaliser="phone")
    description = models.TextField("description", blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "account"
        constraints = [
            models.UniqueConstraint(
                Lower("domain"), condition=~models.Q(domain=""), name="crm_account_unique_domain",
                violation_error_message="An account with this web domain already exists.",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        self.domain = domain_of(self.domain or self.website)


class Contact(OwnedRecord, AddressFields):
    """A person at an account."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="contacts", verbose_name="account"
    )
    first_name = models.CharField("first name", max_length=100, blank=True)
    last_name = models.CharField("last name", max_length=100)
    title = models.CharField("job title", max_length=100, blank=True)
    email = models.EmailField("email", blank=True)
    phone = EncryptedCharField("phone", max_length=40, blank=True, validators=[validate_phone])
    phone_hash = BlindIndexField(source="phone", normaliser="phone")
    notes = models.TextField("notes", blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = "contact"
        indexes = [models.Index(Lower("email"), name="crm_contact_email")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)
