"""Catalog app "E-commerce" (DESIGN.md §2), declared ahead of its build: its back office and
shop areas are licensed and role-checked already (roles grant them, the launcher shows them);
every other slot stays empty until the app is built."""

from apps.core.kit import appconfig
from apps.core.kit.declaration import AppDeclaration, Area, LauncherEntry

DECLARATION = AppDeclaration(
    key="commerce",
    name="E-commerce",
    areas=(
        Area("commerce", "E-commerce back office", pages="commerce", api="commerce"),
        Area("commerce.shop", "Shop", pages="shop", api="commerce/shop"),
    ),
    launcher=(
        LauncherEntry("commerce", "E-commerce back office", "package", "/commerce/"),
        LauncherEntry("commerce.shop", "Shop", "cart", "/shop/"),
    ),
    pages=None,
    api=None,
    initialiser=None,
    demo_seeder=None,
    usage_counters={},
    party_directory=None,
    admin_features={},
    planned=True,
)


class CommerceConfig(appconfig.CatalogAppConfig):
    name = "apps.commerce"
    label = "commerce"
    verbose_name = "E-commerce"
    declaration = DECLARATION
