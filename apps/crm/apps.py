"""Catalog app "CRM": accounts, contacts, leads, the pipeline, activities and reports."""

from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "apps.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self):
        from apps.core.registry import registry
        from apps.crm import demo, parties, services, usage
        from apps.crm.constants import APP_KEY, MAX_USERS

        registry.register_tenant_initialiser("crm.defaults", services.crm_defaults_ensure, order=50)
        registry.register_demo_seeder("crm.demo", demo.crm_demo_ensure, order=50)
        registry.register_usage_counter(MAX_USERS, usage.crm_users_count)
        registry.party_directories[APP_KEY] = parties.CrmAccounts()
