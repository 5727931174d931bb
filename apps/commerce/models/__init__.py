"""E-commerce models, one module per aggregate: the catalogue (categories, products, variants),
the inventory (warehouses, stock, the movements ledger) and orders (lines, payments, timeline)."""

from apps.commerce.models.carts import *  # noqa: F403
from apps.commerce.models.catalog import *  # noqa: F403
from apps.commerce.models.inventory import *  # noqa: F403
from apps.commerce.models.orders import *  # noqa: F403
from apps.commerce.models.vendors import *  # noqa: F403
