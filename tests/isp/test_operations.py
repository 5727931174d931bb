"""What the ISP offers other apps (apps/isp/operations.py, through the core registry): a
service order's facts, its activation (once), charges on the customer's next invoice (once
per source, bounded, never negative)."""

import pytest
from django.core.exceptions import ValidationError

from apps.core.registry import registry
from apps.isp import operations
from apps.isp.models import Invoice, PendingCharge

pytestmark = pytest.mark.django_db


def test_the_operations_are_offered_in_an_isp_tenant_only(in_tenant_a, tenant_c):
    from django.db import connection

    assert registry.operation("isp.service_activate") is operations.service_activate
    connection.set_tenant(tenant_c)
    assert registry.operation("isp.service_activate") is None
    connection.set_tenant(in_tenant_a)


def test_activation_is_once_and_charges_are_once_per_source(in_tenant_a):
    from tests.isp.factories import ServiceFactory

    service = ServiceFactory()
    facts = operations.service_facts(ref=service.pk)
    assert facts.facts[1] == ("Status", "Pending")
    assert [f.ref for f in operations.services_pending(query=service.customer.name)] == [
        str(service.pk)
    ]

    first = operations.service_activate(ref=service.pk)
    again = operations.service_activate(ref=service.pk)

    assert first["number"]
    assert again is None
    assert Invoice.objects.filter(customer=service.customer).count() == 1
    charge = {"source": "projects.timelog:1", "description": "Splicing", "amount": "12.50"}
    assert operations.charges_add(service_ref=service.pk, charges=[charge]) == [charge["source"]]
    assert operations.charges_add(service_ref=service.pk, charges=[charge]) == []
    assert PendingCharge.objects.filter(customer=service.customer).count() == 1
    assert operations.charges_of(sources=[charge["source"]]) == {charge["source"]: ""}


@pytest.mark.parametrize(
    "charges",
    [
        [{"source": "x:1", "description": "d", "amount": "-1"}],
        [{"source": "x:2", "description": "d", "amount": "lots"}],
        [{"source": f"x:{n}", "description": "d", "amount": "1"} for n in range(501)],
    ],
    ids=["negative", "not-an-amount", "too-many"],
)
def test_bad_charges_are_refused_whole(in_tenant_a, charges):
    from tests.isp.factories import ServiceFactory

    service = ServiceFactory()
    with pytest.raises(ValidationError):
        operations.charges_add(service_ref=service.pk, charges=charges)
    with pytest.raises(ValidationError):
        operations.service_activate(ref="nope")
    assert not PendingCharge.objects.exists()
