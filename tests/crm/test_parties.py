"""One party across apps: a CRM account linked to an ISP customer of the same tenant, each
showing the other's key facts, through core's party directories (no import between apps)."""

import pytest
from django_tenants.utils import schema_context

from apps.core.models import PartyLink
from apps.core.parties import PartyFacts, linked_parties, party_directory, party_link_of
from apps.core.registry import registry
from tests.crm.factories import AccountFactory, ContactFactory, OpportunityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


class FakeIspCustomers:
    """Stands in for the ISP app's directory (built in parallel by the ISP issue)."""

    customers = {"41": "Northwind Traders (ISP)", "42": "Globex Residential"}

    def _facts(self, ref: str) -> PartyFacts:
        return PartyFacts(
            app="isp",
            ref=ref,
            name=self.customers[ref],
            url=f"/isp/customers/{ref}/",
            facts=(("Plan", "Fibre 1G"), ("Balance", "12.50 USD")),
        )

    def facts(self, ref: str):
        return self._facts(ref) if ref in self.customers else None

    def search(self, query: str, limit: int = 10):
        return [
            self._facts(ref)
            for ref, name in self.customers.items()
            if query.lower() in name.lower()
        ][:limit]


@pytest.fixture
def isp_directory(monkeypatch):
    monkeypatch.setitem(registry.party_directories, "isp", FakeIspCustomers())


@pytest.fixture
def account(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        return AccountFactory(
            owner=people["mike"], name="Northwind Traders", domain="northwind.example"
        )


def test_the_account_page_searches_and_links_an_isp_customer(
    people, tenant_a, account, isp_directory
):
    page = people.browser_client("mike")

    found = page.get(
        f"/crm/accounts/{account.pk}/", {"party": "isp", "party_q": "northwind"}
    ).content.decode()
    linked = page.post(f"/crm/accounts/{account.pk}/party-link/", {"app": "isp", "ref": "41"})
    shown = page.get(f"/crm/accounts/{account.pk}/").content.decode()

    assert "Northwind Traders (ISP)" in found
    assert "Globex Residential" not in found
    assert linked.status_code == 302
    with schema_context(tenant_a.schema_name):
        assert party_link_of("crm", account.pk, "isp") == "41"
    assert 'href="/isp/customers/41/"' in shown
    assert "Fibre 1G" in shown
    assert "12.50 USD" in shown


def test_linking_to_an_isp_customer_that_does_not_exist_is_refused(
    people, tenant_a, account, isp_directory
):
    page = people.browser_client("mike")

    page.post(f"/crm/accounts/{account.pk}/party-link/", {"app": "isp", "ref": "999"})

    with schema_context(tenant_a.schema_name):
        assert party_link_of("crm", account.pk, "isp") == ""


def test_the_api_links_and_unlinks_an_isp_customer(people, tenant_a, account, isp_directory):
    url = f"/api/v1/crm/accounts/{account.pk}/link-party/"
    mike = people.api("mike")

    linked = mike.post_json(url, {"app": "isp", "ref": "42"})
    filtered = mike.get("/api/v1/crm/accounts/", {"linked": "isp:42"})
    unlinked = mike.post_json(url, {"app": "isp", "ref": ""})

    assert linked.json()["data"]["attributes"]["links"] == [{"app": "isp", "ref": "42"}]
    assert [row["id"] for row in filtered.json()["data"]] == [str(account.pk)]
    assert unlinked.json()["data"]["attributes"]["links"] == []


def test_without_an_isp_directory_the_account_page_degrades_gracefully(
    people, account, monkeypatch
):
    monkeypatch.delitem(registry.party_directories, "isp", raising=False)

    page = people.browser_client("mike").get(f"/crm/accounts/{account.pk}/")

    assert page.status_code == 200
    assert "The ISP Framework directory is not available." in page.content.decode()


def test_a_tenant_without_isp_is_not_offered_the_link(
    people, tenant_a, account, isp_directory, monkeypatch
):
    """The account page asks the licence whether the tenant has ISP before asking the ISP
    directory (here: as if tenant A had CRM but not ISP)."""
    from apps.crm.views import base
    from apps.platform.licensing import entitlements

    class CrmOnly:
        def has_app(self, key):
            return key == "crm"

        def has_feature(self, feature):
            return False

    monkeypatch.setattr(base, "entitlements_for", lambda schema: CrmOnly())
    monkeypatch.setattr(entitlements, "entitlements_for", lambda schema: CrmOnly())
    page = people.browser_client("mike")

    shown = page.get(f"/crm/accounts/{account.pk}/").content.decode()
    link = page.post(f"/crm/accounts/{account.pk}/party-link/", {"app": "isp", "ref": "41"})

    assert "does not subscribe to ISP Framework" in shown
    assert "Find in ISP Framework" not in shown
    assert link.status_code == 403
    with schema_context(tenant_a.schema_name):
        assert party_link_of("crm", account.pk, "isp") == ""


def test_the_crm_directory_shows_an_accounts_facts_to_other_apps(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"], name="Initech", domain="initech.example")
        PartyLink.objects.create(app="crm", ref=str(account.pk), other_app="isp", other_ref="7")
        ContactFactory(owner=people["mike"], account=account)
        OpportunityFactory(owner=people["mike"], account=account, amount="1200.00")
        AccountFactory(owner=people["sarah"], name="Unlinked")
        directory = party_directory("crm")

        facts = directory.facts(str(account.pk))
        found = directory.search("initech")
        linked = linked_parties("isp", "7")
        nothing = (
            directory.facts("999999"),
            directory.facts("x"),
            linked_parties("isp", ""),
            directory.search(""),
        )

    assert facts.name == "Initech"
    assert facts.app == "crm"
    assert facts.url == f"/crm/accounts/{account.pk}/"
    assert dict(facts.facts) == {
        "Owner": "Mike",
        "Domain": "initech.example",
        "Contacts": "1",
        "Open pipeline": "1,200.00 USD",
        "Won": "0.00 USD",
    }
    assert [party.ref for party in found] == [str(account.pk)]
    assert [party.ref for party in linked] == [str(account.pk)]
    assert nothing == (None, None, [], [])


def test_the_api_refuses_a_link_to_an_unknown_isp_customer(
    people, tenant_a, account, isp_directory
):
    response = people.api("mike").post_json(
        f"/api/v1/crm/accounts/{account.pk}/link-party/", {"app": "isp", "ref": "999"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "ref"
    with schema_context(tenant_a.schema_name):
        assert party_link_of("crm", account.pk, "isp") == ""
