"""Soft unsubscribe, with time travel: a cancelled app's data is kept (and exportable) for
BILLING_RETENTION_DAYS; resubscribing within that time opens the same records again; past it,
the retention sweep writes a final export and empties the app's tables in that schema."""

import datetime
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context

from apps.core.exceptions import ConflictError
from apps.crm.models import Account, Stage
from apps.platform.billing.models import Invoice, SubscriptionBilling
from apps.platform.billing.services import accounts, retention
from apps.platform.licensing.models import Subscription
from tests.conftest import PASSWORD, HostClient, obtain_tokens
from tests.platform.billing.factories import GOOD_CARD

S = Subscription.Status
User = get_user_model()


def at(day: str):
    moment = datetime.datetime.fromisoformat(day).replace(hour=9, tzinfo=datetime.UTC)
    return time_machine.travel(moment, tick=False)


def crm_names(client) -> tuple[int, set[str]]:
    token = obtain_tokens(client)["access"]
    response = client.get("/api/v1/crm/accounts/", HTTP_AUTHORIZATION=f"Bearer {token}")
    if response.status_code != 200:
        return response.status_code, set()
    return 200, {row["attributes"]["name"] for row in response.json()["data"]}


def zip_rows(content: bytes) -> list[dict]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return json.loads(archive.read("data.json"))


@pytest.fixture
def crm_c(tenant_c, settings, tmp_path):
    """Tenant C's CRM, active and paid by card, with two accounts in its schema."""
    settings.MEDIA_ROOT = str(tmp_path)
    crm = Subscription.objects.get(tenant=tenant_c, app__key="crm")
    Subscription.objects.filter(pk=crm.pk).update(
        status=S.ACTIVE, current_period_start=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)
    )
    account = accounts.account_ensure(tenant=tenant_c)
    accounts.payment_method_set(account=account, card_number=GOOD_CARD, actor="test")
    with schema_context(tenant_c.schema_name):
        owner = User.objects.get(username="owner")
        kept = [Account.objects.create(name=name, owner=owner).pk
                for name in ("Acme Kept", "Globex Kept")]  # fmt: skip
    connection.set_schema_to_public()
    crm.refresh_from_db()
    crm.kept_pks = kept
    return crm


def test_cancel_keeps_the_data_exportable_and_resubscribing_opens_the_same_records(
    crm_c, tenant_c, client_c, django_capture_on_commit_callbacks
):
    with at("2027-03-10"):
        client_c.sign_in()
        assert crm_names(client_c) == (200, {"Acme Kept", "Globex Kept"})
        with django_capture_on_commit_callbacks(execute=True):
            cancelled = client_c.post("/billing/apps/crm/cancel/", {"confirm": "crm"})
        assert cancelled.status_code == 302
        crm_c.refresh_from_db()
        assert crm_c.status == S.CANCELLED
        billing = SubscriptionBilling.objects.get(subscription=crm_c)
        assert billing.retention_until == datetime.date(2027, 6, 8)  # 10 Mar + 90 days
        assert crm_names(client_c)[0] == 403  # the app is off...
        with schema_context(tenant_c.schema_name):  # ...its data is not
            assert sorted(Account.objects.values_list("pk", flat=True)) == sorted(crm_c.kept_pks)
        connection.set_schema_to_public()
        home = client_c.get("/billing/")
        assert b"kept until June 8, 2027" in home.content or b"2027-06-08" in home.content
        export = client_c.get("/billing/apps/crm/export/")
        assert export.status_code == 200
        rows = zip_rows(b"".join(export.streaming_content))
        names = {row["fields"]["name"] for row in rows if row["model"] == "crm.account"}
        assert names == {"Acme Kept", "Globex Kept"}
        assert {row["model"].split(".")[0] for row in rows} == {"crm"}  # nothing but the app's

    client_c = HostClient("tenant-c.localhost")  # a new visit, a month later
    with at("2027-04-10"), django_capture_on_commit_callbacks(execute=True):
        client_c.sign_in()
        back = client_c.post("/billing/apps/crm/resubscribe/")
        assert (back.status_code, back.url) == (302, "/billing/")
    with at("2027-04-10"):
        crm_c.refresh_from_db()
        assert crm_c.status == S.ACTIVE
        assert crm_names(client_c) == (200, {"Acme Kept", "Globex Kept"})
        with schema_context(tenant_c.schema_name):
            assert sorted(Account.objects.values_list("pk", flat=True)) == sorted(crm_c.kept_pks)
        connection.set_schema_to_public()
        # Billed from the day it came back: 10..30 April of the plan's monthly price.
        invoice = Invoice.objects.get(account__tenant=tenant_c, kind="immediate")
        line = invoice.lines.get()
        price = SubscriptionBilling.objects.get(subscription=crm_c).price.amount
        assert (line.period_start, line.period_end) == (datetime.date(2027, 4, 10),
                                                        datetime.date(2027, 4, 30))  # fmt: skip
        assert line.amount == (price * Decimal(21) / Decimal(30)).quantize(Decimal("0.01"))
        assert invoice.status == Invoice.Status.PAID
        assert SubscriptionBilling.objects.get(subscription=crm_c).retention_until is None


def test_past_retention_the_tables_are_emptied_after_a_final_export(crm_c, tenant_c, settings):
    with at("2027-03-10"):
        retention.app_unsubscribe(subscription=crm_c, actor="owner")
    with at("2027-06-08"):  # the last day kept
        assert retention.retention_sweep() == 0
        with schema_context(tenant_c.schema_name):
            assert Account.objects.count() == 2
    with at("2027-06-09"):
        assert retention.retention_sweep() == 1
        with schema_context(tenant_c.schema_name):
            assert Account.objects.count() == 0
            assert Stage.objects.count() == 0  # every table of the app, not only one
            assert User.objects.filter(username="owner").exists()  # identity is untouched
        connection.set_schema_to_public()
        billing = SubscriptionBilling.objects.get(subscription=crm_c)
        assert billing.data_purged_at is not None
        archive = Path(settings.MEDIA_ROOT) / billing.final_export
        assert archive.is_file()
        rows = zip_rows(archive.read_bytes())
        assert {r["fields"]["name"] for r in rows if r["model"] == "crm.account"} == {
            "Acme Kept", "Globex Kept"}  # fmt: skip
        assert retention.retention_sweep() == 0  # done once
        with pytest.raises(ConflictError):
            retention.app_export(subscription=crm_c)

    with at("2027-07-01"):  # back after the purge: a fresh start with the app's defaults
        retention.app_resubscribe(subscription=crm_c, actor="owner")
        with schema_context(tenant_c.schema_name):
            assert Account.objects.count() == 0
            assert Stage.objects.exists()
        connection.set_schema_to_public()
        assert SubscriptionBilling.objects.get(subscription=crm_c).data_purged_at is None


def test_a_subscription_cancelled_by_dunning_counts_retention_from_its_cancellation(crm_c):
    Subscription.objects.filter(pk=crm_c.pk).update(
        status=S.CANCELLED, cancelled_at=datetime.datetime(2027, 3, 10, tzinfo=datetime.UTC)
    )
    with at("2027-06-08"):
        assert list(retention.subscriptions_past_retention()) == []
    with at("2027-06-09"):
        assert list(retention.subscriptions_past_retention()) == [crm_c]


def test_cancelling_needs_the_confirmation_and_writes_nothing_without_it(crm_c, client_c):
    client_c.sign_in()
    refused = client_c.post("/billing/apps/crm/cancel/", {})
    assert refused.status_code == 400
    crm_c.refresh_from_db()
    assert crm_c.status == S.ACTIVE
    kept = SubscriptionBilling.objects.filter(subscription=crm_c, retention_until__isnull=False)
    assert not kept.exists()
    # Resubscribing an app that is not cancelled is a conflict, and changes nothing.
    assert client_c.post("/billing/apps/crm/resubscribe/").status_code == 409
    crm_c.refresh_from_db()
    assert crm_c.status == S.ACTIVE


def test_the_app_pages_are_the_tenants_own_and_its_super_admins(crm_c, tenant_c, client_c):
    # Tenant C has no ISP: its ISP is a 404 (like another tenant's app), not another's data.
    client_c.sign_in()
    assert client_c.get("/billing/apps/isp/export/").status_code == 404
    assert client_c.post("/billing/apps/isp/cancel/", {"confirm": "isp"}).status_code == 404
    with schema_context(tenant_c.schema_name):
        User.objects.create_user("clerk", password=PASSWORD)
    connection.set_schema_to_public()
    clerk = HostClient("tenant-c.localhost")
    assert clerk.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302
    assert clerk.get("/billing/apps/crm/export/").status_code == 403
    assert clerk.post("/billing/apps/crm/cancel/", {"confirm": "crm"}).status_code == 403
    assert HostClient("tenant-c.localhost").get("/billing/apps/crm/export/").status_code == 302
    crm_c.refresh_from_db()
    assert crm_c.status == S.ACTIVE
