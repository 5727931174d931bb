"""Catalog app "E-commerce": the catalogue, inventory that never oversells, checkout under an
idempotency key, orders; the back office at /commerce/ and the public storefront at /shop/.
Its declaration is what the platform knows of it."""

from apps.core.kit import appconfig
from apps.core.kit.declaration import AppDeclaration, Area, LauncherEntry, Tab

DECLARATION = AppDeclaration(
    key="commerce",
    name="E-commerce",
    areas=(
        Area(
            "commerce", "E-commerce back office", pages="commerce", api="commerce",
            tabs=(
                Tab("Dashboard", "commerce:dashboard", "dashboard"),
                Tab("Products", "commerce:products", "products"),
                Tab("Orders", "commerce:orders", "orders"),
                Tab("Stock", "commerce:stock", "stock"),
                Tab("Discounts", "commerce:discounts", "discounts"),
                Tab("Vendors", "commerce:vendors", "vendors"),
            ),
        ),
        Area(
            "commerce.shop", "Shop", pages="shop", api="commerce/shop", public=True,
            tabs=(Tab("Products", "shop:products", "products"), Tab("Cart", "shop:cart", "cart"),
                  Tab("My orders", "shop:orders", "orders")),
        ),
        Area(
            "commerce.vendor", "Vendor portal", pages="vendor", api="commerce/vendor",
            tabs=(Tab("Overview", "vendor:overview", "overview"),
                  Tab("Products", "vendor:products", "products"),
                  Tab("Orders", "vendor:fulfilments", "fulfilments"),
                  Tab("Ledger", "vendor:ledger", "ledger")),
        ),
    ),
    launcher=(
        LauncherEntry("commerce", "E-commerce back office", "package", "/commerce/"),
        LauncherEntry("commerce.shop", "Shop", "cart", "/shop/"),
        LauncherEntry("commerce.vendor", "Vendor portal", "briefcase", "/vendor/"),
    ),
    pages="apps.commerce.urls",
    api="apps.commerce.api.urls",
    initialiser="apps.commerce.services.setup.commerce_defaults_ensure",
    demo_seeder="apps.commerce.demo.commerce_demo_ensure",
    usage_counters={"commerce.max_products": "apps.commerce.services.catalog.products_counted"},
    party_directory="apps.commerce.parties.CommerceShoppers",
    operations={},
    admin_features={
        f"commerce.{model}": "commerce.vendor_portal"
        for model in ("vendor", "commissionentry", "payoutbatch", "payout")
    },
    order=60,
)  # fmt: skip


class CommerceConfig(appconfig.CatalogAppConfig):
    name = "apps.commerce"
    label = "commerce"
    verbose_name = "E-commerce"
    declaration = DECLARATION

    def ready(self):
        super().ready()
        from apps.commerce import signals  # noqa: F401 - connects the sign-in's cart merge
