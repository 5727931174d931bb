"""The tenant admin's CRM pages, the cost of the CRM's list pages, and small page rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.crm.models import Account
from tests.conftest import HostClient
from tests.crm.conftest import PASSWORD
from tests.crm.factories import (
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]

ADMIN_PAGES = [
    "/admin/crm/",
    "/admin/crm/account/",
    "/admin/crm/contact/",
    "/admin/crm/lead/",
    "/admin/crm/opportunity/",
    "/admin/crm/activity/",
    "/admin/crm/stage/",
    "/admin/core/organisationsettings/",  # the currency of the CRM's amounts (every app's)
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_the_tenant_super_admin_manages_the_crm_in_the_admin(client_a, people, path):
    client_a.sign_in()

    assert client_a.get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES[:3])
def test_the_crm_admin_pages_are_closed_to_a_tenant_without_crm(client_b, path):
    client_b.sign_in()

    assert client_b.get(path).status_code == 403


def test_a_sales_rep_has_no_tenant_admin(people):
    client = HostClient(people.host)
    response = client.post("/admin/login/", {"username": "mike", "password": PASSWORD})

    assert response.status_code == 200  # the form again: mike is not staff
    assert client.get("/admin/crm/account/").status_code == 302  # to the admin sign-in


def test_another_tenants_ids_are_404_in_the_admin(client_a, tenant_b):
    from apps.identity.models import User

    with schema_context(tenant_b.schema_name):
        AccountFactory(owner=User.objects.get(username="owner"), pk=765_432)
    client_a.sign_in()

    response = client_a.get("/admin/crm/account/765432/change/")

    assert response.status_code == 302  # Django admin: "does not exist", back to the list
    assert response["Location"] == "/admin/"


def test_an_admin_edit_is_audited(client_a, people, tenant_a):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"], name="Before")
    client_a.sign_in()
    form = {
        "name": "After",
        "owner": people["mike"].pk,
        "tags": "",
        "domain": account.domain,
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }

    response = client_a.post(f"/admin/crm/account/{account.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(tenant_a.schema_name):
        assert Account.objects.get(pk=account.pk).name == "After"
        entry = AuditEntry.objects.get(action="update", object_id=str(account.pk))
        assert entry.changes["name"] == ["Before", "After"]


MAKERS = {
    "accounts": lambda owner: AccountFactory(owner=owner),
    "contacts": lambda owner: ContactFactory(owner=owner),
    "leads": lambda owner: LeadFactory(owner=owner),
    "opportunities": lambda owner: OpportunityFactory(owner=owner),
}


@pytest.mark.parametrize(
    "path",
    [
        "/crm/accounts/",
        "/crm/contacts/",
        "/crm/leads/",
        "/crm/opportunities/",
        "/crm/pipeline/",
        "/crm/tasks/",
    ],
)
def test_list_pages_cost_the_same_queries_for_2_rows_as_for_20(people, tenant_a, path):
    page = people.browser_client("mike")
    mike = people["mike"]

    def add(n):
        with schema_context(tenant_a.schema_name):
            for _ in range(n):
                for make in MAKERS.values():
                    make(mike)
                ActivityFactory(owner=mike)

    add(2)
    page.get(path)
    with CaptureQueriesContext(connection) as few:
        assert page.get(path).status_code == 200
    add(18)
    page.get(path)
    with CaptureQueriesContext(connection) as many:
        assert page.get(path).status_code == 200

    assert len(many) == len(few)


def test_marking_a_task_done_never_redirects_off_site(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        task = ActivityFactory(owner=people["mike"])
    page = people.browser_client("mike")

    response = page.post(f"/crm/activities/{task.pk}/done/", {"next": "https://evil.example/"})

    assert response["Location"] == "/crm/tasks/"
