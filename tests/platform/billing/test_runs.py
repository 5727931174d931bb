"""Billing runs: one invoice per tenant and period, one line per subscription and period, no gap
in numbering — after a crash and a rerun, a SIGKILL, and with two workers at once."""

import datetime
import signal
import subprocess
import sys
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from apps.platform.billing.models import BillingRun, Invoice, InvoiceLine
from apps.platform.billing.services import runs
from tests.committed import committed
from tests.platform.billing.factories import numbers_are_gapless, remove_tenants, row_tenants
from tests.servers import child_env

D = datetime.date
FEB = D(2026, 2, 1)


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


@pytest.fixture
def committed_tenants(db, django_db_blocker):
    made = []

    def make(count, **kwargs):
        tenants = committed(row_tenants, count, **kwargs)
        made.extend(tenants)
        return tenants

    yield make
    with django_db_blocker.unblock():
        committed(remove_tenants, made)


def run_period(period=FEB, **kwargs):
    moment = datetime.datetime(period.year, period.month, period.day, 2, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        run = runs.run_request(period_start=period, shards=kwargs.get("shards", 1))
        return runs.run_execute(run=run, **kwargs)


def check_once_each(tenants, period=FEB):
    ids = [t.pk for t in tenants]
    lines = InvoiceLine.objects.filter(account__tenant_id__in=ids, period_start=period,
                                       kind=InvoiceLine.Kind.RECURRING)  # fmt: skip
    per_subscription = {}
    for sub_id in lines.values_list("subscription_id", flat=True):
        per_subscription[sub_id] = per_subscription.get(sub_id, 0) + 1
    assert len(per_subscription) == 2 * len(tenants)
    assert set(per_subscription.values()) == {1}
    invoices = Invoice.objects.filter(account__tenant_id__in=ids, period_start=period)
    assert invoices.count() == len(tenants)
    numbers_are_gapless()


def test_a_run_bills_each_subscription_once_and_a_rerun_creates_nothing(committed_tenants):
    tenants = committed_tenants(5)

    first = committed(run_period)
    again = committed(run_period)

    assert first.invoices_created == 5
    assert first.status == BillingRun.Status.SUCCEEDED
    assert again.invoices_created == 0
    check_once_each(tenants)
    invoice = Invoice.objects.filter(account__tenant=tenants[0]).get()
    # CRM Pro 79.00 + Projects Basic 19.00, whole month, no tax.
    assert invoice.total == Decimal("98.00")
    assert invoice.lines.count() == 2


def test_a_run_that_dies_midway_then_reruns_bills_each_period_once(committed_tenants,
                                                                  monkeypatch):  # fmt: skip
    tenants = committed_tenants(10)
    monkeypatch.setattr(runs, "CHUNK_ACCOUNTS", 4)
    chunks = []

    def die_in_the_second_chunk(run, count):
        chunks.append(count)
        if len(chunks) == 2:  # rows written and numbers taken, not committed
            raise Killed

    monkeypatch.setattr(runs, "_after_chunk_in_transaction", die_in_the_second_chunk)
    with pytest.raises(Killed):
        committed(run_period)
    assert Invoice.objects.filter(account__tenant__in=tenants).count() == 4
    numbers_are_gapless()

    monkeypatch.setattr(runs, "_after_chunk_in_transaction", lambda run, count: None)
    assert committed(run_period).invoices_created == 6
    check_once_each(tenants)


@pytest.mark.slow
def test_a_run_killed_with_sigkill_midway_then_rerun_bills_each_period_once(committed_tenants):
    tenants = committed_tenants(9)
    ids = [t.pk for t in tenants]
    script = f"""
import datetime, time, django
django.setup()
from apps.platform.billing.services import runs
runs.CHUNK_ACCOUNTS = 3
runs.accounts_due_all = runs.accounts_due
runs.accounts_due = lambda p: runs.accounts_due_all(p).filter(tenant_id__in={ids!r})
seen = []
def hang_in_second_chunk(run, count):
    seen.append(count)
    if len(seen) == 2:
        print("chunk 2 written", flush=True)
        time.sleep(60)
runs._after_chunk_in_transaction = hang_in_second_chunk
run = runs.run_request(period_start=datetime.date(2026, 2, 1))
runs.run_execute(run=run)
"""
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               env=child_env(), text=True)  # fmt: skip
    try:
        assert process.stdout.readline().strip() == "chunk 2 written"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert Invoice.objects.filter(account__tenant__in=tenants).count() == 3

    assert committed(run_period).invoices_created == 6
    check_once_each(tenants)


def test_two_workers_on_the_same_period_bill_each_subscription_once(committed_tenants,
                                                                   monkeypatch):  # fmt: skip
    tenants = committed_tenants(24)
    monkeypatch.setattr(runs, "CHUNK_ACCOUNTS", 5)
    start = threading.Barrier(2)
    outcome = {}

    def worker(name):
        def go():
            start.wait()
            return run_period()

        outcome[name] = committed(go)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcome["one"].invoices_created + outcome["two"].invoices_created == 24
    check_once_each(tenants)


def test_two_sharded_workers_split_the_accounts_and_bill_them_all(committed_tenants):
    tenants = committed_tenants(7)
    run = committed(lambda: runs.run_request(period_start=FEB, shards=2))

    def shard(i):
        with time_machine.travel(datetime.datetime(2026, 2, 1, 2, tzinfo=datetime.UTC), tick=False):
            return runs.run_execute(run=run, shard=i, shards=2)

    committed(shard, 0)
    done = committed(shard, 1)

    assert done.invoices_created == 7
    assert done.status == BillingRun.Status.SUCCEEDED
    check_once_each(tenants)


def test_the_database_refuses_a_second_recurring_line_for_a_subscription_and_period(db):
    (tenant,) = row_tenants(1)
    run_period()
    line = InvoiceLine.objects.filter(account__tenant=tenant).first()
    line.pk, line.key = None, "another-key"
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()
