"""The daily usage series: a tenant's schema size (matching pg_total_relation_size summed over
its tables within 1 %), its files, its API requests and task time by app and its active users,
measured into one row per tenant and day by the beat's tasks (a rerun updates, never adds)."""

import io
import time

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.platform.metering import services, tasks
from apps.platform.metering.models import UsageDay
from apps.platform.metering.selectors import tenants_metered
from dotmac.celery import app as celery_app

pytestmark = pytest.mark.django_db


def real_schema_size(schema: str) -> int:
    """pg_total_relation_size summed over the schema's tables, asked independently."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(pg_total_relation_size(format('%%I.%%I', schemaname, tablename)"
            "::regclass)) FROM pg_tables WHERE schemaname = %s",
            [schema],
        )
        return int(cursor.fetchone()[0])


def test_the_series_holds_the_schemas_real_size_within_one_percent(tenant_a):
    row = services.usage_measure(tenant=tenant_a)

    real = real_schema_size(tenant_a.schema_name)
    assert real > 1024 * 1024  # a migrated schema: megabytes of tables and indexes
    assert abs(row.db_bytes - real) <= real / 100
    assert row.day == timezone.localdate()


def test_file_storage_is_what_lies_under_the_tenants_prefix_only(tenant_a, tenant_b):
    before_b = services.usage_measure(tenant=tenant_b).storage_bytes
    with schema_context(tenant_a.schema_name):
        name = default_storage.save("metering-test/blob.bin", ContentFile(b"x" * 123_457))
    try:
        root = services.storage_root(tenant_a.schema_name)
        on_disk = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())

        row_a = services.usage_measure(tenant=tenant_a)
        row_b = services.usage_measure(tenant=tenant_b)

        assert row_a.storage_bytes == on_disk
        assert row_a.storage_bytes >= 123_457
        assert row_a.storage_files >= 1
        assert row_b.storage_bytes == before_b
    finally:
        with schema_context(tenant_a.schema_name):
            default_storage.delete(name)


def test_api_requests_are_counted_by_app_and_the_user_as_active(api_a, tenant_a):
    before = services.usage_measure(tenant=tenant_a)

    api_a.get("/api/v1/isp/customers/")
    api_a.get("/api/v1/isp/customers/")
    api_a.get("/api/v1/crm/leads/")
    api_a.get("/api/v1/me/")
    after = services.usage_measure(tenant=tenant_a)

    def delta(app):
        return after.api_requests.get(app, 0) - before.api_requests.get(app, 0)

    assert (delta("isp"), delta("crm"), delta("me")) == (2, 1, 1)
    assert after.api_requests_total - before.api_requests_total == 4
    assert after.active_users >= 1
    assert UsageDay.objects.filter(tenant=tenant_a).count() == 1  # the same row, updated


def test_a_request_on_another_tenants_host_counts_for_that_tenant_only(client_b, tenant_a,
                                                                       tenant_b):  # fmt: skip
    before_a = services.usage_measure(tenant=tenant_a).api_requests.get("isp", 0)
    before_b = services.usage_measure(tenant=tenant_b).api_requests.get("isp", 0)

    client_b.get("/api/v1/isp/customers/")  # unauthenticated: still a request of B's

    assert services.usage_measure(tenant=tenant_a).api_requests.get("isp", 0) == before_a
    assert services.usage_measure(tenant=tenant_b).api_requests.get("isp", 0) == before_b + 1


def test_invented_api_prefixes_count_under_one_key_and_grow_nothing(api_a, tenant_a):
    """A client requesting /api/v1/<anything>/ gets 404s; each counts, under one key, so that
    the day's hash in Redis cannot be grown one field per invented prefix."""
    before = services.usage_measure(tenant=tenant_a)

    answers = {api_a.get(f"/api/v1/invented-{n}/").status_code for n in range(5)}
    after = services.usage_measure(tenant=tenant_a)

    assert answers == {404}
    assert not [key for key in after.api_requests if key.startswith("invented")]
    assert after.api_requests["unrouted"] - before.api_requests.get("unrouted", 0) == 5


def test_background_task_time_is_counted_by_the_tasks_app(tenant_a):
    """Core's task receivers (apps/core/signals.py) count a task's time under the app its name
    starts with, for the schema it ran in. Called directly, in the schema a worker switches to
    from the task's headers (tenant-schemas-celery): sending Celery's signals here would also
    run Celery's Django fixup when a worker thread of the session installed it, which closes
    this test's connection (its autocommit is off inside the test transaction)."""
    from apps.core.signals import _reset_task_log_context, _set_task_log_context

    task = tasks.measure_tenant  # "metering.measure_tenant": counted under "metering"
    before = services.usage_measure(tenant=tenant_a).task_seconds.get("metering", 0)

    with schema_context(tenant_a.schema_name):
        _set_task_log_context(task_id="metering-test-1", task=task)
        time.sleep(0.05)
        _reset_task_log_context(task_id="metering-test-1", task=task)
    after = services.usage_measure(tenant=tenant_a).task_seconds.get("metering", 0)

    assert after - before >= 0.05


def test_the_beat_task_measures_every_tenant_once_a_day_and_a_rerun_updates(tenant_a):
    celery_app.conf.task_always_eager = True
    try:
        sent = tasks.measure_all()
        first = {row.tenant_id: row.measured_at for row in UsageDay.objects.all()}
        again = tasks.measure_all()
    finally:
        celery_app.conf.task_always_eager = False

    metered = set(tenants_metered().values_list("pk", flat=True))
    today = UsageDay.objects.filter(day=timezone.localdate())
    assert sent == again == len(metered) >= 3
    assert set(today.values_list("tenant_id", flat=True)) == metered
    assert today.count() == len(metered)  # one row per tenant and day, after two runs
    assert all(today.get(tenant_id=pk).measured_at >= first[pk] for pk in metered)


def test_the_beat_schedules_the_hourly_measurement_and_the_close_of_the_day():
    schedule = celery_app.conf.beat_schedule
    assert schedule["metering-hourly"]["task"] == "metering.measure_all"
    assert schedule["metering-close-day"]["kwargs"] == {"days_ago": 1}
    assert "metering.measure_all" in celery_app.tasks
    assert "metering.measure_tenant" in celery_app.tasks


def test_old_days_past_the_retention_are_pruned(tenant_a, settings):
    settings.USAGE_SERIES_DAYS = 30
    today = timezone.localdate()
    old = UsageDay.objects.create(tenant=tenant_a, day=today - timezone.timedelta(days=31))
    kept = UsageDay.objects.create(tenant=tenant_a, day=today - timezone.timedelta(days=29))

    assert services.usage_prune() == 1
    assert not UsageDay.objects.filter(pk=old.pk).exists()
    assert UsageDay.objects.filter(pk=kept.pk).exists()


@pytest.mark.slow
def test_the_measurement_task_on_a_real_worker_twice_writes_one_row(tenant_a, celery_worker):
    day = "2001-01-01"  # a day of its own: committed by the worker, deleted at the end
    try:
        tasks.measure_tenant.delay(tenant_a.pk, day).get(timeout=30)
        tasks.measure_tenant.delay(tenant_a.pk, day).get(timeout=30)
        rows = UsageDay.objects.filter(tenant=tenant_a, day=day)
        assert rows.count() == 1
        assert rows.get().db_bytes > 0
    finally:
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("DELETE FROM public.metering_usageday WHERE day = %s", [day])


def test_the_command_measures_the_named_tenant_now(tenant_a, tenant_b):
    out = io.StringIO()

    call_command("measure_usage", "--slug", "tenant-a", stdout=out)
    call_command("measure_usage", "--slug", "tenant-a", stdout=out)

    assert UsageDay.objects.filter(tenant=tenant_a, day=timezone.localdate()).count() == 1
    assert not UsageDay.objects.filter(tenant=tenant_b).exists()
    assert "tenant-a" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("measure_usage", "--slug", "no-such-tenant")
