"""Measure tenants' resource use now, into today's row of their series (what the hourly beat
task does, without a worker): `manage.py measure_usage [--slug abc-corp ...]`."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from apps.platform.metering.selectors import tenants_metered
from apps.platform.metering.services import usage_measure


class Command(BaseCommand):
    help = "Measure the tenants' resource use now (idempotent: today's row is updated)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", action="append", default=[], help="Only this tenant.")

    def handle(self, *args, slug, **options):
        tenants = tenants_metered()
        if slug:
            tenants = tenants.filter(slug__in=slug)
            if not tenants.exists():
                raise CommandError(f"No active or suspended tenant among {', '.join(slug)}.")
        for tenant in tenants:
            row = usage_measure(tenant=tenant)
            self.stdout.write(f"  {tenant.slug:<20} database {filesizeformat(row.db_bytes)}, "
                              f"files {filesizeformat(row.storage_bytes)}")  # fmt: skip
