"""The sales pipeline: the tenant's stages, opportunities moving through them, and each move."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.money import MoneyField, non_negative
from apps.crm.constants import StageKind
from apps.crm.models.base import OwnedRecord

__all__ = ["Opportunity", "Stage", "StageChange"]


class Stage(models.Model):
    """A column of the pipeline board, with the chance an opportunity in it is won."""

    name = models.CharField("name", max_length=60, unique=True)
    position = models.PositiveSmallIntegerField("order", default=0, help_text="Left to right.")
    probability = models.PositiveSmallIntegerField(
        "win probability %", default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    kind = models.CharField(
        "kind", max_length=10, choices=StageKind.choices, default=StageKind.OPEN,
        help_text="Won and lost stages close the opportunity.",
    )  # fmt: skip

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "pipeline stage"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=100),
                name="crm_stage_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class Opportunity(OwnedRecord):
    """A deal: an amount the team hopes to win from an account by a date."""

    name = models.CharField("name", max_length=200)
    account = models.ForeignKey(
        "crm.Account", on_delete=models.PROTECT, related_name="opportunities"
    )
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="opportunities",
    )  # fmt: skip
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    amount = MoneyField(
        "amount", validators=[non_negative], help_text="In the organisation's currency."
    )
    expected_close_date = models.DateField("expected close date", null=True, blank=True)
    lost_reason = models.CharField("lost reason", max_length=200, blank=True)
    closed_at = models.DateTimeField("closed", null=True, blank=True, editable=False)
    lead = models.ForeignKey(
        "crm.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False, help_text="The lead it was converted from.",
    )  # fmt: skip
    description = models.TextField("description", blank=True)

    class Meta:
        ordering = ["expected_close_date", "id"]
        verbose_name = "opportunity"
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="crm_opportunity_amount"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageChange(models.Model):
    """One move of an opportunity from a stage to another (names kept as they were)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_name = models.CharField("from", max_length=60, blank=True)
    to_name = models.CharField("to", max_length=60)
    amount = MoneyField("amount then")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    changed_at = models.DateTimeField("when", auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = "stage change"

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_name or '—'} → {self.to_name}"
