"""The marketplace (plan feature `commerce.vendor_portal`, after django-oscar's partners):
vendors are tenant users who sell their own products; an order's lines of each vendor are one
fulfilment with its own status; a vendor's ledger holds, per paid line, the sale, the shop's
commission (the vendor's percentage) and what the shop owes the vendor, reversed on refund;
payout batches pay what is owed.

Amounts of the ledger are signed: an accrual is positive, a reversal negative, so a vendor's
balance is a sum and a payout takes the entries it pays (never one twice: `payout` is set once,
under a row lock).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.commerce.constants import FulfilmentStatus, LedgerKind
from apps.core.money import MoneyField, non_negative

__all__ = ["CommissionEntry", "Fulfilment", "Payout", "PayoutBatch", "Vendor"]


class Vendor(models.Model):
    """A seller of the shop: a tenant user (with the Vendor role) who manages their own
    products and stock, fulfils their own order lines and is paid what their sales earn less
    the shop's commission."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop_vendor"
    )
    code = models.SlugField(max_length=40, unique=True, help_text="e.g. netgear-direct")
    name = models.CharField(max_length=120)
    commission_rate = models.DecimalField(
        "commission (%)", max_digits=5, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percentage of each paid line's net total the shop keeps.",
    )  # fmt: skip
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_rate__gte=0, commission_rate__lte=100),
                name="commerce_vendor_commission_range",
            ),
        ]

    def __str__(self):
        return self.name


class Fulfilment(models.Model):
    """The lines of one vendor in an order (vendor empty: the shop's own lines), shipped
    together with their own status; the order's status follows its fulfilments."""

    order = models.ForeignKey("commerce.Order", on_delete=models.CASCADE,
                              related_name="fulfilments")  # fmt: skip
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="fulfilments"
    )
    status = models.CharField(
        max_length=12, choices=FulfilmentStatus.choices, default=FulfilmentStatus.PENDING
    )
    tracking = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "vendor"], nulls_distinct=False,
                name="commerce_fulfilment_per_vendor",
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.order_id} / {self.vendor_id or 'shop'}"


class PayoutBatch(models.Model):
    """One payout run: a payout to every vendor owed something at the time (CSV export)."""

    reference = models.CharField(max_length=30, unique=True)
    until = models.DateField(help_text="It pays the entries written up to this day (included).")
    total = MoneyField(validators=[non_negative])
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "payout batches"

    def __str__(self):
        return self.reference


class Payout(models.Model):
    """What one vendor is paid in a batch: the sum of the ledger entries it settles."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="payouts")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="payouts")
    amount = MoneyField(validators=[non_negative])
    entries_count = models.PositiveIntegerField(default=0)
    #: When the money was sent (services.vendors.payout_mark_paid; set once), and by whom.
    paid_at = models.DateTimeField(null=True, blank=True, editable=False)
    paid_by = models.CharField(max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "vendor"], name="commerce_payout_once"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="commerce_payout_amount_gt_0"
            ),
        ]

    def __str__(self):
        return f"{self.batch_id}: {self.vendor_id} {self.amount}"


class CommissionEntry(models.Model):
    """An entry of a vendor's ledger: a paid line's accrual (the sale, the shop's commission,
    what the vendor earns) or its reversal on a refund (negative amounts)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="ledger")
    line = models.ForeignKey("commerce.OrderLine", on_delete=models.PROTECT,
                             related_name="commissions")  # fmt: skip
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    sales = MoneyField(help_text="Net sales of the entry (signed).")
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    commission = MoneyField(help_text="The shop's commission (signed).")
    earnings = MoneyField(help_text="What the shop owes the vendor: sales less commission.")
    note = models.CharField(max_length=200, blank=True)
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "commission entries"
        constraints = [
            # a line accrues once, however often its order is marked paid
            models.UniqueConstraint(
                fields=["line"], condition=models.Q(kind="accrual"),
                name="commerce_commission_accrues_once",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="accrual", sales__gte=0)
                           | models.Q(kind="reversal", sales__lte=0)),
                name="commerce_commission_sign_of_kind",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["vendor", "payout"])]

    def __str__(self):
        return f"{self.kind} {self.earnings}"
