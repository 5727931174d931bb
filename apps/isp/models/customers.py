from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.encryption import BlindIndexField, EncryptedCharField
from apps.core.money import MoneyField
from apps.core.validators import phone_validator

__all__ = ["Customer", "CustomerContact", "TimelineEvent"]


class Customer(models.Model):
    """A subscriber of the ISP: a household or a business, with its account and balance."""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", "Residential"
        BUSINESS = "business", "Business"

    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CLOSED = "closed", "Closed"

    account_number = models.CharField(
        max_length=20, unique=True, editable=False, help_text="Assigned from the tenant's sequence."
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RESIDENTIAL)
    name = models.CharField(max_length=200, help_text="The person's or the company's name.")
    company_registration = models.CharField(max_length=50, blank=True)
    email = models.EmailField()
    # Personal data below is encrypted at rest (apps.core.encryption); the phone number is
    # found by exact value through its blind index.
    phone = EncryptedCharField(max_length=30, blank=True, validators=[phone_validator])
    phone_hash = BlindIndexField(source="phone", normaliser="phone")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROSPECT)
    billing_day = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="Day of the month (1-28) on which this customer's billing periods start.",
    )
    balance = MoneyField(
        editable=False,
        help_text="What the customer owes (negative: credit in their favour). Kept by the "
        "billing services, never edited by hand.",
    )
    # Service address (where the line is installed) and billing address (where invoices go).
    service_street = EncryptedCharField("service address", max_length=200, blank=True)
    service_city = EncryptedCharField(max_length=100, blank=True)
    service_postcode = EncryptedCharField(max_length=20, blank=True)
    service_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code")
    billing_street = EncryptedCharField("billing address", max_length=200, blank=True)
    billing_city = EncryptedCharField(max_length=100, blank=True)
    billing_postcode = EncryptedCharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code")
    notes = models.TextField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="isp_customer",
        help_text="The tenant user who signs in to the customer portal as this customer.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_number"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["name"]),
            models.Index(fields=["email"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(billing_day__gte=1, billing_day__lte=28),
                name="isp_customer_billing_day_1_28",
            ),
        ]

    def __str__(self):
        return f"{self.account_number} {self.name}"


class CustomerContact(models.Model):
    """A person to reach about a customer account (billing, technical, the owner)."""

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary"
        BILLING = "billing", "Billing"
        TECHNICAL = "technical", "Technical"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PRIMARY)
    email = models.EmailField(blank=True)
    phone = EncryptedCharField(max_length=30, blank=True, validators=[phone_validator])
    phone_hash = BlindIndexField(source="phone", normaliser="phone")

    class Meta:
        ordering = ["customer", "role", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"


class TimelineEvent(models.Model):
    """One thing that happened to a customer account, shown on its timeline (the audit trail
    keeps the field-level before/after; this is the account's story in words)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        NOTE = "note", "Note"
        STATUS = "status", "Status changed"
        SERVICE = "service", "Service"
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"
        DUNNING = "dunning", "Dunning"
        NETWORK = "network", "Network"  # RADIUS: CoA / Disconnect results, fair use

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    message = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self):
        return self.message
