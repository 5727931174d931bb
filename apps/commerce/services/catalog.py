"""The catalogue: categories (a materialised-path tree), products and their variants.

A product is created with its variants in one step, within the plan's `commerce.max_products`;
given a `sku` and no variants it gets one default variant with that SKU (the API contract).
"""

from copy import copy

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.text import slugify

from apps.commerce.constants import MAX_CATEGORY_DEPTH, MAX_PRODUCTS, MAX_VARIANTS_PER_PRODUCT
from apps.commerce.models import Category, Product, ProductVariant
from apps.commerce.services import isp_plans
from apps.commerce.services.setup import default_tax_class
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.platform.licensing.guards import within_limit

PRODUCT_FIELDS = (
    "name",
    "slug",
    "description",
    "category",
    "tax_class",
    "price",
    "status",
    "vendor",
    "isp_plan",
)
VARIANT_FIELDS = ("sku", "name", "attributes", "barcode", "price", "low_stock_threshold")


def products_counted() -> int:
    """Usage of `commerce.max_products`: every product, draft or published."""
    return Product.objects.count()


def _only(fields: dict, allowed) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in sorted(unknown)})


def _free_slug(name: str) -> str:
    base = slugify(name)[:180] or "product"
    slug, n = base, 1
    while Product.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- categories --------------------------------------------------------------------------------


def _placed(category: Category) -> None:
    """Set the category's path and depth from its parent and slug (refusing a cycle)."""
    parent = category.parent
    if parent is None:
        category.path, category.depth = category.slug, 0
        return
    if category.pk and (parent.pk == category.pk or parent.path.startswith(f"{category.path}/")):
        raise ValidationError({"parent": "A category cannot be placed under itself."})
    if parent.depth + 1 >= MAX_CATEGORY_DEPTH:
        raise ValidationError({"parent": f"Categories nest at most {MAX_CATEGORY_DEPTH} deep."})
    category.path, category.depth = f"{parent.path}/{category.slug}", parent.depth + 1


@transaction.atomic
def category_create(*, name: str, slug: str = "", parent=None, actor=None, **fields) -> Category:
    _only(fields, ("description",))
    category = Category(name=name, slug=slug or slugify(name)[:60], parent=parent, **fields)
    _placed(category)
    return record_create(category, actor=actor)


@transaction.atomic
def category_update(*, category: Category, actor=None, **fields) -> Category:
    """Rename or move a category; its descendants' paths follow in one UPDATE."""
    _only(fields, ("name", "slug", "parent", "description"))
    category = Category.objects.select_for_update().get(pk=category.pk)
    old_path, old_depth = category.path, category.depth
    moved = copy(category)
    for name, value in fields.items():
        setattr(moved, name, value)
    _placed(moved)
    new_path, new_depth = moved.path, moved.depth
    record_update(category, {**fields, "path": new_path, "depth": new_depth}, actor=actor)
    if new_path != old_path:
        Category.objects.filter(path__startswith=f"{old_path}/").update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + (new_depth - old_depth),
        )
    return category


@transaction.atomic
def category_delete(*, category: Category, actor=None) -> None:
    """Delete an empty category (one with subcategories or products is refused, CONFLICT)."""
    record_delete(category, actor=actor)


# --- products and variants -------------------------------------------------------------------


def product_create(
    *, name: str, sku: str = "", barcode: str = "", variants: list | None = None, actor=None,
    **fields,
) -> Product:  # fmt: skip
    """A product and its variants, within the plan's product limit (LIMIT_EXCEEDED otherwise,
    nothing written). Without `variants`, `sku` makes its one default variant."""
    _only(fields, PRODUCT_FIELDS)
    variants = list(variants or [])
    if variants and sku:
        raise ValidationError({"sku": "Give either a SKU or variants, not both."})
    if not variants and not sku:
        raise ValidationError({"sku": "A product needs a SKU (or variants)."})
    if len(variants) > MAX_VARIANTS_PER_PRODUCT:
        raise ValidationError({"variants": f"At most {MAX_VARIANTS_PER_PRODUCT} variants."})
    for variant in variants:
        _only(variant, VARIANT_FIELDS)
    if len({v.get("sku") for v in variants}) < len(variants):
        raise ValidationError({"variants": "Each variant needs a SKU of its own."})
    if fields.get("isp_plan"):
        fields["isp_plan"] = isp_plans.plan_check(fields["isp_plan"])
    with within_limit(MAX_PRODUCTS), transaction.atomic():
        fields.setdefault("tax_class", default_tax_class())
        if not fields.get("slug"):
            fields["slug"] = _free_slug(name)
        product = record_create(Product(name=name, **fields), actor=actor)
        for variant in variants or [{"sku": sku, "barcode": barcode}]:
            record_create(ProductVariant(product=product, **variant), actor=actor)
    return product


@transaction.atomic
def product_update(*, product: Product, actor=None, **fields) -> Product:
    _only(fields, PRODUCT_FIELDS)
    if "isp_plan" in fields and (fields["isp_plan"] or "") != product.isp_plan:
        fields["isp_plan"] = isp_plans.plan_check(fields["isp_plan"])
    record_update(product, fields, actor=actor)
    return product


@transaction.atomic
def product_delete(*, product: Product, actor=None) -> None:
    """Delete a product and its variants; one with stock or orders is refused (CONFLICT)."""
    for variant in product.variants.all():
        record_delete(variant, actor=actor)
    record_delete(product, actor=actor)


@transaction.atomic
def variant_create(*, product: Product, actor=None, **fields) -> ProductVariant:
    _only(fields, VARIANT_FIELDS)
    if product.variants.count() >= MAX_VARIANTS_PER_PRODUCT:
        raise ValidationError({"product": f"At most {MAX_VARIANTS_PER_PRODUCT} variants."})
    return record_create(ProductVariant(product=product, **fields), actor=actor)


@transaction.atomic
def variant_update(*, variant: ProductVariant, actor=None, **fields) -> ProductVariant:
    _only(fields, VARIANT_FIELDS)
    record_update(variant, fields, actor=actor)
    return variant


@transaction.atomic
def variant_delete(*, variant: ProductVariant, actor=None) -> None:
    """Delete a variant with no stock and no orders (CONFLICT otherwise)."""
    record_delete(variant, actor=actor)
