from django.conf import settings
from django.db import models

from apps.core.money import MoneyField
from apps.platform.billing.models import Invoice

__all__ = ["Attribution", "CommissionRule", "LedgerEntry", "Partner", "PartnerUser", "Payout"]


class Partner(models.Model):
    """A reseller who brings tenants to the platform and earns a commission on what they pay."""

    name = models.CharField("name", max_length=120)
    referral_code = models.SlugField("referral code", max_length=40, unique=True)
    email = models.EmailField("payout email", blank=True)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "partner"

    def __str__(self) -> str:
        return self.name


class PartnerUser(models.Model):
    """A public-host user who signs in to a partner's portal (never platform staff)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="users")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_membership"
    )

    class Meta:
        verbose_name = "partner user"

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"


class Attribution(models.Model):
    """The partner who brought a tenant (a referral code at signup), and since when."""

    tenant = models.OneToOneField(
        settings.TENANT_MODEL, on_delete=models.CASCADE, related_name="partner_attribution"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="attributions")
    since = models.DateField("since")

    class Meta:
        ordering = ["-since"]
        verbose_name = "attribution"

    def __str__(self) -> str:
        return f"{self.tenant} ← {self.partner}"


class CommissionRule(models.Model):
    """A percentage of collected revenue: for one app (blank: every app), for the first
    `duration_months` of each tenant's attribution (null: for ever), raised by volume `tiers`
    ([{"tenants": 10, "percent": 25}]: from 10 attributed tenants on, 25 %)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="rules")
    app_key = models.CharField("app", max_length=20, blank=True)
    percent = models.DecimalField("percent", max_digits=5, decimal_places=2)
    duration_months = models.PositiveSmallIntegerField("months", null=True, blank=True)
    tiers = models.JSONField("volume tiers", default=list, blank=True)

    class Meta:
        verbose_name = "commission rule"
        constraints = [
            models.UniqueConstraint(fields=["partner", "app_key"], name="partners_rule_per_app"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0) & models.Q(percent__lte=100),
                name="partners_rule_percent_0_100",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.percent} % of {self.app_key or 'every app'}"


class Payout(models.Model):
    """A batch of available ledger entries paid to a partner (exported as CSV)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="payouts")
    total = MoneyField("total")
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "payout"

    def __str__(self) -> str:
        return f"Payout {self.pk} · {self.partner} · {self.total}"


class LedgerEntry(models.Model):
    """A commission earned on a paid invoice line (accrual), or taken back for a refund
    (clawback, negative): entries are never edited. Held until `available_on`."""

    class Kind(models.TextChoices):
        ACCRUAL = "accrual", "Accrual"
        CLAWBACK = "clawback", "Clawback"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="ledger")
    tenant = models.ForeignKey(settings.TENANT_MODEL, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("kind", max_length=10, choices=Kind.choices)
    key = models.CharField("idempotency key", max_length=120, unique=True)
    app_key = models.CharField("app", max_length=20, blank=True)
    base = MoneyField("revenue")
    percent = models.DecimalField("percent", max_digits=5, decimal_places=2)
    amount = models.DecimalField("amount", max_digits=14, decimal_places=2)
    available_on = models.DateField("available on")
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "ledger entry"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} · {self.invoice}"
