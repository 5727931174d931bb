"""Catalog app "CRM": accounts, contacts, leads, the pipeline, activities and reports. Its
declaration is what the platform knows of it."""

from apps.core.kit import appconfig
from apps.core.kit.declaration import AppDeclaration, Area, LauncherEntry, Tab

DECLARATION = AppDeclaration(
    key="crm",
    name="CRM",
    areas=(
        Area(
            "crm", "CRM", pages="crm", api="crm",
            tabs=(
                Tab("Overview", "crm:home", "home"),
                Tab("Pipeline", "crm:pipeline", "pipeline"),
                Tab("Leads", "crm:list", "leads", ("leads",)),
                Tab("Accounts", "crm:list", "accounts", ("accounts",)),
                Tab("Contacts", "crm:list", "contacts", ("contacts",)),
                Tab("Opportunities", "crm:list", "opportunities", ("opportunities",)),
                Tab("My tasks", "crm:tasks", "tasks"),
                Tab("Reports", "crm:reports", "reports"),
                Tab("Import", "crm:import", "import"),
            ),
        ),
    ),
    launcher=(LauncherEntry("crm", "CRM", "briefcase", "/crm/"),),
    pages="apps.crm.urls",
    api="apps.crm.api.urls",
    initialiser="apps.crm.services.setup.crm_defaults_ensure",
    demo_seeder="apps.crm.demo.crm_demo_ensure",
    usage_counters={"crm.max_users": "apps.crm.usage.crm_users_count"},
    party_directory="apps.crm.parties.CrmAccounts",
    operations={"opportunity_facts": "apps.crm.operations.opportunity_facts"},
    admin_features={},
    order=50,
)  # fmt: skip


class CrmConfig(appconfig.CatalogAppConfig):
    name = "apps.crm"
    label = "crm"
    verbose_name = "CRM"
    declaration = DECLARATION
