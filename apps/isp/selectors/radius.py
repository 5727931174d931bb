"""Reads of RADIUS accounting: a service's data usage by day and in the current month (against
its plan's data cap), and the sessions lists' rows. Each one is a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.utils import timezone

from apps.isp.models import DataTopUp, RadiusLogin, RadiusSession, Service, UsageDay

__all__ = [
    "DEFAULT_USAGE_DAYS",
    "GB",
    "MAX_USAGE_DAYS",
    "MonthUsage",
    "UsagePoint",
    "month_octets",
    "month_start",
    "month_top_ups_gb",
    "month_usage",
    "sessions_listed",
    "usage_by_day",
    "wire_username",
]

#: A usage range is at most this long (a year, leap day included); the default is a month.
MAX_USAGE_DAYS, DEFAULT_USAGE_DAYS = 366, 30
GB = 1000**3


@dataclass(frozen=True)
class UsagePoint:
    """One day of a service's traffic, in octets (days without traffic are zero)."""

    day: datetime.date
    download: int
    upload: int

    @property
    def total(self) -> int:
        return self.download + self.upload

    # the chart helper's interface (apps.isp.views.charts)
    @property
    def label(self) -> str:
        return self.day.strftime("%d")

    @property
    def values(self) -> dict:
        return {"download": round(self.download / GB, 2), "upload": round(self.upload / GB, 2)}


def usage_by_day(service: Service, start: datetime.date, end: datetime.date) -> list[UsagePoint]:
    """Every day from `start` to `end` (inclusive), with what the service moved that day."""
    rows = {
        row["day"]: row
        for row in UsageDay.objects.filter(service=service, day__gte=start, day__lte=end).values(
            "day", "input_octets", "output_octets"
        )
    }
    points, day = [], start
    while day <= end:
        row = rows.get(day)
        points.append(
            UsagePoint(day, row["output_octets"], row["input_octets"])
            if row
            else UsagePoint(day, 0, 0)
        )
        day += datetime.timedelta(days=1)
    return points


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_octets(service_id: int, month: datetime.date) -> int:
    """Octets the service moved in the month, both directions (what a data cap counts)."""
    totals = UsageDay.objects.filter(
        service_id=service_id, day__gte=month, day__lt=_next_month(month)
    ).aggregate(down=Sum("output_octets"), up=Sum("input_octets"))
    return (totals["down"] or 0) + (totals["up"] or 0)


def month_top_ups_gb(service_id: int, month: datetime.date) -> int:
    """Gigabytes topped up for the month."""
    totals = DataTopUp.objects.filter(service_id=service_id, month=month)
    return totals.aggregate(gigabytes=Sum("gigabytes"))["gigabytes"] or 0


@dataclass(frozen=True)
class MonthUsage:
    """The current month's traffic of a service against its allowance: the plan's cap and the
    month's top-ups."""

    month: datetime.date
    octets: int
    cap_gb: int | None
    top_up_gb: int
    throttled: bool

    @property
    def allowance_gb(self) -> int | None:
        return None if self.cap_gb is None else self.cap_gb + self.top_up_gb

    @property
    def gigabytes(self) -> float:
        return round(self.octets / GB, 2)

    @property
    def percent(self) -> int | None:
        if not self.allowance_gb:
            return None
        return min(100, round(self.octets * 100 / (self.allowance_gb * GB)))


def month_usage(service: Service, today: datetime.date | None = None) -> MonthUsage:
    month = month_start(today or timezone.localdate())
    login = RadiusLogin.objects.filter(service=service).only("throttled_month").first()
    cap = service.plan.data_cap_gb
    return MonthUsage(
        month=month,
        octets=month_octets(service.pk, month),
        cap_gb=cap,
        top_up_gb=month_top_ups_gb(service.pk, month) if cap is not None else 0,
        throttled=bool(login and login.throttled_month == month),
    )


def wire_username(login: RadiusLogin | None, slug: str) -> str:
    """The user name as the subscriber's router sends it: `name@<organisation slug>`."""
    if login is None or not login.username:
        return ""
    return f"{login.username}@{slug}"


def sessions_listed() -> QuerySet[RadiusSession]:
    return RadiusSession.objects.select_related("nas", "service__customer", "service__plan")
