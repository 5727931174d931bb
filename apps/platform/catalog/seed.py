"""The catalog a new installation sells (loaded by a data migration; editable in the console).

`platform.*` limits belong to no single app: a tenant gets the highest value over its usable
licences (e.g. `platform.api_rate_per_minute`, read by the API throttles; `platform.max_storage_mb`
and `platform.max_db_mb`, the quotas of file storage and database size, apps.platform.metering).
"""

from decimal import Decimal

#: The quotas each tier gives (MB of file storage, MB of database), whatever the app.
QUOTAS = {
    "basic": {"platform.max_storage_mb": 1024, "platform.max_db_mb": 1024},
    "pro": {"platform.max_storage_mb": 10240, "platform.max_db_mb": 10240},
    "enterprise": {"platform.max_storage_mb": 102400, "platform.max_db_mb": 102400},
}

CATALOG = [
    {
        "key": "isp", "name": "ISP Framework", "icon": "🌐", "position": 1,
        "tagline": "Subscribers, service plans, billing and network for internet providers.",
        "description": "Customers and services, recurring billing with proration and dunning, "
        "a customer portal, IP address management, monitoring, tickets and a technician app.",
        "plans": [
            ("basic", "Basic", "49.00", ["isp.customer_portal"],
             {"isp.max_customers": 500, "isp.max_devices": 250}),
            ("pro", "Pro", "149.00",
             ["isp.customer_portal", "isp.dunning", "isp.network_automation", "isp.radius",
              "isp.monitoring", "isp.sla"],
             {"isp.max_customers": 5000, "isp.max_devices": 5000}),
            ("enterprise", "Enterprise", "499.00",
             ["isp.customer_portal", "isp.dunning", "isp.network_automation", "isp.radius",
              "isp.monitoring", "isp.sla", "isp.api_webhooks"],
             {"isp.max_customers": None, "isp.max_devices": None,
              "platform.api_rate_per_minute": 1000}),
        ],
    },
    {
        "key": "crm", "name": "CRM", "icon": "📞", "position": 2,
        "tagline": "Leads to won deals: pipeline, activities and reports.",
        "description": "Accounts, contacts, leads with conversion, a kanban pipeline, activities, "
        "ownership and sharing, reports and forecasts, CSV import and export.",
        "plans": [
            ("basic", "Basic", "29.00", [], {"crm.max_users": 5}),
            ("pro", "Pro", "79.00", ["crm.forecasting"], {"crm.max_users": 25}),
            ("enterprise", "Enterprise", "199.00", ["crm.forecasting", "crm.api_webhooks"],
             {"crm.max_users": None, "platform.api_rate_per_minute": 1000}),
        ],
    },
    {
        "key": "commerce", "name": "E-commerce", "icon": "🛒", "position": 3,
        "tagline": "Products, inventory, orders and a storefront.",
        "description": "Catalogue and inventory, a storefront with cart and checkout, order "
        "processing, discounts and a vendor portal for marketplaces.",
        "plans": [
            ("basic", "Basic", "39.00", [], {"commerce.max_products": 100}),
            ("pro", "Pro", "99.00", ["commerce.discounts", "commerce.vendor_portal"],
             {"commerce.max_products": 5000}),
            ("enterprise", "Enterprise", "299.00", ["commerce.discounts", "commerce.vendor_portal"],
             {"commerce.max_products": None, "platform.api_rate_per_minute": 1000}),
        ],
    },
    {
        "key": "projects", "name": "Project Management", "icon": "📋", "position": 4,
        "tagline": "Projects, milestones, tasks and boards.",
        "description": "Projects with members, milestones, tasks on boards, time tracking and a "
        "timeline view.",
        "plans": [
            ("basic", "Basic", "19.00", [], {"projects.max_projects": 10}),
            ("pro", "Pro", "49.00", ["projects.timeline"], {"projects.max_projects": 100}),
            ("enterprise", "Enterprise", "149.00", ["projects.timeline", "projects.time_tracking"],
             {"projects.max_projects": None, "platform.api_rate_per_minute": 1000}),
        ],
    },
]  # fmt: skip


def load_catalog(App, Plan) -> None:
    """Create what is missing; never overwrite what an operator has edited."""
    for entry in CATALOG:
        app, _ = App.objects.get_or_create(
            key=entry["key"],
            defaults={
                field: entry[field]
                for field in ("name", "icon", "position", "tagline", "description")
            },
        )
        for position, (key, name, price, features, limits) in enumerate(entry["plans"], 1):
            Plan.objects.get_or_create(
                app=app,
                key=key,
                defaults={
                    "name": name,
                    "price": Decimal(price),
                    "features": features,
                    "limits": {**QUOTAS.get(key, {}), **limits},
                    "position": position,
                },
            )
