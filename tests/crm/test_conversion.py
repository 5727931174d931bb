"""Lead conversion: one transaction for account + contact + opportunity, duplicates offered
for merge instead of being created twice."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.crm.models import Account, Contact, Lead, Opportunity
from apps.crm.services import leads
from tests.crm.factories import AccountFactory, ActivityFactory, ContactFactory, LeadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


def counts(tenant) -> tuple[int, int, int]:
    with schema_context(tenant.schema_name):
        return Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()


@pytest.fixture
def qualified_lead(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        return LeadFactory(
            owner=people["mike"],
            first_name="Dana",
            last_name="Scully",
            company="Bureau",
            email="dana@bureau.example",
            website="https://bureau.example",
            status="qualified",
        )


def convert_url(lead) -> str:
    return f"/api/v1/crm/leads/{lead.pk}/convert/"


def test_converting_a_qualified_lead_creates_account_contact_and_opportunity(
    people, tenant_a, qualified_lead
):
    response = people.api("mike").post_json(
        convert_url(qualified_lead),
        {
            "opportunity_name": "Bureau analytics",
            "amount": "18000.00",
            "expected_close_date": "2027-02-28",
        },
    )

    assert response.status_code == 200, response.content
    lead = response.json()["data"]["attributes"]
    assert lead["status"] == "converted"
    with schema_context(tenant_a.schema_name):
        account = Account.objects.get(pk=lead["converted_account"])
        contact = Contact.objects.get(pk=lead["converted_contact"])
        opportunity = Opportunity.objects.get(pk=lead["converted_opportunity"])
        assert (account.name, account.domain, account.owner) == (
            "Bureau",
            "bureau.example",
            people["mike"],
        )
        assert (contact.account, contact.email, contact.full_name) == (
            account,
            "dana@bureau.example",
            "Dana Scully",
        )
        assert (opportunity.account, opportunity.contact, opportunity.amount) == (
            account,
            contact,
            Decimal("18000.00"),
        )
        assert opportunity.stage.name == "Prospecting"
        assert opportunity.stage_changes.count() == 1
        assert AuditEntry.objects.filter(action="convert", object_id=str(lead_id(lead))).exists()


def lead_id(attributes) -> int:
    return Lead.objects.get(converted_account=attributes["converted_account"]).pk


def test_a_failure_midway_through_conversion_leaves_nothing_behind(
    people, tenant_a, qualified_lead, monkeypatch
):
    """The opportunity step fails after the account and contact were written: all of it is
    rolled back, the lead stays qualified, and no audit entry survives."""

    def broken(**kwargs):
        raise RuntimeError("the opportunity could not be saved")

    monkeypatch.setattr(leads, "opportunity_create", broken)
    before = counts(tenant_a)

    response = people.api("mike").post_json(convert_url(qualified_lead), {"amount": "5000"})

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert counts(tenant_a) == before
    with schema_context(tenant_a.schema_name):
        lead = Lead.objects.get(pk=qualified_lead.pk)
        assert (lead.status, lead.converted_account_id) == ("qualified", None)
        assert not AuditEntry.objects.filter(
            object_type="crm.account", object_repr="Bureau"
        ).exists()


def test_an_invalid_opportunity_rolls_back_the_account_and_contact_already_made(
    people, tenant_a, qualified_lead
):
    before = counts(tenant_a)

    # A negative amount passes the input check and fails when the opportunity is validated,
    # after the account and the contact were created in the same transaction.
    response = people.api("mike").post_json(convert_url(qualified_lead), {"amount": "-1.00"})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "amount"
    assert counts(tenant_a) == before
    with schema_context(tenant_a.schema_name):
        assert Lead.objects.get(pk=qualified_lead.pk).status == "qualified"


def test_a_lead_matching_existing_records_is_offered_for_merge_not_duplicated(
    people, tenant_a, qualified_lead
):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"], name="Bureau Inc", domain="bureau.example")
        contact = ContactFactory(owner=people["mike"], account=account, email="DANA@bureau.example")
    before = counts(tenant_a)
    mike = people.api("mike")

    offered = mike.post_json(convert_url(qualified_lead), {})
    duplicates = mike.get(f"/api/v1/crm/leads/{qualified_lead.pk}/duplicates/")
    twice = mike.post_json(convert_url(qualified_lead), {"create_new": True})
    merged = mike.post_json(convert_url(qualified_lead), {"contact": contact.pk})

    assert offered.status_code == 409
    error = offered.json()["error"]
    assert {(d["field"], d["id"]) for d in error["details"]} == {
        ("account", str(account.pk)),
        ("contact", str(contact.pk)),
    }
    assert {row["attributes"]["type"] for row in duplicates.json()["data"]} == {
        "account",
        "contact",
    }
    # Creating a second account with the same web domain is refused by the database rule.
    assert twice.status_code == 400
    assert merged.status_code == 200, merged.content
    attributes = merged.json()["data"]["attributes"]
    assert (attributes["converted_account"], attributes["converted_contact"]) == (
        account.pk,
        contact.pk,
    )
    accounts, contacts, opportunities = counts(tenant_a)
    assert (accounts, contacts, opportunities) == (before[0], before[1], before[2] + 1)


def test_merging_into_an_account_creates_only_the_contact_and_opportunity(
    people, tenant_a, qualified_lead
):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"], name="Bureau", domain="bureau.example")
    before = counts(tenant_a)

    response = people.api("mike").post_json(
        convert_url(qualified_lead), {"account": account.pk, "create_opportunity": False}
    )

    assert response.status_code == 200, response.content
    assert counts(tenant_a) == (before[0], before[1] + 1, before[2])


def test_merging_into_a_record_the_user_cannot_see_is_refused(people, tenant_a, qualified_lead):
    with schema_context(tenant_a.schema_name):
        hidden = AccountFactory(owner=people["sarah"], name="Elsewhere", domain="elsewhere.example")

    response = people.api("mike").post_json(convert_url(qualified_lead), {"account": hidden.pk})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "account"


@pytest.mark.parametrize("status", ["new", "contacted", "unqualified"])
def test_only_a_qualified_lead_can_be_converted(people, tenant_a, status):
    with schema_context(tenant_a.schema_name):
        lead = LeadFactory(owner=people["mike"], status=status)

    response = people.api("mike").post_json(convert_url(lead), {})

    assert response.status_code == 409
    assert "qualified" in response.json()["error"]["message"]


def test_a_converted_lead_cannot_be_converted_again(people, tenant_a, qualified_lead):
    mike = people.api("mike")
    assert mike.post_json(convert_url(qualified_lead), {}).status_code == 200
    before = counts(tenant_a)

    again = mike.post_json(convert_url(qualified_lead), {})

    assert again.status_code == 409
    assert counts(tenant_a) == before


def test_a_lead_is_not_marked_converted_by_editing_it(people, tenant_a, qualified_lead):
    response = people.api("mike").patch(
        f"/api/v1/crm/leads/{qualified_lead.pk}/",
        {"status": "converted"},
        content_type="application/json",
    )

    assert response.status_code == 409


def test_converting_from_the_lead_page_lands_on_the_new_opportunity(
    people, tenant_a, qualified_lead
):
    page = people.browser_client("mike")

    form = page.get(f"/crm/leads/{qualified_lead.pk}/convert/")
    response = page.post(
        f"/crm/leads/{qualified_lead.pk}/convert/",
        {"create_opportunity": "on", "opportunity_name": "From the page", "amount": "700"},
    )

    assert form.status_code == 200
    assert response.status_code == 302
    with schema_context(tenant_a.schema_name):
        opportunity = Opportunity.objects.get(name="From the page")
    assert response["Location"] == f"/crm/opportunities/{opportunity.pk}/"


def test_the_convert_page_shows_duplicates_and_refuses_to_create_them_silently(
    people, tenant_a, qualified_lead
):
    with schema_context(tenant_a.schema_name):
        AccountFactory(owner=people["mike"], name="Bureau", domain="other.example")
    page = people.browser_client("mike")

    shown = page.get(f"/crm/leads/{qualified_lead.pk}/convert/").content.decode()
    refused = page.post(f"/crm/leads/{qualified_lead.pk}/convert/", {"create_opportunity": "on"})

    assert "Possible duplicates" in shown
    assert refused.status_code == 400
    assert "matches existing records" in refused.content.decode()


def test_the_service_converts_in_one_transaction_when_called_directly(
    people, tenant_a, qualified_lead
):
    with schema_context(tenant_a.schema_name):
        lead = leads.lead_convert(
            lead=qualified_lead, actor=people["mike"], create_opportunity=False
        )
        assert lead.converted_opportunity is None
        assert lead.converted_contact.account == lead.converted_account


def test_the_leads_activities_follow_it_to_the_contact(people, tenant_a, qualified_lead):
    with schema_context(tenant_a.schema_name):
        call = ActivityFactory(
            owner=people["mike"], kind="call", lead=qualified_lead, subject="Discovery call"
        )

    response = people.api("mike").post_json(convert_url(qualified_lead), {})

    contact_id = response.json()["data"]["attributes"]["converted_contact"]
    with schema_context(tenant_a.schema_name):
        call.refresh_from_db()
        assert (call.lead_id, call.contact_id) == (None, contact_id)
    account_page = people.browser_client("mike").get(
        f"/crm/accounts/{response.json()['data']['attributes']['converted_account']}/"
    )
    assert "Discovery call" in account_page.content.decode()
