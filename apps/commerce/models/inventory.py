"""The inventory: warehouses, stock per variant and warehouse, and the movements ledger.

The database refuses overselling: a stock row's quantity never goes below zero, and what is
allocated to orders never exceeds it (check constraints). Every change of quantity is a
movement, so that stock can be recomputed from the ledger (services.inventory.stock_recount).
"""

from django.db import models

from apps.commerce.constants import MovementKind
from apps.commerce.models.catalog import ProductVariant

__all__ = ["Stock", "StockMovement", "Warehouse"]


class Warehouse(models.Model):
    """A place stock is kept and shipped from."""

    code = models.SlugField(max_length=30, unique=True, help_text="e.g. main")
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(
        "active", default=True, help_text="Only active warehouses allocate stock to orders."
    )

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Stock(models.Model):
    """The units of one variant in one warehouse: on hand (`quantity`) and promised to orders
    not yet fulfilled (`allocated`); what can still be sold is the difference."""

    variant = models.ForeignKey(ProductVariant, on_delete=models.PROTECT, related_name="stocks")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    quantity = models.IntegerField(default=0, help_text="Units on hand.")
    allocated = models.IntegerField(default=0, help_text="Units promised to unfulfilled orders.")

    class Meta:
        ordering = ["variant__sku", "warehouse__code"]
        verbose_name_plural = "stock"
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "warehouse"], name="commerce_stock_per_variant_and_warehouse"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="commerce_stock_quantity_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(allocated__gte=0, allocated__lte=models.F("quantity")),
                name="commerce_stock_allocated_within_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.variant_id} @ {self.warehouse_id}"

    @property
    def available(self) -> int:
        return self.quantity - self.allocated


class StockMovement(models.Model):
    """One entry of the ledger: a signed change of a variant's units in a warehouse (a receipt,
    a sale shipped, a count adjustment, a return, one leg of a transfer). Never edited."""

    variant = models.ForeignKey(ProductVariant, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=MovementKind.choices)
    quantity = models.IntegerField(help_text="Signed change of the units on hand.")
    order = models.ForeignKey(
        "commerce.Order", null=True, blank=True, on_delete=models.PROTECT,
        related_name="movements",
    )  # fmt: skip
    note = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(quantity=0), name="commerce_movement_not_zero"
            ),
        ]
        indexes = [models.Index(fields=["variant", "warehouse"])]

    def __str__(self):
        return f"{self.kind} {self.quantity:+d}"
