"""The billing currency becomes the organisation's (core.OrganisationSettings), which every app
reads: it is copied there before the ISP's own field goes."""

from django.db import migrations


def to_organisation(apps, schema_editor):
    BillingSettings = apps.get_model("isp", "BillingSettings")
    OrganisationSettings = apps.get_model("core", "OrganisationSettings")
    row = BillingSettings.objects.filter(id=1).first()
    if row is not None:
        OrganisationSettings.objects.get_or_create(pk=1, defaults={"currency": row.currency})


def from_organisation(apps, schema_editor):
    BillingSettings = apps.get_model("isp", "BillingSettings")
    OrganisationSettings = apps.get_model("core", "OrganisationSettings")
    row = OrganisationSettings.objects.filter(pk=1).first()
    if row is not None:
        BillingSettings.objects.filter(id=1).update(currency=row.currency)


class Migration(migrations.Migration):
    dependencies = [
        ("isp", "0001_initial"),
        ("core", "0003_organisationsettings"),
    ]

    # Reversed, operations run last to first: the field comes back (with its default), then
    # takes the organisation's (the copy's reverse, so it runs after the field is re-added).
    operations = [
        migrations.RunPython(to_organisation, from_organisation),
        migrations.RemoveField(model_name="billingsettings", name="currency"),
    ]
