"""Reads of RADIUS accounting: a service's data usage by day and in the current month (against
its plan's data cap), and the sessions lists' rows. Each one is a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.utils import timezone

from apps.isp.models import RadiusLogin, RadiusSession, Service, UsageDay

__all__ = [
    "DEFAULT_USAGE_DAYS",
    "GB",
    "MAX_USAGE_DAYS",
    "MonthUsage",
    "UsagePoint",
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


@dataclass(frozen=True)
class MonthUsage:
    """The current month's traffic of a service against its plan's cap."""

    month: datetime.date
    octets: int
    cap_gb: int | None
    throttled: bool

    @property
    def gigabytes(self) -> float:
        return round(self.octets / GB, 2)

    @property
    def percent(self) -> int | None:
        if not self.cap_gb:
            return None
        return min(100, round(self.octets * 100 / (self.cap_gb * GB)))


def month_usage(service: Service, today: datetime.date | None = None) -> MonthUsage:
    today = today or timezone.localdate()
    month = today.replace(day=1)
    totals = UsageDay.objects.filter(service=service, day__gte=month, day__lte=today).aggregate(
        down=Sum("output_octets"), up=Sum("input_octets")
    )
    login = RadiusLogin.objects.filter(service=service).only("throttled_month").first()
    return MonthUsage(
        month=month,
        octets=(totals["down"] or 0) + (totals["up"] or 0),
        cap_gb=service.plan.data_cap_gb,
        throttled=bool(login and login.throttled_month == month),
    )


def wire_username(login: RadiusLogin | None, slug: str) -> str:
    """The user name as the subscriber's router sends it: `name@<organisation slug>`."""
    if login is None or not login.username:
        return ""
    return f"{login.username}@{slug}"


def sessions_listed() -> QuerySet[RadiusSession]:
    return RadiusSession.objects.select_related("nas", "service__customer", "service__plan")
