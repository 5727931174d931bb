"""DotMac's database backend: django-tenants' PostgreSQL backend with a cheaper health check.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request that
reuses a persistent connection: one extra round trip per request. Like pgbouncer's
`server_check_delay`, a connection that was used within the last DB_HEALTH_CHECK_DELAY seconds
is trusted as it is; an idle one is still checked, so a database restart is noticed before the
first request after a quiet spell, and a busy worker's broken connection is discarded at the end
of the request that hit the error (Django closes connections that raised errors).
"""

import time

from django.conf import settings
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class DatabaseWrapper(TenantDatabaseWrapper):
    _last_used: float | None = None

    def close_if_health_check_failed(self):
        delay = getattr(settings, "DB_HEALTH_CHECK_DELAY", 0)
        if (
            self.connection is not None
            and not self.health_check_done
            and self._last_used is not None
            and time.monotonic() - self._last_used < delay
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        self._last_used = time.monotonic()
        return cursor

    def close(self):
        self._last_used = None
        super().close()
