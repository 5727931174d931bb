"""The billing rules the database holds itself, whatever code (or a raced retry) attempts."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from apps.isp.models import InvoiceLine, LineKind
from tests.isp.factories import active_service


def _charge(line: InvoiceLine, **changes) -> None:
    """Insert a copy of `line` with `changes`, bypassing the services."""
    copy = InvoiceLine(
        invoice=line.invoice,
        kind=line.kind,
        description=line.description,
        service=line.service,
        period_start=line.period_start,
        period_end=line.period_end,
        amount=line.amount,
    )
    for name, value in changes.items():
        setattr(copy, name, value)
    with transaction.atomic():
        copy.save()


def test_a_service_is_never_charged_twice_for_the_same_day(in_tenant_a):
    service = active_service(on=datetime.date(2026, 3, 1))
    line = InvoiceLine.objects.get(service=service, kind=LineKind.SERVICE)

    with pytest.raises(IntegrityError, match="isp_service_periods_never_overlap"):
        _charge(line)  # the same period again
    with pytest.raises(IntegrityError, match="isp_service_periods_never_overlap"):
        _charge(
            line,
            period_start=line.period_end,
            period_end=line.period_end + datetime.timedelta(days=30),
        )

    # The next period, and the same period of another service, are fine.
    _charge(
        line,
        period_start=line.period_end + datetime.timedelta(days=1),
        period_end=line.period_end + datetime.timedelta(days=31),
    )
    other = active_service(on=datetime.date(2026, 3, 1))
    assert InvoiceLine.objects.filter(service=other, period_start=line.period_start).exists()


def test_a_setup_fee_is_charged_once_per_service(in_tenant_a):
    service = active_service(on=datetime.date(2026, 3, 1))
    setup = InvoiceLine.objects.filter(service=service, kind=LineKind.SETUP).first()
    assert setup is not None

    with pytest.raises(IntegrityError, match="isp_one_setup_fee"):
        _charge(setup)
