"""What every tenant's CRM starts with (the tenant initialiser registered by the CRM app)."""

import pytest
from django_tenants.utils import schema_context

from apps.core.kit import organisation
from apps.core.models import OrganisationSettings
from apps.crm.models import Stage
from apps.crm.services import setup
from apps.identity.models import Role

pytestmark = pytest.mark.django_db


def test_every_tenant_starts_with_the_default_pipeline(tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            stages = list(Stage.objects.values_list("name", "probability", "kind"))
            assert stages == [
                ("Prospecting", 10, "open"),
                ("Qualification", 25, "open"),
                ("Proposal", 50, "open"),
                ("Negotiation", 75, "open"),
                ("Won", 100, "won"),
                ("Lost", 0, "lost"),
            ]
            assert organisation.currency() == "USD"
            assert OrganisationSettings.objects.filter(pk=1).exists()


def test_the_crm_admin_role_carries_the_crm_manager_permissions(tenant_a):
    with schema_context(tenant_a.schema_name):
        codenames = set(
            Role.objects.get(name="CRM Admin").permissions.values_list("codename", flat=True)
        )
        sales_rep = Role.objects.get(name="Sales Rep").permissions.count()

    assert {"view_account", "change_opportunity", "delete_lead", "add_stage"} <= codenames
    assert sales_rep == 0


def test_running_the_initialiser_again_keeps_the_tenants_edits(tenant_a):
    with schema_context(tenant_a.schema_name):
        Stage.objects.filter(name="Proposal").update(probability=40)
        Stage.objects.create(name="Pilot", position=9, probability=60)

        setup.crm_defaults_ensure()

        assert Stage.objects.get(name="Proposal").probability == 40
        assert Stage.objects.count() == 7
