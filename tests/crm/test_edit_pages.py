"""Editing a record on its page (the page kit's FormPage): the change is written and audited.

A model form sets what was posted on the instance it is given; the kit hands it a copy, so the
update service still sees the row as stored and writes what changed (it once saw no change,
said "Saved." and wrote nothing)."""

import pytest
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from tests.crm.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


def test_an_account_edited_on_its_page_is_saved_and_audited(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"], name="Old Name", city="Lisbon")
    page = people.browser_client("mike")

    response = page.post(
        f"/crm/accounts/{account.pk}/edit/",
        {"name": "New Name", "city": "Porto", "owner": people["mike"].pk},
    )

    assert response.status_code == 302
    with schema_context(tenant_a.schema_name):
        account.refresh_from_db()
        assert (account.name, account.city) == ("New Name", "Porto")
        entry = AuditEntry.objects.get(
            action="update", object_type="crm.account", object_id=str(account.pk)
        )
        assert set(entry.changes) >= {"name", "city"}
