"""The tenant registry as every layer may read it (django-tenants' tenant model, without
importing the platform package that defines it)."""

from django.conf import settings
from django.db.models import QuerySet
from django_tenants.utils import get_tenant_model

__all__ = ["organisations", "tenant_model"]


def tenant_model():
    return get_tenant_model()


def organisations() -> QuerySet:
    """Every tenant but the row standing for the public schema (the platform itself)."""
    return get_tenant_model().objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
