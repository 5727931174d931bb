"""A tenant schema cloned from the template keeps the names the migrations gave its unique
constraints (django-tenants' clone_schema re-creates them under PostgreSQL's default names, and
a migration dropping one by name then failed on every cloned schema)."""

import pytest
from django.db import connection

from apps.platform.tenants import schemas

pytestmark = pytest.mark.django_db


def unique_names(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, c.conname FROM pg_constraint c"
            " JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = %s AND c.contype = 'u'",
            [schema],
        )
        return set(cursor.fetchall())


def test_a_cloned_tenant_has_the_templates_unique_constraint_names(tenant_a):
    names = unique_names(tenant_a.schema_name)

    assert names == unique_names(schemas.template_schema())
    assert ("isp_usageday", "isp_usageday_once_per_day") in names


def test_the_repair_renames_what_an_older_clone_misnamed(tenant_a):
    schema = tenant_a.schema_name
    with connection.cursor() as cursor:
        cursor.execute(
            f'ALTER TABLE "{schema}".isp_usageday RENAME CONSTRAINT isp_usageday_once_per_day'
            " TO isp_usageday_service_id_day_key"
        )

    assert schemas.constraint_names_repair(schema) == 1
    assert ("isp_usageday", "isp_usageday_once_per_day") in unique_names(schema)
    assert schemas.constraint_names_repair(schema) == 0
