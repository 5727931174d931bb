"""Catalog app "ISP Framework": subscribers, plans, services and their billing; the customer
portal; network inventory and monitoring; support tickets and field work; the technician app.
Its declaration is what the platform knows of it."""

from apps.core.kit import appconfig
from apps.core.kit.declaration import AppDeclaration, Area, LauncherEntry, Tab

DECLARATION = AppDeclaration(
    key="isp",
    name="ISP Framework",
    areas=(
        Area(
            "isp", "ISP Framework", pages="isp", api="isp",
            tabs=(
                Tab("Dashboard", "isp:dashboard", "dashboard"),
                Tab("Customers", "isp:customers", "customers"),
                Tab("Invoices", "isp:invoices", "invoices"),
                Tab("Plans", "isp:plans", "plans"),
                Tab("Billing runs", "isp:billing-runs", "runs"),
                Tab("Network", "isp:prefixes", "network"),
                Tab("Tickets", "isp:tickets", "tickets"),
                Tab("Dispatch", "isp:dispatch", "dispatch"),
            ),
        ),
        Area(
            "isp.portal", "Customer portal", pages="portal", api="isp/portal",
            tabs=(
                Tab("Overview", "portal:overview", "overview"),
                Tab("Invoices", "portal:invoices", "invoices"),
                Tab("Payments", "portal:payments", "payments"),
                Tab("Support", "portal:tickets", "tickets"),
                Tab("Contact details", "portal:contact", "contact"),
            ),
        ),
        Area("isp.tech", "Technician app", pages="tech", api="isp/tech",
             tabs=(Tab("Today", "tech:today", "today"),)),
    ),
    launcher=(
        LauncherEntry("isp", "ISP Framework", "globe", "/isp/"),
        LauncherEntry("isp.portal", "Customer portal", "home", "/portal/"),
        LauncherEntry("isp.tech", "Technician app", "wrench", "/tech/"),
    ),
    pages="apps.isp.urls",
    api="apps.isp.api.urls",
    initialiser="apps.isp.services.setup.isp_defaults_ensure",
    demo_seeder="apps.isp.demo.isp_demo_ensure",
    usage_counters={
        "isp.max_customers": "apps.isp.services.customers.customers_counted",
        "isp.max_devices": "apps.isp.services.monitoring.monitored_count",
    },
    party_directory="apps.isp.parties.IspCustomers",
    operations={
        # lead-to-cash (Project Management)
        "service_facts": "apps.isp.operations.service_facts",
        "services_pending": "apps.isp.operations.services_pending",
        "service_activate": "apps.isp.operations.service_activate",
        "charges_add": "apps.isp.operations.charges_add",
        "charges_of": "apps.isp.operations.charges_of",
        # the shop (E-commerce)
        "plans_on_sale": "apps.isp.operations.plans_on_sale",
        "service_order": "apps.isp.operations.service_order",
        "service_order_cancel": "apps.isp.operations.service_order_cancel",
    },
    admin_features={
        "isp.dunningstep": "isp.dunning", "isp.dunningnotice": "isp.dunning",
        **{f"isp.{model}": "isp.monitoring" for model in (
            "monitoringsettings", "monitor", "maintenancewindow", "proberound", "proberesult",
            "monitorevent", "outage", "outageevent", "outagecredit", "outageservice",
        )},
    },
    order=40,
)  # fmt: skip


class IspConfig(appconfig.CatalogAppConfig):
    name = "apps.isp"
    label = "isp"
    verbose_name = "ISP Framework"
    declaration = DECLARATION

    def ready(self):
        super().ready()
        # Imported here (models are loaded only now): dunning answers billing's balance_fell.
        from apps.isp.services import dunning  # noqa: F401
