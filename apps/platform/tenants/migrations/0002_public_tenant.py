from django.db import migrations


def create_public_tenant(apps, schema_editor):
    """The public schema is the management platform; it is a tenant row like any other."""
    Tenant = apps.get_model("tenants", "Tenant")
    Tenant.objects.get_or_create(
        schema_name="public",
        defaults={"name": "DotMac platform", "slug": "public", "status": "active"},
    )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [migrations.RunPython(create_public_tenant, migrations.RunPython.noop)]
