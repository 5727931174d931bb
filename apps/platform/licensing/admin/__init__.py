"""Platform console: the app catalog (apps and their plans) and the subscriptions of tenants
to them, with their history. Catalog and licensing are one console section's concern (a plan's
page shows who subscribes to it), so this app registers the catalog's pages too."""

from apps.platform.licensing.admin import catalog, events, subscriptions  # noqa: F401  (register)
