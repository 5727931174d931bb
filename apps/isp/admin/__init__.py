"""The tenant admin's ISP section (/admin/isp/...), a module per subdomain: accounts, plans,
services, documents and money, runs and settings.

Writes go through the services, as on the API and the pages (the admin kit: apps.core.kit.admin):
an account is opened with customer_create (within `isp.max_customers`, a clear message and
nothing written past it), a service is ordered, activated, suspended, restored and terminated by
the lifecycle services, a billing run is requested with billing_run_request. Balances, numbers
and billing dates are kept by the billing engine and read-only here; invoices, credit notes and
payments are never edited (credit notes and refunds correct them); tickets and work orders are
shown, worked on the staff pages and in the technician app. Every change is audited. The
licence filter of the admin site hides all of it from a tenant without ISP.
"""

from apps.isp.admin import (  # noqa: F401
    billing,
    customers,
    monitoring,
    network,
    plans,
    radius,
    runs,
    services,
    support,
)
