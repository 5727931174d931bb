"""Billing runs: what is due is invoiced once, whatever reruns, crashes or concurrent workers."""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal

import pytest
from celery import current_app
from django.db import connection
from django_tenants.utils import schema_context

from apps.isp import tasks
from apps.isp.models import BillingRun, Invoice, InvoiceLine, LineKind
from apps.isp.services import runs
from apps.isp.services.billing import LineDraft, invoice_create
from apps.isp.services.payments import payment_record
from apps.isp.services.runs import billing_run_execute, billing_run_request
from apps.isp.services.subscriptions import service_suspend, service_terminate
from apps.isp.tasks import billing_runs_fan_out
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.services import subscription_set_overrides, subscription_suspend
from apps.platform.tenants import schemas
from apps.platform.tenants.models import Tenant
from apps.platform.tenants.services import tenant_create_now
from tests.committed import committed
from tests.isp.factories import CustomerFactory, ServicePlanFactory, active_service
from tests.servers import child_env

D = datetime.date


def run_as_of(day: datetime.date) -> BillingRun:
    return billing_run_execute(run=billing_run_request(as_of=day, dispatch=False))


@pytest.mark.audited
def test_a_run_invoices_what_is_due_and_a_second_run_invoices_nothing(in_tenant_a):
    customer = CustomerFactory()
    first = active_service(customer=customer, on=D(2026, 3, 10))
    second = active_service(customer=customer, on=D(2026, 3, 20))
    not_yet = active_service(on=D(2026, 4, 2))  # billed to 30 April at activation

    run = run_as_of(D(2026, 4, 1))

    assert (run.status, run.invoices_created) == (BillingRun.Status.SUCCEEDED, 1)
    assert run.started_at
    assert run.finished_at
    invoice = Invoice.objects.get(billing_run=run)
    assert invoice.customer == customer
    assert invoice.issue_date == D(2026, 4, 1)
    lines = list(invoice.lines.order_by("service_id"))
    assert [(x.service_id, x.period_start, x.period_end, x.amount) for x in lines] == [
        (first.pk, D(2026, 4, 1), D(2026, 4, 30), Decimal("30.00")),
        (second.pk, D(2026, 4, 1), D(2026, 4, 30), Decimal("30.00")),
    ]
    assert invoice.total == Decimal("72.00")
    assert run.total_invoiced == Decimal("72.00")
    assert not InvoiceLine.objects.filter(service=not_yet, invoice__billing_run=run).exists()
    customer.refresh_from_db()
    # activations: 85.55 (10 March) and 73.93 (20 March: 50 + 30 × 12/31, +20%)
    assert customer.balance == Decimal("85.55") + Decimal("73.93") + Decimal("72.00")

    again = run_as_of(D(2026, 4, 1))
    assert again.invoices_created == 0
    assert Invoice.objects.filter(billing_run=again).count() == 0


def test_a_service_two_periods_behind_gets_both_on_one_invoice(in_tenant_a):
    service = active_service(on=D(2026, 1, 1))  # January billed

    run = run_as_of(D(2026, 3, 1))

    invoice = Invoice.objects.get(billing_run=run)
    periods = list(invoice.lines.values_list("period_start", "period_end"))
    assert periods == [(D(2026, 2, 1), D(2026, 2, 28)), (D(2026, 3, 1), D(2026, 3, 31))]
    service.refresh_from_db()
    assert service.billed_until == D(2026, 3, 31)


def test_a_run_bills_yearly_and_quarterly_plans_for_whole_periods(in_tenant_a):
    yearly = ServicePlanFactory(price=Decimal("360.00"), billing_period="yearly")
    quarterly = ServicePlanFactory(price=Decimal("90.00"), billing_period="quarterly")
    year = active_service(plan=yearly, on=D(2026, 6, 16))
    quarter = active_service(plan=quarterly, on=D(2026, 6, 16))

    run_as_of(D(2026, 7, 1))

    def last_line(service):
        return InvoiceLine.objects.filter(service=service, kind=LineKind.SERVICE).latest("id")

    assert (last_line(year).period_end, last_line(year).amount) == (
        D(2027, 6, 30),
        Decimal("360.00"),
    )
    assert (last_line(quarter).period_end, last_line(quarter).amount) == (
        D(2026, 9, 30),
        Decimal("90.00"),
    )


def test_suspended_services_are_billed_and_terminated_ones_are_not(in_tenant_a):
    suspended = active_service(on=D(2026, 3, 1))
    service_suspend(service=suspended)
    ended = active_service(on=D(2026, 3, 1))
    service_terminate(service=ended, on=D(2026, 3, 31))

    run = run_as_of(D(2026, 4, 1))

    billed = set(
        InvoiceLine.objects.filter(invoice__billing_run=run).values_list("service", flat=True)
    )
    assert billed == {suspended.pk}


def test_credit_on_the_account_pays_the_runs_invoice(in_tenant_a):
    service = active_service(on=D(2026, 3, 1))
    payment_record(customer=service.customer, amount=Decimal("200.00"), method="cash")

    run = run_as_of(D(2026, 4, 1))

    invoice = Invoice.objects.get(billing_run=run)
    assert invoice.status == Invoice.Status.PAID
    service.customer.refresh_from_db()
    assert service.customer.balance == Decimal("96.00") + Decimal("36.00") - Decimal("200.00")


# --- Committed work: concurrent workers, crashes, a real Celery worker ---------------------------
#
# These tests commit (other connections, other processes), so each gets a tenant of its own,
# provisioned for the test and dropped afterwards.


@pytest.fixture
def own_tenant(django_db_setup, django_db_blocker):
    """A tenant of the test's own, committed. Request it before `db`, so that it is dropped
    after the test's transaction (and its locks on the tenant's tables) has ended."""
    slug = f"runs-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        tenant = committed(
            tenant_create_now,
            name="Runs", slug=slug, admin_username="owner", admin_email=f"owner@{slug}.example.com",
            admin_password="correct-horse-battery", apps=("isp",),
        )  # fmt: skip
    yield tenant

    def remove():
        schemas.drop_schema(tenant.schema_name)
        Tenant.objects.filter(pk=tenant.pk).delete()

    with django_db_blocker.unblock():
        committed(remove)


def in_schema(schema: str, fn, *args, **kwargs):
    """fn in a thread of its own, on its own connection, in `schema`, committed."""

    def run():
        with schema_context(schema):
            return fn(*args, **kwargs)

    return committed(run)


def customers_with_services(count: int, on: datetime.date) -> list[int]:
    plan = ServicePlanFactory(setup_fee=Decimal("0.00"))
    return [active_service(plan=plan, on=on).pk for _ in range(count)]


def check_billed_once_and_gapless(schema: str, services: list[int], periods: int):
    """Every service has exactly `periods` SERVICE lines, none overlapping; invoice numbers
    are 1..n without a gap."""
    with schema_context(schema):
        for service in services:
            lines = list(
                InvoiceLine.objects.filter(service_id=service, kind=LineKind.SERVICE)
                .order_by("period_start")
                .values_list("period_start", "period_end")
            )
            assert len(lines) == periods, (service, lines)
            for (_, end), (start, _) in zip(lines, lines[1:], strict=False):
                assert start == end + datetime.timedelta(days=1)
        numbers = sorted(
            int(n.removeprefix("INV-")) for n in Invoice.objects.values_list("number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1))
        return len(numbers)


@pytest.mark.slow
def test_two_workers_running_the_same_tenant_at_once_bill_each_period_once(
    own_tenant, db, monkeypatch
):
    schema = own_tenant.schema_name
    services = in_schema(schema, customers_with_services, 12, D(2026, 1, 1))
    monkeypatch.setattr(runs, "CHUNK_CUSTOMERS", 5)
    start = threading.Barrier(2)
    outcome = {}

    def worker(name):
        def go():
            run = billing_run_request(as_of=D(2026, 3, 1), dispatch=False)
            start.wait()
            return billing_run_execute(run=run)

        outcome[name] = in_schema(schema, go)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # January at activation, then February and March once each.
    issued = check_billed_once_and_gapless(schema, services, periods=3)
    assert issued == 12 + 12  # activation invoices + one run invoice per customer
    assert outcome["one"].invoices_created + outcome["two"].invoices_created == 12
    assert {outcome["one"].status, outcome["two"].status} == {BillingRun.Status.SUCCEEDED}


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


@pytest.mark.slow
def test_a_run_that_dies_midway_then_reruns_bills_each_period_once(own_tenant, db, monkeypatch):
    schema = own_tenant.schema_name
    services = in_schema(schema, customers_with_services, 10, D(2026, 1, 1))
    monkeypatch.setattr(runs, "CHUNK_CUSTOMERS", 4)
    chunks = []

    def die_in_the_second_chunk(run, count):
        chunks.append(count)
        if len(chunks) == 2:  # rows written and numbers taken, not committed
            raise Killed

    monkeypatch.setattr(runs, "_after_chunk_in_transaction", die_in_the_second_chunk)
    with pytest.raises(Killed):
        in_schema(schema, run_as_of, D(2026, 2, 1))
    with schema_context(schema):
        assert Invoice.objects.filter(billing_run__isnull=False).count() == 4  # chunk 1 only
        assert BillingRun.objects.get().status == BillingRun.Status.RUNNING

    monkeypatch.setattr(runs, "_after_chunk_in_transaction", lambda run, count: None)
    rerun = in_schema(schema, run_as_of, D(2026, 2, 1))

    assert rerun.invoices_created == 6
    assert check_billed_once_and_gapless(schema, services, periods=2) == 10 + 10


@pytest.mark.slow
def test_a_run_killed_with_sigkill_midway_then_rerun_bills_each_period_once(own_tenant, db):
    """A real process, killed by SIGKILL while its second chunk's transaction is open."""
    schema = own_tenant.schema_name
    services = in_schema(schema, customers_with_services, 9, D(2026, 1, 1))
    script = f"""
import datetime, sys, time, django
django.setup()
from django_tenants.utils import schema_context
from apps.isp.services import runs
runs.CHUNK_CUSTOMERS = 3
seen = []
def hang_in_second_chunk(run, count):
    seen.append(count)
    if len(seen) == 2:
        print("chunk 2 written", flush=True)
        time.sleep(60)
runs._after_chunk_in_transaction = hang_in_second_chunk
with schema_context({schema!r}):
    run = runs.billing_run_request(as_of=datetime.date(2026, 2, 1), dispatch=False)
    runs.billing_run_execute(run=run)
"""
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=child_env(), text=True
    )
    try:
        assert process.stdout.readline().strip() == "chunk 2 written"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    rerun = in_schema(schema, run_as_of, D(2026, 2, 1))

    assert rerun.invoices_created == 6  # chunk 1 (3 customers) had committed
    assert check_billed_once_and_gapless(schema, services, periods=2) == 9 + 9


@pytest.mark.slow
def test_a_celery_worker_child_killed_mid_run_is_redelivered_and_bills_each_period_once(
    own_tenant, db, tmp_path
):
    """Issue 16, item 4: a real Celery worker (prefork) whose pool process is SIGKILLed while
    its second chunk's transaction is open. The task is acknowledged late and rejected when its
    worker is lost (CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST): the broker hands it
    out again and the rerun bills what the killed chunk had not committed, once."""
    schema = own_tenant.schema_name
    services = in_schema(schema, customers_with_services, 9, D(2026, 1, 1))
    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    hung = tmp_path / "hung-pid"
    script = f"""
import os, time, django
django.setup()
from apps.isp.services import runs
runs.CHUNK_CUSTOMERS = 3
seen = []
def hang_once_in_second_chunk(run, count):
    seen.append(count)
    if len(seen) == 2 and not os.path.exists({str(hung)!r}):
        with open({str(hung)!r} + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename({str(hung)!r} + ".tmp", {str(hung)!r})
        time.sleep(120)
runs._after_chunk_in_transaction = hang_once_in_second_chunk
from dotmac.celery import app
app.worker_main(["worker", "--pool", "prefork", "--concurrency", "1", "-Q", {queue!r},
                 "--loglevel", "WARNING", "--without-mingle", "--without-gossip"])
"""
    worker = subprocess.Popen(
        [sys.executable, "-c", script], env=child_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        run = in_schema(schema, billing_run_request, as_of=D(2026, 2, 1), dispatch=False)
        in_schema(schema, current_app.send_task, runs.BILLING_RUN_TASK, (run.pk,), queue=queue)
        deadline = time.monotonic() + 60
        while not hung.exists():
            assert time.monotonic() < deadline, "the worker never reached the second chunk"
            assert worker.poll() is None, "the worker exited"
            time.sleep(0.1)
        os.kill(int(hung.read_text()), signal.SIGKILL)

        deadline = time.monotonic() + 60
        while in_schema(schema, lambda: BillingRun.objects.get(pk=run.pk).status) != (
            BillingRun.Status.SUCCEEDED
        ):
            assert time.monotonic() < deadline, "the redelivered run did not finish"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(30)

    finished = in_schema(schema, lambda: BillingRun.objects.get(pk=run.pk))
    assert finished.invoices_created == 9
    assert check_billed_once_and_gapless(schema, services, periods=2) == 9 + 9


@pytest.mark.slow
def test_concurrent_invoices_are_numbered_without_gaps(own_tenant, db):
    schema = own_tenant.schema_name
    customer = in_schema(schema, CustomerFactory)
    line = LineDraft(kind=LineKind.ADJUSTMENT, description="x", amount=Decimal("1.00"))
    failures = []

    def issue(n):
        for _ in range(n):
            try:
                in_schema(schema, invoice_create, customer=customer, lines=[line])
            except Exception as error:  # noqa: BLE001
                failures.append(error)

    threads = [threading.Thread(target=issue, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert check_billed_once_and_gapless(schema, [], periods=0) == 40
    with schema_context(schema):
        customer.refresh_from_db()
        assert customer.balance == Decimal("40.00")


@pytest.mark.slow
def test_the_billing_run_task_runs_on_a_real_worker(own_tenant, db, celery_worker):
    schema = own_tenant.schema_name
    services = in_schema(schema, customers_with_services, 3, D(2026, 1, 1))
    run = in_schema(schema, billing_run_request, as_of=D(2026, 2, 1))

    deadline = time.monotonic() + 30
    with schema_context(schema):
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status in (BillingRun.Status.SUCCEEDED, BillingRun.Status.FAILED):
                break
            time.sleep(0.1)
        assert (run.status, run.invoices_created) == (BillingRun.Status.SUCCEEDED, 3)
    check_billed_once_and_gapless(schema, services, periods=2)


def test_the_fan_out_requests_one_run_per_tenant_licensed_for_isp(tenant_a, tenant_b):
    subscription_suspend(
        subscription=Subscription.objects.get(tenant=tenant_b, app__key="isp"), actor="test"
    )

    billing_runs_fan_out()

    with schema_context(tenant_a.schema_name):
        assert BillingRun.objects.filter(triggered_by="schedule", status="queued").count() == 1
    with schema_context(tenant_b.schema_name):
        assert not BillingRun.objects.exists()


def test_the_dunning_fan_out_only_reaches_plans_with_the_feature(tenant_a, tenant_b, monkeypatch):
    subscription_set_overrides(
        subscription=Subscription.objects.get(tenant=tenant_a, app__key="isp"),
        features={"isp.dunning": True},
        actor="test",
    )
    sent = []
    monkeypatch.setattr(tasks.dunning_run, "delay", lambda: sent.append(connection.schema_name))

    assert tasks.dunning_fan_out() == len(sent)
    assert tenant_a.schema_name in sent
    assert tenant_b.schema_name not in sent
