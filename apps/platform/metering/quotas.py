"""The tenant's quotas of file storage and database size (plan limits `platform.max_storage_mb`
and `platform.max_db_mb`, the highest its usable licences give; none: unlimited), against its
latest measurement (plus the bytes uploaded since). At QUOTA_WARNING_PERCENT its super admin is
warned on its pages; at 100 % an upload is refused (apps.core.uploads.file_save)."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from apps.core import usage
from apps.core.exceptions import LimitExceededError
from apps.platform.licensing.entitlements import platform_limit
from apps.platform.metering.models import MB, UsageDay

__all__ = [
    "DB_LIMIT",
    "STORAGE_LIMIT",
    "Notice",
    "Quota",
    "quota_notices",
    "quotas_for",
    "upload_guard",
]

STORAGE_LIMIT = "platform.max_storage_mb"
DB_LIMIT = "platform.max_db_mb"


@dataclass(frozen=True)
class Quota:
    key: str
    label: str
    used_bytes: int
    limit_mb: int | None

    @property
    def limit_bytes(self) -> int | None:
        return None if self.limit_mb is None else self.limit_mb * MB

    @property
    def used_mb(self) -> float:
        return self.used_bytes / MB

    @property
    def percent(self) -> int | None:
        if self.limit_mb is None:
            return None
        if self.limit_mb <= 0:
            return 100
        return int(self.used_bytes * 100 // self.limit_bytes)

    @property
    def exceeded(self) -> bool:
        return self.percent is not None and self.percent >= 100

    @property
    def warning(self) -> bool:
        return self.percent is not None and settings.QUOTA_WARNING_PERCENT <= self.percent < 100


def _latest(schema_name: str) -> UsageDay | None:
    return (
        UsageDay.objects.filter(tenant__schema_name=schema_name)
        .only("db_bytes", "storage_bytes")
        .order_by("-day")
        .first()
    )


def quotas_for(schema_name: str) -> list[Quota]:
    """The storage and database quotas of the tenant, with what it uses now."""
    latest = _latest(schema_name)
    storage = (latest.storage_bytes if latest else 0) + usage.uploaded_since_measure(schema_name)
    return [
        Quota(STORAGE_LIMIT, "File storage", storage, platform_limit(schema_name, STORAGE_LIMIT)),
        Quota(DB_LIMIT, "Database", latest.db_bytes if latest else 0,
              platform_limit(schema_name, DB_LIMIT)),
    ]  # fmt: skip


def upload_guard(size: int) -> None:
    """Refuse an upload of `size` bytes past the current tenant's storage quota, or while its
    database is at its quota (the upload's row would add to it)."""
    schema_name = connection.schema_name
    if schema_name == "public":
        return
    for quota in quotas_for(schema_name):
        if quota.limit_bytes is None:
            continue
        after = quota.used_bytes + (size if quota.key == STORAGE_LIMIT else 0)
        if after > quota.limit_bytes or quota.exceeded:
            raise LimitExceededError(
                f"{quota.label} quota reached: {quota.used_mb:.1f} MB of {quota.limit_mb} MB "
                "used. Delete files or ask for a larger plan; nothing was saved."
            )


@dataclass(frozen=True)
class Notice:
    text: str
    over: bool

    def __str__(self) -> str:
        return self.text


def quota_notices(schema_name: str) -> list[Notice]:
    """What the tenant's super admin is told on its pages about quotas near or past limit."""
    notices = []
    for quota in quotas_for(schema_name):
        if quota.exceeded:
            notices.append(
                Notice(
                    f"{quota.label}: {quota.used_mb:.1f} MB of {quota.limit_mb} MB "
                    "used — the quota is reached, uploads are refused.",
                    True,
                )
            )
        elif quota.warning:
            notices.append(
                Notice(
                    f"{quota.label}: {quota.percent} % of the {quota.limit_mb} MB "
                    "quota used — uploads stop at 100 %.",
                    False,
                )
            )
    return notices


def storage_mb_used() -> int:
    """The usage counter of `platform.max_storage_mb` (run in the tenant's schema)."""
    return round(quotas_for(connection.schema_name)[0].used_mb)


def db_mb_used() -> int:
    """The usage counter of `platform.max_db_mb` (run in the tenant's schema)."""
    return round(quotas_for(connection.schema_name)[1].used_mb)
