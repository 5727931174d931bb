"""Platform console: tenants (list, request, lifecycle actions, export download) and the
monitoring dashboard.

Every write goes through `apps.platform.tenants.services` (or the offboarding task); the admin
only collects input, calls the service and reports what happened, tenant by tenant.
"""

from apps.platform.tenants.admin import tenants  # noqa: F401  (register)
