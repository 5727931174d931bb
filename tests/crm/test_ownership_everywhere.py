"""The CRM's ownership rules hold whatever door a write comes through (they live once, in the
CRM services): the API, the pages, the tenant admin and the CSV import refuse alike."""

import pytest
from django_tenants.utils import schema_context
from guardian.models import UserObjectPermission

from apps.core.models import AuditEntry
from apps.crm.models import Account, Activity, Lead, Stage
from apps.crm.services import ownership
from tests.conftest import HostClient
from tests.crm.factories import AccountFactory, LeadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


@pytest.fixture
def account(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        return AccountFactory(owner=people["mike"], name="Mike's Account")


def activities_of(tenant, user) -> int:
    with schema_context(tenant.schema_name):
        return Activity.objects.filter(owner=user).count()


def test_a_sales_rep_cannot_give_an_activity_to_someone_else_on_the_page(people, tenant_a, account):
    """The page used to create it (the API refused): the activity form's owner was taken as
    given. Now the same service refuses both."""
    page = people.browser_client("mike")

    response = page.post(
        f"/crm/accounts/{account.pk}/activities/",
        {"kind": "call", "subject": "Call for Sarah", "owner": people["sarah"].pk},
        follow=True,
    )
    api = people.api("mike").post_json(
        "/api/v1/crm/activities/",
        {"kind": "call", "subject": "Call for Sarah", "account": account.pk,
         "owner": people["sarah"].pk},
    )  # fmt: skip

    assert "Only a CRM manager can give records to someone else." in response.content.decode()
    assert (api.status_code, api.json()["error"]["code"]) == (403, "PERMISSION_DENIED")
    assert activities_of(tenant_a, people["sarah"]) == 0
    own = page.post(f"/crm/accounts/{account.pk}/activities/", {"kind": "call", "subject": "Mine"})
    assert own.status_code == 302
    assert activities_of(tenant_a, people["mike"]) == 1


def test_a_manager_gives_an_activity_to_a_rep_on_the_page(people, tenant_a, account):
    page = people.browser_client("boss")

    page.post(
        f"/crm/accounts/{account.pk}/activities/",
        {"kind": "task", "subject": "For Mike", "owner": people["mike"].pk},
    )

    assert activities_of(tenant_a, people["mike"]) == 1


def test_a_sales_rep_cannot_give_a_new_record_away_on_its_form(people, tenant_a):
    response = people.browser_client("mike").post(
        "/crm/accounts/new/", {"name": "Given away", "owner": people["sarah"].pk}
    )

    assert response.status_code == 400
    assert "Only a CRM manager can give records to someone else." in response.content.decode()
    with schema_context(tenant_a.schema_name):
        assert not Account.objects.filter(name="Given away").exists()


# --- The tenant admin writes through the services ---------------------------------------------


@pytest.fixture
def console(client_a, people) -> HostClient:
    return client_a.sign_in()


def admin_form(obj, **changes) -> dict:
    """The change form's fields as the admin shows them, with `changes`."""
    fields = {field.name: getattr(obj, field.attname) for field in obj._meta.concrete_fields
              if field.editable and field.name != "id"}  # fmt: skip
    fields["tags"] = ",".join(obj.tags) if hasattr(obj, "tags") else ""
    return {key: "" if value is None else value for key, value in {**fields, **changes}.items()}


def test_the_admin_cannot_set_a_lead_to_converted_by_hand(console, people, tenant_a):
    with schema_context(tenant_a.schema_name):
        lead = LeadFactory(owner=people["mike"], status="qualified")

    response = console.post(
        f"/admin/crm/lead/{lead.pk}/change/", admin_form(lead, status="converted"), follow=True
    )

    assert "A lead is converted through its conversion, not by setting it." in (
        response.content.decode()
    )
    with schema_context(tenant_a.schema_name):
        assert Lead.objects.get(pk=lead.pk).status == "qualified"


def test_the_admin_cannot_make_someone_crm_is_closed_to_an_owner(console, people, tenant_a):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"], name="Keep me")

    response = console.post(
        f"/admin/crm/account/{account.pk}/change/",
        {**admin_form(account, owner=people["tom"].pk), "contacts-TOTAL_FORMS": "0",
         "contacts-INITIAL_FORMS": "0"},
        follow=True,
    )  # fmt: skip

    assert "tom cannot own CRM records" in response.content.decode()
    with schema_context(tenant_a.schema_name):
        assert Account.objects.get(pk=account.pk).owner == people["mike"]


def test_an_admin_reassignment_is_recorded_as_one(console, people, tenant_a):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"], name="Hand over")

    console.post(
        f"/admin/crm/account/{account.pk}/change/",
        {**admin_form(account, owner=people["sarah"].pk), "contacts-TOTAL_FORMS": "0",
         "contacts-INITIAL_FORMS": "0"},
    )  # fmt: skip

    with schema_context(tenant_a.schema_name):
        assert Account.objects.get(pk=account.pk).owner == people["sarah"]
        assert AuditEntry.objects.filter(action="reassign", object_id=str(account.pk)).exists()


def test_an_admin_delete_takes_the_records_shares_with_it(console, people, tenant_a):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"], name="Shared then gone")
        ownership.record_share(obj=account, user=people["sarah"])
        assert UserObjectPermission.objects.filter(object_pk=str(account.pk)).exists()

    console.post(f"/admin/crm/account/{account.pk}/delete/", {"post": "yes"})

    with schema_context(tenant_a.schema_name):
        assert not Account.objects.filter(pk=account.pk).exists()
        assert not UserObjectPermission.objects.filter(
            object_pk=str(account.pk), content_type__model="account"
        ).exists()


# --- The pipeline's stages --------------------------------------------------------------------


def test_a_stage_created_by_its_name_alone_goes_after_the_last(people, tenant_a):
    """`POST /api/v1/crm/stages/ {"name": ...}` answered 500 (the service wanted every field)."""
    response = people.api("boss").post_json("/api/v1/crm/stages/", {"name": "Pilot"})

    assert response.status_code == 201, response.content
    attributes = response.json()["data"]["attributes"]
    with schema_context(tenant_a.schema_name):
        last = Stage.objects.exclude(name="Pilot").order_by("-position").first()
    assert (attributes["kind"], attributes["probability"]) == ("open", 0)
    assert attributes["position"] == last.position + 1
