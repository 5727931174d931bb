"""The demo's living pipeline (DESIGN.md §10): abc-corp gets accounts, contacts, leads,
opportunities across stages owned by mike and others, and activities; twice is once."""

import pytest
from django.core.management import call_command
from django.db.models import Count
from django_tenants.utils import schema_context

from apps.crm.models import Account, Activity, Contact, Lead, Opportunity
from apps.crm.selectors import open_tasks_of
from apps.identity.models import User
from tests.conftest import HostClient, obtain_tokens

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]

MODELS = (Account, Contact, Lead, Opportunity, Activity)


def crm_counts(schema: str) -> dict[str, int]:
    with schema_context(schema):
        return {model.__name__: model.objects.count() for model in MODELS}


def test_abc_corp_gets_a_living_pipeline_and_seeding_twice_adds_nothing(settings):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = crm_counts("abc_corp")
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert crm_counts("abc_corp") == first
    assert all(count > 0 for count in first.values()), first
    with schema_context("abc_corp"):
        by_owner = dict(Opportunity.objects.values_list("owner__username").annotate(n=Count("id")))
        mike = User.objects.get(username="mike")
        mikes_stages = set(
            Opportunity.objects.filter(owner=mike).values_list("stage__name", flat=True)
        )
        assert {"mike", "sarah", "john"} <= set(by_owner)
        assert len(mikes_stages) >= 4
        assert open_tasks_of(mike).count() >= 3
        assert Lead.objects.filter(status="converted").exists()
    assert crm_counts("xyz_isp") == dict.fromkeys(first, 0)  # no CRM there

    client = HostClient("abc-corp.localhost")
    token = obtain_tokens(client, "mike", settings.DEMO_PASSWORD)["access"]
    listed = client.authenticate(token).get("/api/v1/crm/opportunities/?page_size=100")
    assert {row["attributes"]["owner_name"] for row in listed.json()["data"]} == {"Mike Ross"}
