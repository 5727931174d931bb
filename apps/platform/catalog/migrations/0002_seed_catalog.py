from django.db import migrations


def seed(apps, schema_editor):
    from apps.platform.catalog.seed import load_catalog

    load_catalog(apps.get_model("catalog", "App"), apps.get_model("catalog", "Plan"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
