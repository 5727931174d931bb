"""Restore a tenant backup into a new tenant (or, with --replace, over the same one)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.platform.tenants.backup_format import BackupError, backup_read_manifest
from apps.platform.tenants.backups import tenant_restore


class Command(BaseCommand):
    help = (
        "Restore a file written by tenant_backup. <slug> is the tenant to restore into: a new "
        "one by default; an existing tenant only with --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "slug",
            help="The tenant the backup is restored into; with --new-slug, the tenant the file "
            "must be a backup of.",
        )
        parser.add_argument("file", type=Path, help="A file written by tenant_backup.")
        parser.add_argument(
            "--new-slug",
            help="Restore into this new tenant instead of <slug> (e.g. a copy next to the source).",
        )
        parser.add_argument("--name", help="The new tenant's name (default: the source's).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the existing tenant's data with the backup's (its old schema is dropped "
            "once the backup has loaded and verified).",
        )
        parser.add_argument(
            "--check", action="store_true", help="Only check the file; restore nothing."
        )

    def handle(self, *args, slug, file, new_slug, name, replace, check, **options):
        target = new_slug or slug
        started = time.monotonic()
        try:
            if check:
                manifest = backup_read_manifest(file)
                self.stdout.write(
                    f"{file}: backup of {manifest['source']['slug']} taken "
                    f"{manifest['snapshot_at']}, {len(manifest['tables'])} tables: whole."
                )
                return
            report = tenant_restore(
                file,
                slug=target,
                name=name,
                replace=replace,
                source_slug=slug if new_slug else None,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        for table in report.tables:
            self.stdout.write(
                f"  {table['name']:<48} {table['rows']:>8} rows  {table['checksum']}  ok",
            )
        rows = sum(table["rows"] for table in report.tables)
        self.stdout.write(
            f"{len(report.tables)} tables, {rows} rows verified; {report.media_files} files; "
            f"{time.monotonic() - started:.1f} s "
            f"({', '.join(f'{step} {value} s' for step, value in report.seconds.items())})."
        )
        if report.migrated_forward:
            self.stdout.write("The backup was older: its schema was migrated to this version.")
        if report.subscriptions:
            self.stdout.write(f"Subscriptions: {', '.join(report.subscriptions)}")
        self.stdout.write(
            self.style.SUCCESS(f"Restored into {report.tenant.slug} (schema {report.schema_name}).")
        )
