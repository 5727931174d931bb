"""Data migrations undo what they did: migrated back, a tenant schema's rows hold what they held
before (inside the test transaction, then forward again)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.core.models import OrganisationSettings, PartyLink
from tests.crm.factories import AccountFactory

pytestmark = pytest.mark.django_db


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def test_the_currency_and_party_link_migrations_reverse_with_their_data(in_tenant_a):
    OrganisationSettings.objects.update_or_create(pk=1, defaults={"currency": "EUR"})
    account = AccountFactory(owner=get_user_model().objects.get(username="owner"))
    PartyLink.objects.create(app="crm", ref=str(account.pk), other_app="isp", other_ref="42")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending triggers before DDL

    _migrate([("isp", "0001_initial"), ("crm", "0002_organisation_currency")])

    with connection.cursor() as cursor:
        cursor.execute("SELECT currency FROM isp_billingsettings WHERE id = 1")
        assert cursor.fetchone() == ("EUR",)
        cursor.execute("SELECT isp_customer_ref FROM crm_account WHERE id = %s", [account.pk])
        assert cursor.fetchone() == ("42",)

    executor = MigrationExecutor(connection)
    executor.migrate(
        [key for key in executor.loader.graph.leaf_nodes() if key[0] in ("isp", "crm")]
    )
    assert OrganisationSettings.objects.get(pk=1).currency == "EUR"
    assert PartyLink.objects.filter(app="crm", ref=str(account.pk), other_ref="42").exists()
