"""An account's link to an ISP customer moves from the CRM's own column (`isp_customer_ref`) to
the organisation's party links (core.PartyLink, keyed by app and record), so that the CRM's
schema names no other app and any app's party can be linked the same way."""

from django.db import migrations


def to_party_links(apps, schema_editor):
    Account = apps.get_model("crm", "Account")
    PartyLink = apps.get_model("core", "PartyLink")
    PartyLink.objects.bulk_create(
        [
            PartyLink(app="crm", ref=str(pk), other_app="isp", other_ref=ref)
            for pk, ref in Account.objects.exclude(isp_customer_ref="").values_list(
                "pk", "isp_customer_ref"
            )
        ],
        ignore_conflicts=True,
    )


def from_party_links(apps, schema_editor):
    Account = apps.get_model("crm", "Account")
    PartyLink = apps.get_model("core", "PartyLink")
    for link in PartyLink.objects.filter(app="crm", other_app="isp"):
        Account.objects.filter(pk=int(link.ref)).update(isp_customer_ref=link.other_ref)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_organisation_currency"),
        ("core", "0004_party_links"),
    ]

    # Reversed, operations run last to first: the column and its index come back, then take the
    # links' values (the copy's reverse, so it runs after the column is re-added).
    operations = [
        migrations.RunPython(to_party_links, from_party_links),
        migrations.RemoveIndex(model_name="account", name="crm_account_isp_ref"),
        migrations.RemoveField(model_name="account", name="isp_customer_ref"),
    ]
