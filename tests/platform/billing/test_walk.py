"""The issue's walk over whole months, with time travel: trial → active → upgrade → seat change
→ downgrade → failed payment → past due → suspended (the app's API answers 403, its pages the
billing page) → paid → active again, with the exact amount of every invoice and credit.

Tenant C on CRM (tax 10 %). Amounts by the rules of apps/platform/billing/services/periods.py.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine

from apps.platform.billing.models import Invoice, InvoiceLine, Payment
from apps.platform.billing.services import accounts, changes, collection, cycle
from apps.platform.licensing.models import Subscription
from tests.conftest import obtain_tokens
from tests.platform.billing.factories import DECLINED_CARD, GOOD_CARD, plan

S = Subscription.Status


def at(day: str, hour: int = 2):
    moment = datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=datetime.UTC)
    return time_machine.travel(moment, tick=False)


def money(value: str) -> Decimal:
    return Decimal(value)


def crm_api_status(client) -> int:
    token = obtain_tokens(client)["access"]
    return client.get("/api/v1/crm/accounts/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


@pytest.mark.slow
def test_a_year_of_months_walks_every_state_with_exact_amounts(
    tenant_c, client_c, django_capture_on_commit_callbacks
):
    def day(when, fn, *args, **kwargs):
        with at(when), django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    crm = Subscription.objects.get(tenant=tenant_c, app__key="crm")
    Subscription.objects.filter(tenant=tenant_c).exclude(pk=crm.pk).update(status=S.CANCELLED)
    Subscription.objects.filter(pk=crm.pk).update(
        plan=plan("crm", "basic"), status=S.TRIAL,
        trial_ends_at=datetime.datetime(2027, 1, 15, tzinfo=datetime.UTC),
    )  # fmt: skip
    account = accounts.account_ensure(tenant=tenant_c)
    account = accounts.account_update(account=account, tax_rate=Decimal("10"), actor="test")
    accounts.payment_method_set(account=account, card_number=GOOD_CARD, actor="test")
    crm.refresh_from_db()
    accounts.billing_of(crm)  # CRM Basic v1: 29.00 a month
    # A new price version of Pro: 10.00 per seat (seats counted by the CRM's user meter).
    accounts.price_publish(plan=plan("crm", "pro"), amount=Decimal("10.00"), per_seat=True,
                           seat_meter="crm.max_users", actor="test")  # fmt: skip
    day("2027-01-10", changes.seats_sync, subscription=crm, count=3, actor="test")  # flat: no line

    # 15 Jan: the trial ends with a card on file: active, and 15..31 Jan billed = 29 × 17/31.
    day("2027-01-15", cycle.billing_day)
    crm.refresh_from_db()
    assert crm.status == S.ACTIVE
    first = Invoice.objects.get(account=account, kind="immediate")
    assert (first.subtotal, first.tax, first.total) == (money("15.90"), money("1.59"),
                                                       money("17.49"))  # fmt: skip
    assert first.status == Invoice.Status.PAID

    # 1 Feb: the period invoice, a whole month of Basic.
    day("2027-02-01", cycle.billing_day)
    feb = Invoice.objects.get(account=account, kind="period", period_start="2027-02-01")
    assert (feb.subtotal, feb.tax, feb.total) == (money("29.00"), money("2.90"), money("31.90"))
    assert feb.status == Invoice.Status.PAID
    day("2027-02-01", cycle.billing_day)  # the same day again bills nothing more
    assert Invoice.objects.filter(account=account).count() == 2

    # 15 Feb: upgrade to Pro (3 seats × 10 = 30.00 > 29.00), prorated at once over 15..28 Feb.
    upgrade = day("2027-02-15", changes.plan_change, subscription=crm,
                  plan=plan("crm", "pro"), actor="owner")  # fmt: skip
    amounts = dict(upgrade.lines.values_list("kind", "amount"))
    assert amounts == {
        InvoiceLine.Kind.PRORATION_CREDIT: money("-14.50"),  # 29 × 14/28
        InvoiceLine.Kind.PRORATION_CHARGE: money("15.00"),  # 30 × 14/28
    }
    upgrade.refresh_from_db()
    assert (upgrade.subtotal, upgrade.tax, upgrade.total) == (money("0.50"), money("0.05"),
                                                             money("0.55"))  # fmt: skip
    assert upgrade.status == Invoice.Status.PAID
    crm.refresh_from_db()
    assert crm.plan.key == "pro"

    # 22 Feb: 3 → 5 seats, 2 × 10 × 7/28 = 5.00 on the next invoice.
    seats = day("2027-02-22", changes.seats_sync, subscription=crm, count=5, actor="owner")
    assert seats.amount == money("5.00")
    assert seats.invoice is None
    with at("2027-02-23"):
        preview = changes.upcoming(account=account)
    assert [line["amount"] for line in preview["lines"]] == [money("50.00"), money("5.00")]
    assert preview["total"] == money("60.50")

    # 1 Mar: 5 seats × 10 + the seat proration, tax 10 %.
    day("2027-03-01", cycle.billing_day)
    mar = Invoice.objects.get(account=account, period_start="2027-03-01")
    assert (mar.subtotal, mar.tax, mar.total) == (money("55.00"), money("5.50"), money("60.50"))

    # 10 Mar: downgrade to Basic, at the end of the period: nothing prorated, still Pro.
    assert day("2027-03-10", changes.plan_change, subscription=crm, plan=plan("crm", "basic"),
               actor="owner") is None  # fmt: skip
    crm.refresh_from_db()
    assert crm.plan.key == "pro"
    assert Invoice.objects.filter(account=account).count() == 4

    # 31 Mar: the card changes to one that is declined.
    accounts.payment_method_set(account=account, card_number=DECLINED_CARD, actor="owner")

    # 1 Apr: Basic from now on (29.00 + 2.90); the payment fails: past due, retried on 4 Apr.
    day("2027-04-01", cycle.billing_day)
    crm.refresh_from_db()
    assert crm.plan.key == "basic"
    assert crm.status == S.PAST_DUE
    apr = Invoice.objects.get(account=account, period_start="2027-04-01")
    assert apr.total == money("31.90")
    assert apr.status == Invoice.Status.OPEN
    assert apr.next_retry_on == datetime.date(2027, 4, 4)
    with at("2027-04-02"):
        assert crm_api_status(client_c) == 200  # within the grace period

    day("2027-04-04", cycle.billing_day)  # second attempt, declined again: next on 9 Apr
    apr.refresh_from_db()
    assert (apr.attempts, apr.next_retry_on) == (2, datetime.date(2027, 4, 9))

    # 8 Apr, after the 7 days of grace: suspended; the API says 403 and pages the billing page.
    with at("2027-04-08", hour=3), django_capture_on_commit_callbacks(execute=True):
        cycle.billing_day()
    crm.refresh_from_db()
    assert crm.status == S.SUSPENDED
    with at("2027-04-08", hour=4):
        assert crm_api_status(client_c) == 403
        users_page = client_c.get("/crm/")
        assert users_page.status_code == 403
        assert b"Billing issue" in users_page.content
        assert b"administrator" in users_page.content
        client_c.sign_in()
        admin_page = client_c.get("/crm/")
        assert admin_page.status_code == 403
        assert b"Pay now" in admin_page.content

    # 10 Apr: the super admin pays with a good card: paid, active again at once.
    payment = day("2027-04-10", collection.invoice_pay_now, invoice=apr,
                  card_number=GOOD_CARD, actor="owner")  # fmt: skip
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.amount == money("31.90")
    crm.refresh_from_db()
    assert crm.status == S.ACTIVE
    with at("2027-04-10", hour=3):
        assert crm_api_status(client_c) == 200

    # Every invoice, in order: 17.49, 31.90, 0.55, 60.50, 31.90; failed attempts kept.
    totals = list(Invoice.objects.filter(account=account).order_by("number")
                  .values_list("total", flat=True))  # fmt: skip
    assert totals == [money(v) for v in ("17.49", "31.90", "0.55", "60.50", "31.90")]
    assert Payment.objects.filter(account=account, status="failed").count() == 2
