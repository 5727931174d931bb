"""Leases: named locks that hold across transactions where a session lock cannot."""

from django.db import models

__all__ = ["Lease"]


class Lease(models.Model):
    """A named lock held by one holder until it releases it or the lease runs out.

    Taken by apps.core.db.locks behind pgbouncer in transaction mode, where a session advisory
    lock would stay on whichever server connection took it (and its unlock would run on
    another). Only the public schema's table is used.
    """

    name = models.CharField("name", max_length=200, unique=True)
    holder = models.CharField("holder", max_length=64)
    expires_at = models.DateTimeField("expires at")

    class Meta:
        verbose_name = "lease"

    def __str__(self) -> str:
        return self.name
