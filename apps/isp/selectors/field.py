"""Reads of field work: a job's address, a technician's jobs of a day, the dispatcher's week."""

import datetime
from urllib.parse import quote

from django.db.models import QuerySet
from django.utils import timezone

from apps.isp.models import WorkOrder

__all__ = ["job_address", "jobs_of_day", "jobs_of_week", "map_link"]


def job_address(job: WorkOrder) -> str:
    """Where the job is: the service's install address, else the customer's service address."""
    service, customer = job.service, job.customer
    if service is not None and service.install_street:
        parts = [service.install_street, service.install_city, service.install_postcode]
    else:
        parts = [customer.service_street, customer.service_city, customer.service_postcode]
    return ", ".join(part for part in parts if part)


def map_link(job: WorkOrder) -> str:
    return f"https://www.openstreetmap.org/search?query={quote(job_address(job))}"


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time(0), tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def jobs_of_day(technician, day: datetime.date | None = None) -> QuerySet[WorkOrder]:
    """A technician's jobs of a day (default today), in time order."""
    start, end = _day_bounds(day or timezone.localdate())
    return (
        WorkOrder.objects.filter(technician=technician, slot_start__gte=start, slot_start__lt=end)
        .select_related("customer", "service")
        .order_by("slot_start", "id")
    )


def jobs_of_week(monday: datetime.date) -> QuerySet[WorkOrder]:
    """Every job of the week starting `monday` (the dispatcher's board)."""
    start, _ = _day_bounds(monday)
    return (
        WorkOrder.objects.filter(slot_start__gte=start,
                                 slot_start__lt=start + datetime.timedelta(days=7))
        .select_related("customer", "technician")
        .order_by("slot_start", "id")
    )  # fmt: skip
