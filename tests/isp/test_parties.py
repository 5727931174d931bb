"""The ISP side of the cross-app party link: ISP customers as a PartyDirectory, and the CRM
account linked to a customer shown on its page when CRM is there (and nothing when not)."""

import pytest
from django_tenants.utils import schema_context

from apps.core.models import PartyLink
from apps.core.parties import PartyFacts, linked_parties, party_directory
from apps.core.registry import registry
from apps.isp.models import Service
from apps.isp.parties import IspCustomers
from tests.isp.pages_data import make_customer, make_invoice, make_plan, make_service


def test_the_isp_directory_is_registered_at_start_up():
    assert isinstance(party_directory("isp"), IspCustomers)


def test_facts_of_a_customer(in_tenant_a):
    customer = make_customer("Ann Lee")
    make_service(customer, make_plan(price="30.00"))
    make_service(customer, make_plan(price="120.00", billing_period="quarterly"))
    make_service(customer, make_plan(), status=Service.Status.TERMINATED)
    make_invoice(customer)  # 36.00 owed

    facts = IspCustomers().facts(str(customer.pk))

    assert facts == PartyFacts(
        app="isp",
        ref=str(customer.pk),
        name="Ann Lee",
        url=f"/isp/customers/{customer.pk}/",
        facts=(
            ("Account", customer.account_number),
            ("Status", "Active"),
            ("Balance", "36.00 USD"),
            ("Active services", "2"),
            ("MRR", "70.00 USD"),
        ),
    )


@pytest.mark.parametrize("ref", ["999999", "abc", ""])
def test_facts_of_no_such_customer_is_none(in_tenant_a, ref):
    assert IspCustomers().facts(ref) is None


def test_search_finds_customers_by_name_email_or_account(in_tenant_a):
    ann = make_customer("Ann Lee")
    make_customer("Bob Ray", email="robert@example.com")

    directory = IspCustomers()

    assert [f.name for f in directory.search("lee")] == ["Ann Lee"]
    assert [f.name for f in directory.search("ROBERT@")] == ["Bob Ray"]
    assert [f.name for f in directory.search(ann.account_number)] == ["Ann Lee"]
    assert len(directory.search("example.com", limit=1)) == 1
    assert directory.search("  ") == []


def test_a_link_made_from_the_other_side_is_seen_from_the_isp_side(in_tenant_a):
    """The CRM makes the link (its account 77 is this customer); the ISP's customer reads it
    back through core's party links, as the ISP directory shows it."""
    customer = make_customer("Ann Lee")
    PartyLink.objects.create(app="crm", ref="77", other_app="isp", other_ref=str(customer.pk))

    seen_from_crm = linked_parties("crm", "77")

    assert [(party.app, party.name) for party in seen_from_crm] == [("isp", "Ann Lee")]


class FakeCrm:
    """Stands for the CRM's directory: its account 77 (linked to the customer by the test)."""

    def __init__(self):
        self.asked = []

    def facts(self, ref):
        self.asked.append(ref)
        return PartyFacts(
            app="crm",
            ref="77",
            name="Ann Lee (CRM)",
            url="/crm/accounts/77/",
            facts=(("Owner", "Mike Ross"), ("Open deals", "2")),
        )

    def search(self, query, limit=10):
        return []


class BrokenCrm(FakeCrm):
    def facts(self, ref):
        raise RuntimeError("crm is down")


def link_to_crm(customer) -> None:
    PartyLink.objects.create(app="crm", ref="77", other_app="isp", other_ref=str(customer.pk))


def test_customer_page_shows_the_linked_crm_account(client_a, in_tenant_a, monkeypatch):
    crm = FakeCrm()
    monkeypatch.setitem(registry.party_directories, "crm", crm)
    customer = make_customer("Ann Lee")
    link_to_crm(customer)

    html = client_a.sign_in().get(f"/isp/customers/{customer.pk}/").content.decode()

    assert crm.asked == ["77"]
    assert 'id="linked-parties"' in html
    assert '<a href="/crm/accounts/77/">Ann Lee (CRM)</a>' in html
    assert "<dt>Open deals</dt><dd>2</dd>" in html


def test_without_a_crm_directory_the_page_shows_no_crm_section(client_a, in_tenant_a, monkeypatch):
    monkeypatch.delitem(registry.party_directories, "crm", raising=False)
    customer = make_customer("Ann Lee")
    link_to_crm(customer)

    response = client_a.sign_in().get(f"/isp/customers/{customer.pk}/")

    assert response.status_code == 200
    assert 'id="linked-parties"' not in response.content.decode()


def test_a_tenant_without_crm_is_never_asked_about_crm(client_b, tenant_b, monkeypatch):
    crm = FakeCrm()
    monkeypatch.setitem(registry.party_directories, "crm", crm)
    with schema_context(tenant_b.schema_name):
        customer = make_customer("Bea B")
        link_to_crm(customer)  # a link left from when the tenant had CRM

    response = client_b.sign_in().get(f"/isp/customers/{customer.pk}/")

    assert response.status_code == 200
    assert crm.asked == []
    assert 'id="linked-parties"' not in response.content.decode()


def test_a_failing_crm_directory_does_not_take_the_page_down(client_a, in_tenant_a, monkeypatch):
    monkeypatch.setitem(registry.party_directories, "crm", BrokenCrm())
    customer = make_customer("Ann Lee")
    link_to_crm(customer)

    response = client_a.sign_in().get(f"/isp/customers/{customer.pk}/")

    assert response.status_code == 200
    assert "Ann Lee" in response.content.decode()
