"""The CRM's ownership rules over the generic resource tests (tests/resource_base.py).

An owned record is seen and changed by its owner and those it is shared with; a CRM manager
sees and changes all; only a manager gives records to someone else. An owned resource's test
declares what any resource declares, and inherits the generic checks (run as a Sales Rep,
mike, on his own records) and these:

    class TestAccounts(OwnedResourceTests):
        path = "/api/v1/crm/accounts/"
        resource_type = "account"
        factory = AccountFactory            # called with owner=...
        create_data = {"name": "Acme"}
        update_data = {"name": "Acme Ltd"}

`create_data` as a method may use `self.people` (tenant A's mike, sarah, boss, tom; see
tests/crm/conftest.py).
"""

import pytest
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.crm.services import ownership
from apps.identity.models import User
from tests.resource_base import ResourceTests

REP = "mike"


class OwnedResourceTests(ResourceTests):
    invalid_data = {"owner": "nobody"}

    @pytest.fixture(autouse=True)
    def _people(self, people):
        self.people = people

    @pytest.fixture
    def api(self, people):
        return people.api(REP)

    def make(self, owner=None, **fields):
        """A record owned by `owner`: by default the rep (on tenant A) or, on another tenant
        (the cross-tenant checks), where he has no user, that tenant's super admin."""
        if owner is None:
            owner = User.objects.filter(username=REP).first() or User.objects.get(username="owner")
        return self.factory(owner=owner, **fields)

    def test_the_owner_creates_a_record_they_then_own(self, api):
        response = api.post_json(self.path, self.payload(self.create_data))

        assert response.status_code == 201, response.content
        assert response.json()["data"]["attributes"]["owner"] == self.people[REP].pk

    def test_a_sales_rep_cannot_create_records_for_someone_else(self, api):
        data = {**self.payload(self.create_data), "owner": self.people["sarah"].pk}
        before = self.count()

        response = api.post_json(self.path, data)

        self.error(response, 403, "PERMISSION_DENIED")
        assert self.count() == before

    def test_a_manager_creates_records_for_someone_else(self, people):
        data = {**self.payload(self.create_data), "owner": people[REP].pk}

        response = people.api("boss").post_json(self.path, data)

        assert response.status_code == 201, response.content
        assert response.json()["data"]["attributes"]["owner"] == people[REP].pk

    def test_list_shows_own_and_shared_records_to_a_rep_and_all_to_a_manager(self, people):
        mine = self.row(owner=people[REP])
        shared = self.row(owner=people["sarah"])
        other = self.row(owner=people["sarah"])
        with self.in_a():
            ownership.record_share(obj=shared, user=people[REP])

        seen_by_mike = self.ids(people.api(REP).get(self.path))
        seen_by_boss = self.ids(people.api("boss").get(self.path))

        assert {str(mine.pk), str(shared.pk)} <= seen_by_mike
        assert str(other.pk) not in seen_by_mike
        assert {str(mine.pk), str(shared.pk), str(other.pk)} <= seen_by_boss

    def test_retrieve_is_404_for_a_record_neither_owned_nor_shared(self, people):
        other = self.row(owner=people["sarah"])

        assert people.api(REP).get(self.detail(other.pk)).status_code == 404
        assert people.api("sarah").get(self.detail(other.pk)).status_code == 200
        assert people.api("boss").get(self.detail(other.pk)).status_code == 200

    def test_a_shared_user_edits_but_cannot_delete(self, people):
        theirs = self.row(owner=people["sarah"])
        with self.in_a():
            ownership.record_share(obj=theirs, user=people[REP])
        mike = people.api(REP)

        edited = mike.patch(
            self.detail(theirs.pk), self.payload(self.update_data), content_type="application/json"
        )
        deleted = mike.delete(self.detail(theirs.pk))

        assert edited.status_code == 200, edited.content
        self.error(deleted, 403, "PERMISSION_DENIED")
        assert self.state(theirs.pk) is not None

    def test_reassigning_transfers_the_record_and_is_audited(self, people, tenant_a):
        mine = self.row(owner=people[REP])

        response = people.api(REP).post_json(
            self.detail(mine.pk) + "reassign/", {"owner": people["sarah"].pk}
        )

        assert response.status_code == 200, response.content
        assert response.json()["data"]["attributes"]["owner"] == people["sarah"].pk
        assert people.api(REP).get(self.detail(mine.pk)).status_code == 404
        assert people.api("sarah").get(self.detail(mine.pk)).status_code == 200
        with schema_context(tenant_a.schema_name):
            entry = AuditEntry.objects.get(action="reassign", object_id=str(mine.pk))
        assert entry.actor == REP
        assert entry.changes["owner"] == [people[REP].pk, people["sarah"].pk]

    def test_only_the_owner_or_a_manager_reassigns(self, people):
        theirs = self.row(owner=people["sarah"])
        with self.in_a():
            ownership.record_share(obj=theirs, user=people[REP])

        by_shared = people.api(REP).post_json(
            self.detail(theirs.pk) + "reassign/", {"owner": people[REP].pk}
        )
        by_manager = people.api("boss").post_json(
            self.detail(theirs.pk) + "reassign/", {"owner": people[REP].pk}
        )

        assert by_shared.status_code == 403
        assert by_manager.status_code == 200

    def test_records_cannot_be_given_to_someone_crm_is_closed_to(self, people):
        mine = self.row(owner=people[REP])

        response = people.api(REP).post_json(
            self.detail(mine.pk) + "reassign/", {"owner": people["tom"].pk}
        )

        assert response.status_code == 400
        assert response.json()["error"]["details"][0]["field"] == "owner"

    @staticmethod
    def ids(response) -> set[str]:
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["data"]}
