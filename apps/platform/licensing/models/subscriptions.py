from django.conf import settings
from django.db import models

from apps.platform.catalog.models import App, Plan

__all__ = ["Subscription", "SubscriptionEvent"]


class Subscription(models.Model):
    """A tenant's licence to one catalog app: its plan, status, period and overrides.

    One row per tenant × app; plan changes, suspensions and cancellations update it, and every
    change is kept in `SubscriptionEvent`. Overrides sit on top of the plan: `feature_overrides`
    maps a flag to true (granted) or false (withdrawn); `limit_overrides` maps a limit key to a
    number or null (unlimited).
    """

    class Status(models.TextChoices):
        TRIAL = "trial", "Trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        SUSPENDED = "suspended", "Suspended"
        CANCELLED = "cancelled", "Cancelled"

    tenant = models.ForeignKey(
        settings.TENANT_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name="tenant",
    )
    app = models.ForeignKey(App, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(
        "status", max_length=20, choices=Status.choices, default=Status.TRIAL, db_index=True
    )
    trial_ends_at = models.DateTimeField("trial ends", null=True, blank=True)
    current_period_start = models.DateTimeField("current period start", null=True, blank=True)
    current_period_end = models.DateTimeField("current period end", null=True, blank=True)
    past_due_since = models.DateTimeField(
        "past due since", null=True, blank=True,
        help_text="Start of the grace period during which a past-due app stays usable.",
    )  # fmt: skip
    cancelled_at = models.DateTimeField("cancelled", null=True, blank=True)
    feature_overrides = models.JSONField("feature overrides", default=dict, blank=True)
    limit_overrides = models.JSONField("limit overrides", default=dict, blank=True)
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)

    class Meta:
        ordering = ["tenant__name", "app__position"]
        verbose_name = "subscription"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "app"], name="licensing_one_subscription_per_tenant_app"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.plan} ({self.get_status_display()})"


class SubscriptionEvent(models.Model):
    """One change of a subscription, kept forever: the licence's history."""

    class Action(models.TextChoices):
        TRIAL_STARTED = "trial_started", "Trial started"
        ACTIVATED = "activated", "Activated"
        PLAN_CHANGED = "plan_changed", "Plan changed"
        PAST_DUE = "past_due", "Marked past due"
        SUSPENDED = "suspended", "Suspended"
        RESUMED = "resumed", "Resumed"
        CANCELLED = "cancelled", "Cancelled"
        OVERRIDES_CHANGED = "overrides_changed", "Overrides changed"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="events", verbose_name="subscription"
    )
    action = models.CharField("action", max_length=30, choices=Action.choices)
    from_status = models.CharField("from status", max_length=20, blank=True)
    to_status = models.CharField("to status", max_length=20, blank=True)
    from_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changes = models.JSONField("changes", default=dict, blank=True)
    actor = models.CharField(
        "actor", max_length=150, blank=True,
        help_text="Who made the change (platform user, API key or system task).",
    )  # fmt: skip
    note = models.TextField("note", blank=True)
    created_at = models.DateTimeField("at", auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "subscription event"

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.created_at:%Y-%m-%d %H:%M}"
