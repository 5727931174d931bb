"""Who opens the CRM, who sees which records on the pages, and isolation between tenants —
over HTTP on the pages (the API's equivalents are in test_api_resources.py)."""

import pytest
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.crm.models import Account, Activity, Lead
from apps.crm.services import ownership, pipeline
from apps.identity.models import User
from tests.conftest import HostClient
from tests.crm.factories import (
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]

LIST_PAGES = [
    "/crm/",
    "/crm/pipeline/",
    "/crm/accounts/",
    "/crm/contacts/",
    "/crm/leads/",
    "/crm/opportunities/",
    "/crm/tasks/",
    "/crm/reports/",
    "/crm/import/",
    "/crm/accounts/new/",
    "/crm/leads/export.csv",
]


@pytest.fixture
def records(people, tenant_a):
    """One record of each kind owned by mike, one by sarah (not shared)."""
    made = {}
    with schema_context(tenant_a.schema_name):
        for who in ("mike", "sarah"):
            owner = people[who]
            account = AccountFactory(owner=owner, name=f"{who.title()} Account")
            made[who] = {
                "accounts": account,
                "contacts": ContactFactory(owner=owner, account=account, last_name=f"{who}son"),
                "leads": LeadFactory(owner=owner, last_name=f"{who.title()}lead"),
                "opportunities": OpportunityFactory(
                    owner=owner, account=account, name=f"{who.title()} Deal"
                ),
            }
    return made


# --- Opening the app ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", LIST_PAGES)
def test_an_it_manager_opens_every_crm_page(people, path):
    response = people.browser_client("sarah").get(path)

    assert response.status_code == 200, path


def test_an_it_manager_uses_the_api(people):
    response = people.api("sarah").get("/api/v1/crm/leads/")

    assert response.status_code == 200


@pytest.mark.parametrize("path", LIST_PAGES)
def test_a_field_tech_gets_the_no_access_page(people, path):
    response = people.browser_client("tom").get(path)

    assert response.status_code == 403
    assert "have access to CRM" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/crm/leads/",
        "/api/v1/crm/reports/pipeline/",
        "/api/v1/crm/activities/my-open-tasks/",
    ],
)
def test_a_field_tech_is_refused_with_permission_denied_on_the_api(people, path):
    response = people.api("tom").get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_signed_out_visitors_are_sent_to_sign_in(client_a):
    response = client_a.get("/crm/pipeline/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", [*LIST_PAGES, "/crm/accounts/1/", "/crm/leads/1/convert/"])
def test_a_tenant_without_crm_gets_the_upgrade_page(client_b, path):
    client_b.sign_in()  # the tenant's super admin: every role, but no CRM subscription

    response = client_b.get(path)

    assert response.status_code == 403
    assert "Upgrade to access CRM" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/api/v1/crm/leads/", "/api/v1/crm/reports/forecast/", "/api/v1/crm/opportunities/1/move/"],
)
def test_a_tenant_without_crm_gets_app_not_subscribed_on_the_api(api_b_owner, path):
    response = api_b_owner.get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"


# --- Visibility on the pages -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["accounts", "contacts", "leads", "opportunities"])
def test_a_sales_rep_lists_only_own_and_shared_records(people, tenant_a, records, kind):
    shared = records["sarah"][kind]
    with schema_context(tenant_a.schema_name):
        ownership.record_share(obj=shared, user=people["mike"])
        hidden = type(shared).objects.create(**{**_copy_fields(shared), "owner": people["sarah"]})
    page = people.browser_client("mike").get(f"/crm/{kind}/").content.decode()

    assert f"/crm/{kind}/{records['mike'][kind].pk}/" in page
    assert f"/crm/{kind}/{shared.pk}/" in page
    assert f"/crm/{kind}/{hidden.pk}/" not in page


def _copy_fields(obj) -> dict:
    """A sibling row of obj (same related records, new unique values)."""
    fields = {
        f.name: getattr(obj, f.name)
        for f in obj._meta.concrete_fields
        if not f.primary_key and f.name not in ("created_at", "updated_at")
    }
    if "domain" in fields:
        fields["domain"] = "hidden-" + fields["domain"]
    if "email" in fields:
        fields["email"] = "hidden-" + fields["email"]
    return fields


@pytest.mark.parametrize("kind", ["accounts", "contacts", "leads", "opportunities"])
def test_a_crm_manager_sees_every_record_on_the_pages(people, records, kind):
    page = people.browser_client("boss").get(f"/crm/{kind}/").content.decode()

    for who in ("mike", "sarah"):
        assert f"/crm/{kind}/{records[who][kind].pk}/" in page


@pytest.mark.parametrize("kind", ["accounts", "contacts", "leads", "opportunities"])
def test_someone_elses_record_is_a_404_page_until_shared(people, tenant_a, records, kind):
    theirs = records["sarah"][kind]
    mike = people.browser_client("mike")

    before = mike.get(f"/crm/{kind}/{theirs.pk}/")
    edit_before = mike.get(f"/crm/{kind}/{theirs.pk}/edit/")
    with schema_context(tenant_a.schema_name):
        ownership.record_share(obj=theirs, user=people["mike"])
    after = mike.get(f"/crm/{kind}/{theirs.pk}/")
    delete = mike.post(f"/crm/{kind}/{theirs.pk}/delete/")

    assert (before.status_code, edit_before.status_code) == (404, 404)
    assert after.status_code == 200
    assert delete.status_code == 403  # shared to view and edit, not to delete


@pytest.mark.parametrize("kind", ["accounts", "contacts", "leads", "opportunities"])
def test_the_tenant_super_admin_sees_every_detail_page(people, records, kind):
    owner = HostClient(people.host).sign_in()

    assert owner.get(f"/crm/{kind}/{records['mike'][kind].pk}/").status_code == 200


# --- Another tenant's ids ----------------------------------------------------------------------


FOREIGN = 876_543


@pytest.fixture
def foreign_records(tenant_b):
    """Rows in tenant B's schema with ids tenant A does not have."""
    with schema_context(tenant_b.schema_name):
        owner = User.objects.get(username="owner")
        account = AccountFactory(owner=owner, pk=FOREIGN)
        ContactFactory(owner=owner, account=account, pk=FOREIGN)
        LeadFactory(owner=owner, pk=FOREIGN, status="qualified")
        OpportunityFactory(owner=owner, account=account, pk=FOREIGN)
        ActivityFactory(owner=owner, account=account, pk=FOREIGN)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/crm/{kind}/{FOREIGN}/")
        for kind in ("accounts", "contacts", "leads", "opportunities")
    ]
    + [("get", f"/crm/{kind}/{FOREIGN}/edit/") for kind in ("accounts", "leads")]
    + [("post", f"/crm/{kind}/{FOREIGN}/delete/") for kind in ("contacts", "opportunities")]
    + [
        ("post", f"/crm/accounts/{FOREIGN}/ownership/"),
        ("post", f"/crm/leads/{FOREIGN}/activities/"),
        ("get", f"/crm/leads/{FOREIGN}/convert/"),
        ("post", f"/crm/opportunities/{FOREIGN}/move/"),
        ("post", f"/crm/activities/{FOREIGN}/done/"),
        ("post", f"/crm/accounts/{FOREIGN}/party-link/"),
    ],
)
def test_another_tenants_ids_are_404_on_every_page(client_a, foreign_records, method, path):
    client_a.sign_in()  # tenant A's super admin sees all of A, and nothing of B

    response = getattr(client_a, method)(path)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/crm/leads/{FOREIGN}/convert/",
        f"/api/v1/crm/opportunities/{FOREIGN}/move/",
        f"/api/v1/crm/accounts/{FOREIGN}/reassign/",
        f"/api/v1/crm/contacts/{FOREIGN}/share/",
        f"/api/v1/crm/activities/{FOREIGN}/complete/",
        f"/api/v1/crm/accounts/{FOREIGN}/link-party/",
    ],
)
def test_another_tenants_ids_are_404_for_every_named_action(api_a, foreign_records, path):
    response = api_a.post_json(path, {})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_another_tenants_ids_are_404_for_histories_and_duplicates(api_a, foreign_records):
    for path in (
        f"/api/v1/crm/opportunities/{FOREIGN}/history/",
        f"/api/v1/crm/leads/{FOREIGN}/duplicates/",
    ):
        assert api_a.get(path).status_code == 404


# --- Writing through the pages -----------------------------------------------------------------


def test_creating_an_account_on_its_page_validates_email_and_phone(people, tenant_a):
    page = people.browser_client("mike")

    refused = page.post(
        "/crm/accounts/new/", {"name": "Bad", "email": "not-an-email", "phone": "call me"}
    )
    created = page.post(
        "/crm/accounts/new/",
        {"name": "Good", "email": "hi@good.example", "phone": "+351 21 000 0000", "tags": "a, B"},
    )

    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Enter a valid email address." in body
    assert "Enter a valid phone number" in body
    assert created.status_code == 302
    with schema_context(tenant_a.schema_name):
        account = Account.objects.get(name="Good")
        assert (account.owner, account.tags) == (people["mike"], ["a", "b"])
        assert AuditEntry.objects.filter(
            action="create", object_type="crm.account", object_id=str(account.pk)
        ).exists()


def test_list_search_and_filters_narrow_the_rows(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        LeadFactory(owner=people["mike"], last_name="Findme", status="contacted", source="event")
        LeadFactory(owner=people["mike"], last_name="Other", status="new", source="event")
    page = people.browser_client("mike")

    searched = page.get("/crm/leads/", {"q": "findme"}).content.decode()
    filtered = page.get("/crm/leads/", {"status": "new", "source": "event"}).content.decode()

    assert "Findme" in searched
    assert "Other" not in searched
    assert "Other" in filtered
    assert "Findme" not in filtered


def test_reassigning_on_the_page_hands_the_record_over(people, tenant_a, records):
    mine = records["mike"]["leads"]
    page = people.browser_client("mike")

    response = page.post(
        f"/crm/leads/{mine.pk}/ownership/", {"op": "reassign", "user": people["sarah"].pk}
    )

    assert response.status_code == 302
    with schema_context(tenant_a.schema_name):
        assert Lead.objects.get(pk=mine.pk).owner == people["sarah"]
        assert AuditEntry.objects.filter(action="reassign", object_id=str(mine.pk)).exists()
    assert page.get(f"/crm/leads/{mine.pk}/").status_code == 404


def test_reassigning_an_account_can_take_its_contacts_and_deals_along(people, tenant_a, records):
    account = records["mike"]["accounts"]

    response = people.api("mike").post_json(
        f"/api/v1/crm/accounts/{account.pk}/reassign/",
        {"owner": people["sarah"].pk, "cascade": True},
    )

    assert response.status_code == 200
    with schema_context(tenant_a.schema_name):
        assert set(account.contacts.values_list("owner__username", flat=True)) == {"sarah"}
        assert set(account.opportunities.values_list("owner__username", flat=True)) == {"sarah"}


def test_sharing_on_the_page_lets_a_colleague_see_the_record(people, tenant_a, records):
    mine = records["mike"]["opportunities"]

    shared = people.browser_client("mike").post(
        f"/crm/opportunities/{mine.pk}/ownership/", {"op": "share", "user": people["sarah"].pk}
    )

    assert shared.status_code == 302
    assert people.browser_client("sarah").get(f"/crm/opportunities/{mine.pk}/").status_code == 200
    assert people.api("sarah").get(f"/api/v1/crm/opportunities/{mine.pk}/").status_code == 200


def test_activities_logged_on_a_record_show_on_its_timeline(people, tenant_a, records):
    account = records["mike"]["accounts"]
    page = people.browser_client("mike")

    page.post(
        f"/crm/accounts/{account.pk}/activities/",
        {"kind": "call", "subject": "Discussed renewal", "body": "Wants 3 years"},
    )
    detail = page.get(f"/crm/accounts/{account.pk}/").content.decode()

    assert "Discussed renewal" in detail
    assert "Wants 3 years" in detail
    with schema_context(tenant_a.schema_name):
        assert Activity.objects.get(subject="Discussed renewal").account == account


def test_a_colleague_sees_activities_logged_on_a_record_they_can_see(people, tenant_a, records):
    """The timeline's activities follow the record: sarah's note on mike's account shows in
    mike's activity list, though sarah owns it."""
    account = records["mike"]["accounts"]
    with schema_context(tenant_a.schema_name):
        ownership.record_share(obj=account, user=people["sarah"])
        note = ActivityFactory(
            owner=people["sarah"], kind="note", account=account, subject="Met their CTO"
        )

    listed = people.api("mike").get("/api/v1/crm/activities/").json()["data"]

    assert str(note.pk) in {row["id"] for row in listed}


def test_my_tasks_lists_my_open_tasks_and_marks_them_done(people, tenant_a, records):
    with schema_context(tenant_a.schema_name):
        mine = ActivityFactory(
            owner=people["mike"],
            kind="task",
            subject="Send the proposal",
            account=records["mike"]["accounts"],
        )
        ActivityFactory(owner=people["sarah"], kind="task", subject="Not mikes task")
    page = people.browser_client("mike")

    tasks = page.get("/crm/tasks/").content.decode()
    api_tasks = people.api("mike").get("/api/v1/crm/activities/my-open-tasks/").json()["data"]
    done = page.post(f"/crm/activities/{mine.pk}/done/", {"done": "1"})

    assert "Send the proposal" in tasks
    assert "Not mikes task" not in tasks
    assert [row["attributes"]["subject"] for row in api_tasks] == ["Send the proposal"]
    assert done.status_code == 302
    with schema_context(tenant_a.schema_name):
        mine.refresh_from_db()
        assert mine.done
        assert mine.done_at is not None
    assert people.api("mike").get("/api/v1/crm/activities/my-open-tasks/").json()["data"] == []


def test_an_opportunity_page_shows_its_stage_history(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"])
        opportunity = pipeline.opportunity_create(
            owner=people["mike"], account=account, name="History deal"
        )
        from apps.crm.models import Stage

        pipeline.opportunity_move(opportunity=opportunity, stage=Stage.objects.get(name="Proposal"))

    page = people.browser_client("mike").get(f"/crm/opportunities/{opportunity.pk}/")

    assert "Prospecting → <strong>Proposal</strong>" in page.content.decode()


def test_an_accounts_timeline_does_not_reveal_a_colleagues_private_deal(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"])
        pipeline.opportunity_create(owner=people["sarah"], account=account, name="Sarah private")
        pipeline.opportunity_create(owner=people["mike"], account=account, name="Mike public")

    mike_sees = people.browser_client("mike").get(f"/crm/accounts/{account.pk}/")
    boss_sees = people.browser_client("boss").get(f"/crm/accounts/{account.pk}/")

    assert "Mike public" in mike_sees.content.decode()
    assert "Sarah private" not in mike_sees.content.decode()
    assert "Sarah private" in boss_sees.content.decode()


def test_deleting_a_record_leaves_no_shares_behind(people, tenant_a):
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    with schema_context(tenant_a.schema_name):
        deal = OpportunityFactory(owner=people["mike"])
        call = ActivityFactory(owner=people["mike"], opportunity=deal)
        ownership.record_share(obj=deal, user=people["sarah"])
        ownership.record_share(obj=call, user=people["sarah"])

    response = people.api("mike").delete(f"/api/v1/crm/opportunities/{deal.pk}/")

    assert response.status_code == 204
    with schema_context(tenant_a.schema_name):
        left = UserObjectPermission.objects.filter(
            content_type__in=ContentType.objects.filter(app_label="crm"),
            object_pk__in=[str(deal.pk), str(call.pk)],
        )
        assert not left.exists()


COLLECTION_ENDPOINTS = [
    ("get", "/api/v1/crm/accounts/export/"),
    ("post", "/api/v1/crm/leads/import/"),
    ("get", "/api/v1/crm/activities/my-open-tasks/"),
    ("get", "/api/v1/crm/reports/pipeline/"),
    ("get", "/api/v1/crm/reports/forecast/"),
    ("get", "/api/v1/crm/reports/win-rate/"),
    ("get", "/api/v1/crm/reports/lead-conversion/"),
    ("get", "/api/v1/crm/stages/"),
]


@pytest.mark.parametrize(("method", "path"), COLLECTION_ENDPOINTS)
def test_every_collection_endpoint_is_closed_to_anonymous_field_tech_and_unsubscribed(
    people, client_a, api_b_owner, method, path
):
    anonymous = getattr(client_a, method)(path)
    tom = getattr(people.api("tom"), method)(path)
    tenant_b = getattr(api_b_owner, method)(path)

    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "NOT_AUTHENTICATED")
    assert (tom.status_code, tom.json()["error"]["code"]) == (403, "PERMISSION_DENIED")
    assert (tenant_b.status_code, tenant_b.json()["error"]["code"]) == (403, "APP_NOT_SUBSCRIBED")


@pytest.mark.parametrize(
    "path", ["/crm/reports/forecast/", "/crm/contacts/export.csv", "/crm/opportunities/new/"]
)
def test_the_remaining_pages_are_closed_to_a_field_tech_and_an_unsubscribed_tenant(
    people, client_b, path
):
    client_b.sign_in()

    assert people.browser_client("tom").get(path).status_code == 403
    assert "Upgrade to access CRM" in client_b.get(path).content.decode()
