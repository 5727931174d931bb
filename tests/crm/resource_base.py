"""Generic API resource tests (STYLE.md §11, after NetBox's utilities/testing/api.py).

A resource's test class names its path and how to make a row, the data to create one and the
data to update one; it inherits list, retrieve, create, update, delete, 401, 403 (an area the
user's roles do not open), object-level permission (owner / shared / neither), the licence
gate, cross-tenant 404s for every verb, and a constant query count of the list.

    class TestAccounts(OwnedResourceTests):
        path = "/api/v1/crm/accounts/"
        def make(self, owner, **kw): return AccountFactory(owner=owner, **kw)
        def create_data(self, people): return {"name": "Acme"}
        update_data = {"name": "Acme Ltd"}
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.crm.services import ownership
from apps.identity.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]

#: An id no row of tenant A has: rows made in tenant B get it (ids are per schema).
FOREIGN_ID = 987_654


class ResourceTests:
    """What every CRM resource answers, whatever its ownership rules."""

    path: str
    update_data: dict

    def make(self, owner: User, **fields):
        """One row owned by `owner` (ignored by unowned resources), in the current schema."""
        raise NotImplementedError

    def create_data(self, people) -> dict:
        raise NotImplementedError

    # -- helpers --------------------------------------------------------------------------

    def row(self, tenant, owner=None, **fields):
        with schema_context(tenant.schema_name):
            return self.make(owner, **fields)

    def detail(self, pk) -> str:
        return f"{self.path}{pk}/"

    @staticmethod
    def ids(response) -> set[str]:
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["data"]}

    # -- authentication, area, licence -----------------------------------------------------

    def test_anonymous_requests_are_refused_with_401(self, client_a, people):
        response = client_a.get(self.path)

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"

    def test_a_user_whose_roles_do_not_open_crm_gets_permission_denied(self, people):
        tom = people.api("tom")  # Field Tech: the technician app only

        for response in (tom.get(self.path), tom.post_json(self.path, {})):
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "PERMISSION_DENIED"

    def test_a_tenant_without_crm_gets_app_not_subscribed(self, api_b_owner):
        for response in (api_b_owner.get(self.path), api_b_owner.post_json(self.path, {})):
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"

    def test_another_tenants_ids_are_404_for_every_verb(self, api_a, people, tenant_b):
        with schema_context(tenant_b.schema_name):
            foreign = self.make(User.objects.get(username="owner"), pk=FOREIGN_ID)
        url = self.detail(FOREIGN_ID)

        answers = [
            api_a.get(url),
            api_a.patch(url, self.update_data, content_type="application/json"),
            api_a.put(url, self.update_data, content_type="application/json"),
            api_a.delete(url),
        ]

        assert [response.status_code for response in answers] == [404] * 4
        assert {response.json()["error"]["code"] for response in answers} == {"NOT_FOUND"}
        with schema_context(tenant_b.schema_name):
            assert type(foreign).objects.filter(pk=FOREIGN_ID).exists()  # untouched

    # -- query count -----------------------------------------------------------------------

    def test_the_list_costs_the_same_queries_for_2_rows_as_for_20(self, people, tenant_a):
        reader = self.reader(people)
        api = people.api(reader)
        owner = people[reader]
        for _ in range(2):
            self.row(tenant_a, owner)
        # Each count after a warm-up request, so that both see the same warm caches (making
        # rows in the tenant's schema resets the connection's schema and content-type cache).
        api.get(self.path)
        with CaptureQueriesContext(connection) as few:
            assert len(self.ids(api.get(self.path))) >= 2
        for _ in range(18):
            self.row(tenant_a, owner)
        api.get(self.path)
        with CaptureQueriesContext(connection) as many:
            assert len(self.ids(api.get(self.path))) >= 20

        assert len(many) == len(few), (
            [q["sql"][:90] for q in few.captured_queries],
            [q["sql"][:90] for q in many.captured_queries],
        )

    def reader(self, people) -> str:
        """Who lists rows in the query-count test (the path through the object permissions)."""
        return "mike"


class OwnedResourceTests(ResourceTests):
    """An owned record: its owner and those it is shared with see it; a manager sees all."""

    def test_the_owner_creates_a_record_they_then_own(self, people, tenant_a):
        mike = people.api("mike")

        response = mike.post_json(self.path, self.create_data(people))

        assert response.status_code == 201, response.content
        created = response.json()["data"]
        assert created["attributes"]["owner"] == people["mike"].pk
        assert response.json()["links"]["self"] == self.detail(created["id"])
        with schema_context(tenant_a.schema_name):
            assert AuditEntry.objects.filter(action="create", object_id=created["id"]).exists()

    def test_a_sales_rep_cannot_create_records_for_someone_else(self, people):
        data = {**self.create_data(people), "owner": people["sarah"].pk}

        response = people.api("mike").post_json(self.path, data)

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "PERMISSION_DENIED"

    def test_a_manager_creates_records_for_someone_else(self, people):
        data = {**self.create_data(people), "owner": people["mike"].pk}

        response = people.api("boss").post_json(self.path, data)

        assert response.status_code == 201, response.content
        assert response.json()["data"]["attributes"]["owner"] == people["mike"].pk

    def test_invalid_input_is_a_validation_error(self, people):
        response = people.api("mike").post_json(self.path, {"owner": "nobody"})

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"

    def test_list_shows_own_and_shared_records_to_a_rep_and_all_to_a_manager(
        self, people, tenant_a
    ):
        mine = self.row(tenant_a, people["mike"])
        shared = self.row(tenant_a, people["sarah"])
        other = self.row(tenant_a, people["sarah"])
        with schema_context(tenant_a.schema_name):
            ownership.record_share(obj=shared, user=people["mike"])

        seen_by_mike = self.ids(people.api("mike").get(self.path))
        seen_by_boss = self.ids(people.api("boss").get(self.path))

        assert {str(mine.pk), str(shared.pk)} <= seen_by_mike
        assert str(other.pk) not in seen_by_mike
        assert {str(mine.pk), str(shared.pk), str(other.pk)} <= seen_by_boss

    def test_retrieve_is_404_for_a_record_neither_owned_nor_shared(self, people, tenant_a):
        other = self.row(tenant_a, people["sarah"])

        assert people.api("mike").get(self.detail(other.pk)).status_code == 404
        assert people.api("sarah").get(self.detail(other.pk)).status_code == 200
        assert people.api("boss").get(self.detail(other.pk)).status_code == 200

    def test_the_owner_updates_their_record(self, people, tenant_a):
        mine = self.row(tenant_a, people["mike"])

        response = people.api("mike").patch(
            self.detail(mine.pk), self.update_data, content_type="application/json"
        )

        assert response.status_code == 200, response.content
        attributes = response.json()["data"]["attributes"]
        for field, value in self.update_data.items():
            assert attributes[field] == value
        with schema_context(tenant_a.schema_name):
            assert AuditEntry.objects.filter(action="update", object_id=str(mine.pk)).exists()

    def test_a_shared_user_edits_but_cannot_delete(self, people, tenant_a):
        theirs = self.row(tenant_a, people["sarah"])
        with schema_context(tenant_a.schema_name):
            ownership.record_share(obj=theirs, user=people["mike"])
        mike = people.api("mike")

        edited = mike.patch(
            self.detail(theirs.pk), self.update_data, content_type="application/json"
        )
        deleted = mike.delete(self.detail(theirs.pk))

        assert edited.status_code == 200, edited.content
        assert deleted.status_code == 403
        assert deleted.json()["error"]["code"] == "PERMISSION_DENIED"

    def test_the_owner_deletes_their_record(self, people, tenant_a):
        mine = self.row(tenant_a, people["mike"])

        response = people.api("mike").delete(self.detail(mine.pk))

        assert response.status_code == 204
        with schema_context(tenant_a.schema_name):
            assert not type(mine).objects.filter(pk=mine.pk).exists()
            assert AuditEntry.objects.filter(action="delete", object_id=str(mine.pk)).exists()

    def test_reassigning_transfers_the_record_and_is_audited(self, people, tenant_a):
        mine = self.row(tenant_a, people["mike"])

        response = people.api("mike").post_json(
            self.detail(mine.pk) + "reassign/", {"owner": people["sarah"].pk}
        )

        assert response.status_code == 200, response.content
        assert response.json()["data"]["attributes"]["owner"] == people["sarah"].pk
        assert people.api("mike").get(self.detail(mine.pk)).status_code == 404
        assert people.api("sarah").get(self.detail(mine.pk)).status_code == 200
        with schema_context(tenant_a.schema_name):
            entry = AuditEntry.objects.get(action="reassign", object_id=str(mine.pk))
        assert entry.actor == "mike"
        assert entry.changes["owner"] == [people["mike"].pk, people["sarah"].pk]

    def test_only_the_owner_or_a_manager_reassigns(self, people, tenant_a):
        theirs = self.row(tenant_a, people["sarah"])
        with schema_context(tenant_a.schema_name):
            ownership.record_share(obj=theirs, user=people["mike"])

        by_shared = people.api("mike").post_json(
            self.detail(theirs.pk) + "reassign/", {"owner": people["mike"].pk}
        )
        by_manager = people.api("boss").post_json(
            self.detail(theirs.pk) + "reassign/", {"owner": people["mike"].pk}
        )

        assert by_shared.status_code == 403
        assert by_manager.status_code == 200

    def test_records_cannot_be_given_to_someone_crm_is_closed_to(self, people, tenant_a):
        mine = self.row(tenant_a, people["mike"])

        response = people.api("mike").post_json(
            self.detail(mine.pk) + "reassign/", {"owner": people["tom"].pk}
        )

        assert response.status_code == 400
        assert response.json()["error"]["details"][0]["field"] == "owner"
