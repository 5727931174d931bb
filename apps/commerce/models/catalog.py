"""The catalogue: a category tree, products and their variants (what is sold, by SKU)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.commerce.constants import ProductStatus
from apps.core.money import MoneyField, non_negative

__all__ = ["Category", "Product", "ProductVariant", "TaxClass"]


class TaxClass(models.Model):
    """A tax class with the tenant's rate ("Standard 20%"); a product names one, and an order
    line copies the rate in force when it was bought."""

    code = models.SlugField(max_length=30, unique=True, help_text="e.g. standard, reduced, zero")
    name = models.CharField(max_length=80)
    rate = models.DecimalField(
        "rate (%)", max_digits=5, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percentage added to the net price, e.g. 20.00.",
    )  # fmt: skip

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "tax classes"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="commerce_tax_rate_range"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.rate}%)"


class Category(models.Model):
    """A node of the category tree ("Network / Routers").

    The tree is a materialised path (`path`: the slugs from the root, "network/routers") rather
    than django-treebeard: a shop's tree is small and shallow (MAX_CATEGORY_DEPTH), a subtree is
    one indexed prefix match, the listing order is the path's, and a move rewrites its
    descendants' paths in one UPDATE (services.catalog.category_update)."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=400, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "slug"], name="commerce_category_slug_per_parent",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="commerce_category_not_own_parent"
            ),
        ]  # fmt: skip

    def __str__(self):
        return self.path.replace("/", " / ")


class Product(models.Model):
    """A product of the shop: what a customer sees and buys in one of its variants. Only a
    published product is listed in the storefront."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    tax_class = models.ForeignKey(TaxClass, on_delete=models.PROTECT, related_name="products")
    price = MoneyField(
        validators=[non_negative],
        help_text="Net price in the organisation's currency; a variant may have its own.",
    )
    status = models.CharField(
        max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    vendor = models.ForeignKey(
        "commerce.Vendor", null=True, blank=True, on_delete=models.PROTECT,
        related_name="products", help_text="The vendor selling it (empty: the shop itself).",
    )  # fmt: skip
    #: The code of the ISP plan that buying it orders (a pending service of the buyer's ISP
    #: account, apps.commerce.services.isp_plans); a code, never a key: the ISP app may be off.
    isp_plan = models.CharField(
        "ISP plan", max_length=40, blank=True,
        help_text="Code of the ISP plan that buying this orders for the buyer (empty: none).",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="commerce_product_price_gte_0"
            ),
        ]
        indexes = [models.Index(fields=["status", "name"])]

    def __str__(self):
        return self.name


class ProductVariant(models.Model):
    """One sellable version of a product (a colour, a size), known by its SKU; stock is kept
    per variant and warehouse."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True, help_text="e.g. Black / 1 m")
    attributes = models.JSONField(
        default=dict, blank=True, help_text='Attribute → value, e.g. {"colour": "black"}.'
    )
    barcode = models.CharField(max_length=32, blank=True, help_text="EAN/UPC/GTIN digits.")
    price = MoneyField(
        null=True, blank=True, default=None, validators=[non_negative],
        help_text="Net price of this variant (empty: the product's).",
    )  # fmt: skip
    low_stock_threshold = models.PositiveIntegerField(
        default=5, validators=[MaxValueValidator(1_000_000)],
        help_text="Available units at or below which the variant shows as low on stock.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__isnull=True) | models.Q(price__gte=0),
                name="commerce_variant_price_gte_0",
            ),
        ]

    def __str__(self):
        return self.sku

    @property
    def effective_price(self):
        return self.product.price if self.price is None else self.price
