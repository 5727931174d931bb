"""Back up one tenant's schema (and uploaded files) into one file: see tenants/backups.py."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.platform.tenants.backup_format import BackupError
from apps.platform.tenants.backups import tenant_backup
from apps.platform.tenants.models import Tenant


class Command(BaseCommand):
    help = "Write a consistent backup of one tenant (rows, checksums, migration state, files)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The tenant to back up.")
        parser.add_argument(
            "--output", "-o", type=Path, help="The file to write (default: TENANT_BACKUP_DIR)."
        )

    def handle(self, *args, slug, output, **options):
        tenant = Tenant.objects.filter(slug=slug).exclude(schema_name="public").first()
        if tenant is None:
            raise CommandError(f"No tenant {slug!r}.")
        started = time.monotonic()
        try:
            path, manifest = tenant_backup(tenant, output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(table["rows"] for table in manifest["tables"])
        self.stdout.write(
            f"{slug}: {len(manifest['tables'])} tables, {rows} rows, "
            f"{len(manifest['media'])} files, snapshot {manifest['snapshot_at']}, "
            f"{time.monotonic() - started:.1f} s"
        )
        self.stdout.write(self.style.SUCCESS(str(path)))
