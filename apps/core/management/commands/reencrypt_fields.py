"""Every encrypted column of every schema under the first of FIELD_ENCRYPTION_KEYS, and every
blind index recomputed with FIELD_HASH_KEY (apps.core.encryption). Run it after putting a new
key first (before dropping the old one), after changing FIELD_HASH_KEY, or to repair rows
written by a bulk update. Idempotent: a second run rewrites nothing."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, router
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context
from django_tenants.utils import schema_exists as schema_is_there

from apps.core.encryption import DecryptionError, encrypted_fields, reencrypt_model


def schemas_to_visit(chosen: list[str]) -> list[str]:
    """The public schema and every tenant schema that exists (or the ones named)."""
    if chosen:
        missing = [name for name in chosen if not schema_is_there(name)]
        if missing:
            raise CommandError(f"No such schema: {', '.join(missing)}.")
        return chosen
    tenants = get_tenant_model().objects.exclude(schema_name=get_public_schema_name())
    names = tenants.order_by("schema_name").values_list("schema_name", flat=True)
    return [get_public_schema_name(), *(name for name in names if schema_is_there(name))]


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the first FIELD_ENCRYPTION_KEYS key and recompute "
        "the blind indexes, in every schema (or --schema), in batches; reports counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schema", action="append", default=[], dest="schemas",
            help="Only this schema (repeatable). Default: public and every tenant schema.",
        )  # fmt: skip
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction.")

    def handle(self, *args, schemas, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        models = [model for model in apps.get_models() if encrypted_fields(model)]
        totals = {"rows": 0, "rewritten": 0, "values": 0}
        for schema in schemas_to_visit(schemas):
            with schema_context(schema):
                for model in models:
                    # django-tenants' router: a tenant app's tables live in tenant schemas only
                    if not router.allow_migrate_model(connection.alias, model):
                        continue
                    try:
                        count = reencrypt_model(model, connection, batch_size=batch_size)
                    except DecryptionError as error:
                        raise CommandError(f"{schema}: {error}") from error
                    values = sum(count.values.values())
                    self.stdout.write(
                        f"{schema:<24} {count.label:<28} {count.rows:>7} rows, "
                        f"{count.rewritten:>7} rewritten, {values:>7} values re-encrypted"
                    )
                    totals["rows"] += count.rows
                    totals["rewritten"] += count.rewritten
                    totals["values"] += values
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {totals['rows']} rows read, {totals['rewritten']} rewritten, "
                f"{totals['values']} values re-encrypted."
            )
        )
