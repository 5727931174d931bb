"""The CRM's currency becomes the organisation's (core.OrganisationSettings), which every app
reads; the CRM settings row held nothing else and goes. Where the organisation's row exists
already (the ISP's billing currency got there first), it is kept."""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models


def to_organisation(apps, schema_editor):
    CrmSettings = apps.get_model("crm", "CrmSettings")
    OrganisationSettings = apps.get_model("core", "OrganisationSettings")
    row = CrmSettings.objects.filter(pk=1).first()
    if row is not None:
        OrganisationSettings.objects.get_or_create(pk=1, defaults={"currency": row.currency})


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("core", "0003_organisationsettings"),
    ]

    operations = [
        migrations.RunPython(to_organisation, migrations.RunPython.noop),
        migrations.DeleteModel(name="CrmSettings"),
        migrations.AlterField(
            model_name="opportunity",
            name="amount",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                help_text="In the organisation's currency.",
                max_digits=14,
                validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                verbose_name="amount",
            ),
        ),
    ]
