"""Leads: people or companies who might buy, before they are qualified."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.encryption import BlindIndexField, EncryptedCharField
from apps.crm.constants import LeadSource, LeadStatus
from apps.crm.models.base import OwnedRecord, validate_phone

__all__ = ["Lead"]


class Lead(OwnedRecord):
    """Someone who may become a customer. Once qualified, conversion turns it into an account,
    a contact and an opportunity (apps.crm.services.leads.lead_convert)."""

    first_name = models.CharField("first name", max_length=100, blank=True)
    last_name = models.CharField("last name", max_length=100)
    company = models.CharField("company", max_length=200, blank=True)
    title = models.CharField("job title", max_length=100, blank=True)
    email = models.EmailField("email", blank=True)
    phone = EncryptedCharField("phone", max_length=40, blank=True, validators=[validate_phone])
    phone_hash = BlindIndexField(source="phone", normaliser="phone")
    website = models.URLField("website", blank=True)
    source = models.CharField(
        "source", max_length=20, choices=LeadSource.choices, default=LeadSource.OTHER
    )
    status = models.CharField(
        "status", max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    score = models.PositiveSmallIntegerField(
        "score", default=0, validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="0 (cold) to 100 (ready to buy).",
    )  # fmt: skip
    notes = models.TextField("notes", blank=True)
    converted_at = models.DateTimeField("converted", null=True, blank=True, editable=False)
    converted_account = models.ForeignKey(
        "crm.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False,
    )  # fmt: skip
    converted_contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False,
    )  # fmt: skip
    converted_opportunity = models.ForeignKey(
        "crm.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False,
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "lead"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="crm_lead_score_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LeadStatus.CONVERTED)
                | models.Q(converted_at__isnull=False),
                name="crm_lead_converted_has_date",
            ),
        ]

    def __str__(self) -> str:
        name = self.full_name
        return f"{name} ({self.company})" if self.company else name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)
