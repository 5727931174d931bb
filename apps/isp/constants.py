"""Names of the ISP app shared by its declaration, services, API and pages."""

from dateutil.relativedelta import relativedelta

APP_KEY = "isp"
#: The areas a role grants (apps/isp/apps.py declares their prefixes).
AREA, PORTAL_AREA, TECH_AREA = "isp", "isp.portal", "isp.tech"
#: Plan features and limits the app checks.
DUNNING = "isp.dunning"
CUSTOMER_PORTAL = "isp.customer_portal"
MAX_CUSTOMERS = "isp.max_customers"
MAX_DEVICES = "isp.max_devices"

#: The window business dates must fall in (apps.core.dates.check_window): a document's issue
#: date and a service's activation, termination or plan change from ten years back (history
#: brought over from another system) to a year ahead; a payment received up to a day ahead (a
#: time zone's difference); a billing run at most one billing period ahead (a run far in the
#: future billed centuries of periods at once, holding the numbering lock for a quarter hour).
HISTORY = relativedelta(years=10)
AHEAD = relativedelta(years=1)
PAYMENT_AHEAD = relativedelta(days=1)
#: RADIUS (FreeRADIUS asks DotMac) and CoA: the ISP Pro plan and up.
RADIUS = "isp.radius"
#: Monitoring of devices (probes, outages) and SLA policies on tickets: the ISP Pro plan and up.
MONITORING = "isp.monitoring"
SLA = "isp.sla"

#: The bounds of a CSV import of devices (apps.isp.services.device_import).
DEVICE_IMPORT_MAX_BYTES = 1024 * 1024
DEVICE_IMPORT_MAX_ROWS = 2000
