"""Partners: commissions from paid invoices only, held 30 days, a refund after payout is a
negative entry; a partner sees only its own tenants and ledger (404 otherwise), and its token
opens no platform-staff endpoint."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from apps.core.exceptions import ConflictError
from apps.platform.billing.models import Invoice
from apps.platform.billing.services import accounts, collection, invoicing
from apps.platform.partners.models import CommissionRule, LedgerEntry
from apps.platform.partners.services import (
    attribute,
    partner_create,
    payout_create,
    payout_csv,
)
from tests.conftest import HostClient, obtain_tokens
from tests.platform.billing.factories import GOOD_CARD

User = get_user_model()


def at(day: str):
    moment = datetime.datetime.fromisoformat(day).replace(hour=2, tzinfo=datetime.UTC)
    return time_machine.travel(moment, tick=False)


def invoice_for(tenant, day: datetime.date, amount="100.00", app="crm") -> Invoice:
    account = accounts.account_ensure(tenant=tenant)
    accounts.payment_method_set(account=account, card_number=GOOD_CARD, actor="test")
    line = invoicing.LineSpec(key=f"t:{tenant.slug}:{day}:{app}", kind="recurring",
                              description="CRM Pro", period_start=day, period_end=day,
                              amount=Decimal(amount), app_key=app)  # fmt: skip
    with transaction.atomic():
        return invoicing.issue_immediate(account=account, specs=[line], today=day)


@pytest.fixture
def partner_api(partner):
    client = HostClient("localhost")
    return client.authenticate(obtain_tokens(client, "acme", "acme-pass-123")["access"])


def test_commission_accrues_from_paid_invoices_only_and_a_refund_after_payout_claws_back(
    partner, tenant_a, django_capture_on_commit_callbacks
):
    with at("2026-03-01"):
        attribute(tenant=tenant_a, referral_code="ACME", actor="signup")
        invoice = invoice_for(tenant_a, datetime.date(2026, 3, 1))
        assert not LedgerEntry.objects.exists()  # open: nothing yet
        with django_capture_on_commit_callbacks(execute=True):
            payment = collection.invoice_collect(invoice=invoice)
        (entry,) = LedgerEntry.objects.all()
        assert (entry.kind, entry.amount) == ("accrual", Decimal("20.00"))
        assert entry.available_on == datetime.date(2026, 3, 31)
        with pytest.raises(ConflictError):  # held 30 days
            payout_create(partner=partner, actor="ops")

    with at("2026-03-31"):
        payout = payout_create(partner=partner, actor="ops")
        assert payout.total == Decimal("20.00")
        assert "20.00" in payout_csv(payout).splitlines()[1]

    with at("2026-04-05"), django_capture_on_commit_callbacks(execute=True):
        collection.payment_refund(payment=payment, amount=Decimal("50.00"), actor="ops")
    entry.refresh_from_db()
    assert entry.amount == Decimal("20.00")  # never edited
    clawback = LedgerEntry.objects.get(kind="clawback")
    assert clawback.amount == Decimal("-10.00")
    assert clawback.payout is None


def test_no_commission_past_the_rules_duration(partner, tenant_a,
                                               django_capture_on_commit_callbacks):  # fmt: skip
    with at("2025-01-10"):
        attribute(tenant=tenant_a, referral_code="acme", actor="signup")
    with at("2026-02-01"), django_capture_on_commit_callbacks(execute=True):
        collection.invoice_collect(invoice=invoice_for(tenant_a, datetime.date(2026, 2, 1)))
    assert not LedgerEntry.objects.exists()


def test_an_unknown_referral_code_is_refused(partner, tenant_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        attribute(tenant=tenant_a, referral_code="nobody", actor="signup")


def test_a_partner_sees_only_its_own_tenants_and_ledger(
    partner, partner_api, tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    other = partner_create(name="Other", referral_code="other", actor="test")
    CommissionRule.objects.create(partner=other, percent=Decimal("10"))
    attribute(tenant=tenant_a, referral_code="acme", actor="signup")
    attribute(tenant=tenant_b, referral_code="other", actor="signup")
    with django_capture_on_commit_callbacks(execute=True):
        for tenant in (tenant_a, tenant_b):
            collection.invoice_collect(invoice=invoice_for(tenant, datetime.date(2026, 3, 1)))
    theirs = LedgerEntry.objects.get(partner=other)

    tenants = partner_api.get("/api/v1/partners/tenants/").json()["data"]
    assert [row["attributes"]["slug"] for row in tenants] == ["tenant-a"]
    ledger = partner_api.get("/api/v1/partners/ledger/").json()["data"]
    assert [row["attributes"]["tenant"] for row in ledger] == ["tenant-a"]
    assert partner_api.get(f"/api/v1/partners/ledger/{theirs.pk}/").status_code == 404
    assert partner_api.get("/api/v1/partners/payouts/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/platform/tenants/", "/api/v1/platform/invoices/",
                                  "/api/v1/platform/billing-accounts/"])  # fmt: skip
def test_a_partners_token_opens_no_platform_staff_endpoint(partner_api, path):
    response = partner_api.get(path)
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/partners/tenants/", "/api/v1/partners/ledger/",
                                  "/api/v1/partners/payouts/"])  # fmt: skip
def test_partner_api_refuses_others_and_is_absent_on_tenant_hosts(partner, public_client, path,
                                                                  client_a):  # fmt: skip
    connection.set_schema_to_public()
    User.objects.create_user("nobody", password="nobody-pass-1")
    token = obtain_tokens(public_client, "nobody", "nobody-pass-1")["access"]
    assert HostClient("localhost").get(path).status_code == 401
    assert HostClient("localhost").authenticate(token).get(path).status_code == 403
    owner = client_a.authenticate(obtain_tokens(client_a)["access"])
    assert owner.get(path).status_code == 404


def test_the_portal_is_the_partners_own(partner, tenant_a, tenant_b, public_client):
    attribute(tenant=tenant_a, referral_code="acme", actor="signup")
    assert public_client.get("/partners/").status_code == 302
    signed_in = public_client.post("/partners/login/", {"username": "acme",
                                                        "password": "acme-pass-123"})  # fmt: skip
    assert signed_in.status_code == 302
    page = public_client.get("/partners/")
    assert page.status_code == 200
    assert b"Tenant A" in page.content
    assert b"Tenant B" not in page.content


def test_the_portal_refuses_a_user_who_is_no_partner(partner, public_client):
    connection.set_schema_to_public()
    User.objects.create_user("nobody", password="nobody-pass-1")
    public_client.post("/partners/login/", {"username": "nobody", "password": "nobody-pass-1"})
    assert public_client.get("/partners/").status_code == 403
