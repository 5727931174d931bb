from django.db import models

__all__ = ["MB", "UsageDay"]

MB = 1024 * 1024


class UsageDay(models.Model):
    """One tenant's resource use on one day: the size of its schema and of its files when last
    measured that day, its API requests and background task time by app, and its active users.
    Written by the metering beat task; one row per tenant and day (a rerun updates it)."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="usage_days"
    )
    day = models.DateField()
    db_bytes = models.BigIntegerField(
        "database size", default=0,
        help_text="pg_total_relation_size summed over the relations of the tenant's schema.",
    )  # fmt: skip
    storage_bytes = models.BigIntegerField(
        "file storage", default=0, help_text="Bytes of the files under the tenant's prefix."
    )
    storage_files = models.PositiveIntegerField("files", default=0)
    api_requests = models.JSONField(
        "API requests by app", default=dict, blank=True, help_text='{"isp": 120, "crm": 4}'
    )
    api_requests_total = models.PositiveIntegerField("API requests", default=0)
    task_seconds = models.JSONField(
        "task time by app", default=dict, blank=True, help_text="Seconds of background tasks."
    )
    task_seconds_total = models.FloatField("task time (s)", default=0)
    active_users = models.PositiveIntegerField(
        default=0, help_text="Users who signed in or made a request that day."
    )
    measured_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "tenant_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day"], name="metering_usageday_tenant_day")
        ]
        indexes = [models.Index(fields=["day"], name="metering_usageday_day")]
        verbose_name = "usage day"

    def __str__(self):
        return f"{self.tenant_id} {self.day}"

    @property
    def db_mb(self) -> float:
        return self.db_bytes / MB

    @property
    def storage_mb(self) -> float:
        return self.storage_bytes / MB
