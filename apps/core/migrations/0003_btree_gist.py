"""btree_gist, in the public schema (every tenant's search_path ends with it): exclusion
constraints that mix equality on ids with range overlap (a service's billing periods) need it.
Created once per database; the tenant schemas' run of this migration finds it there."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_trail")]

    operations = [
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public",
            reverse_sql=migrations.RunSQL.noop,
        )
    ]
